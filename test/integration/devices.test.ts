import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_KEY_PACKAGE_SIZE_IN_BYTES, MAX_KEY_PACKAGES_PER_UPLOAD } from '../../shared/protocol/limits';
import type { DevicePush } from '../../shared/protocol/outbound';
import { type Api, apiFor, befriend, rawRequest } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { tableReader } from '../support/table';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const keyOf = (seed: number) => Buffer.alloc(32, seed).toString('base64');

const isDevicePush = (frame: unknown): frame is DevicePush => (frame as { type?: unknown }).type === 'device';

/**
 * Bob registers his phone and uploads key packages; Alice and Carol claim
 * them at once to add Bob to their groups. Every one-use package reaches
 * exactly one of them, and the last-resort one after the rest ran out.
 * Dave, a stranger to them all, hears nothing of Bob's devices.
 */
describe('device directory and key packages', () => {
  let stack: TestStack;
  let table: ReturnType<typeof tableReader>;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let dave: Persona;
  let bobs: Api;
  let sockets: TestSocket[] = [];

  /** Everything stored under Bob's user: devices, key packages, last resorts. */
  const bobsDeviceItems = async () =>
    JSON.stringify(
      (await table.query(`USER#${bob.userId}`)).filter((item) => /^(DEVICE|KP|KPLR)#/.test(String(item.sk))),
    );

  const send = (persona: Persona, method: string, path: string, body?: unknown) =>
    rawRequest(stack, persona, method, path, body);

  beforeAll(async () => {
    stack = await startTestStack();
    table = tableReader(stack);
    [alice, bob, carol, dave] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
      signUp(stack, 'dave'),
    ]);
    bobs = apiFor(stack, bob);
    // Only friends and co-members may claim Bob's packages.
    await Promise.all([befriend(stack, alice, bob), befriend(stack, carol, bob)]);
  });

  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    table?.destroy();
    await stack?.stop();
  });

  it('registers a device once, and shows it to anyone signed in', async () => {
    const phone = await bobs.registerDevice({
      body: { deviceId: 'phone', signaturePublicKey: keyOf(1), name: 'Bob’s phone' },
    });
    const again = await bobs.registerDevice({ body: { deviceId: 'phone', signaturePublicKey: keyOf(1) } });

    expect(phone).toEqual({
      userId: bob.userId,
      deviceId: 'phone',
      signaturePublicKey: keyOf(1),
      name: 'Bob’s phone',
      createdAt: expect.any(String),
      revoked: false,
    });
    expect(again).toEqual(phone);
    expect(await apiFor(stack, alice).listDevices({ params: { userId: bob.userId } })).toEqual({
      items: [phone],
    });
  });

  it('refuses another key for a registered device, and keeps the first', async () => {
    const response = await send(bob, 'POST', '/devices', { deviceId: 'phone', signaturePublicKey: keyOf(2) });

    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'CONFLICT' });
    expect((await bobs.listDevices({ params: { userId: bob.userId } })).items).toEqual([
      expect.objectContaining({ deviceId: 'phone', signaturePublicKey: keyOf(1) }),
    ]);
  });

  it('hands each key package to one claimer only, then the last resort, under concurrent claims', async () => {
    const uploaded = Array.from({ length: 5 }, (_, n) => b64(`bob-phone-kp-${n}`));
    const count = await bobs.uploadKeyPackages({
      params: { deviceId: 'phone' },
      body: { keyPackages: uploaded, lastResort: b64('bob-phone-last-resort') },
    });
    expect(count).toEqual({ remaining: 5, lastResort: true });

    const claimers = [alice, carol].map((persona) => apiFor(stack, persona));
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        (claimers[n % 2] as Api).claimKeyPackages({ body: { userIds: [bob.userId] } }),
      ),
    );

    const items = claims.flatMap((claim) => claim.items);
    expect(items).toHaveLength(10);
    expect(claims.every((claim) => claim.missing.length === 0)).toBe(true);
    const oneUse = items.filter((item) => !item.lastResort).map((item) => item.keyPackage);
    expect(oneUse.sort()).toEqual([...uploaded].sort());
    expect(items.filter((item) => item.lastResort)).toEqual(
      Array.from({ length: 5 }, () => ({
        userId: bob.userId,
        deviceId: 'phone',
        keyPackage: b64('bob-phone-last-resort'),
        lastResort: true,
      })),
    );
    expect(await bobs.countKeyPackages({ params: { deviceId: 'phone' } })).toEqual({
      remaining: 0,
      lastResort: true,
    });
  });

  it('gives no key packages of a revoked device, which stays listed as revoked', async () => {
    await bobs.registerDevice({ body: { deviceId: 'laptop', signaturePublicKey: keyOf(3) } });
    await bobs.uploadKeyPackages({
      params: { deviceId: 'laptop' },
      body: { keyPackages: [b64('laptop-kp')] },
    });

    await bobs.revokeDevice({ params: { deviceId: 'phone' } });
    await bobs.revokeDevice({ params: { deviceId: 'phone' } });

    const claim = await apiFor(stack, alice).claimKeyPackages({ body: { userIds: [bob.userId] } });
    expect(claim).toEqual({
      items: [{ userId: bob.userId, deviceId: 'laptop', keyPackage: b64('laptop-kp'), lastResort: false }],
      missing: [],
    });
    expect(await apiFor(stack, alice).claimKeyPackages({ body: { userIds: [bob.userId] } })).toEqual({
      items: [],
      missing: [{ userId: bob.userId, deviceId: 'laptop' }],
    });
    const { items } = await apiFor(stack, carol).listDevices({ params: { userId: bob.userId } });
    expect(items).toEqual([
      expect.objectContaining({ deviceId: 'laptop', revoked: false }),
      expect.objectContaining({ deviceId: 'phone', revoked: true, revokedAt: expect.any(String) }),
    ]);
    const upload = await send(bob, 'POST', '/devices/phone/key-packages', { keyPackages: [b64('late')] });
    expect(upload.status).toBe(403);
  });

  it('pushes a device, once it can be added, and its revocation to the user’s own devices and friends only', async () => {
    sockets = await Promise.all(
      [bob, alice, dave].map((persona) => connect(stack.endpoints.webSocketUrl, persona.accessToken)),
    );
    const [bobsPhone, alicesPhone, davesPhone] = sockets as [TestSocket, TestSocket, TestSocket];
    const pushed = (event: DevicePush['event'], deviceId: string) => ({
      type: 'device',
      event,
      userId: bob.userId,
      deviceId,
    });
    const arrives = async (push: ReturnType<typeof pushed>) => {
      for (const socket of [bobsPhone, alicesPhone]) {
        await socket.waitFor((frame) => JSON.stringify(frame) === JSON.stringify(push));
      }
    };
    const addDevice = async (deviceId: string, key: string) => {
      await bobs.registerDevice({ body: { deviceId, signaturePublicKey: key } });
      await bobs.uploadKeyPackages({
        params: { deviceId },
        body: { keyPackages: [b64(`${deviceId}-kp`)], lastResort: b64(`${deviceId}-last-resort`) },
      });
    };

    await addDevice('watch', keyOf(5));
    await arrives(pushed('registered', 'watch'));
    // Repeats change nothing and push nothing; the next change shows they were not queued either.
    await addDevice('watch', keyOf(5));
    await bobs.revokeDevice({ params: { deviceId: 'watch' } });
    await arrives(pushed('revoked', 'watch'));
    await bobs.revokeDevice({ params: { deviceId: 'watch' } });
    await addDevice('desktop', keyOf(6));
    await arrives(pushed('registered', 'desktop'));
    await new Promise((resolve) => setTimeout(resolve, 300));

    const expected = [
      pushed('registered', 'watch'),
      pushed('revoked', 'watch'),
      pushed('registered', 'desktop'),
    ];
    // Pushes of the earlier tests' devices may still have been on their way when the sockets opened.
    const ofTheseDevices = (socket: TestSocket) =>
      socket.frames.filter(isDevicePush).filter((push) => ['watch', 'desktop'].includes(push.deviceId));
    expect(ofTheseDevices(bobsPhone)).toEqual(expected);
    expect(ofTheseDevices(alicesPhone)).toEqual(expected);
    expect(davesPhone.frames.filter(isDevicePush)).toEqual([]);
  });

  it('renames a device, and anyone listing the devices sees the new name, the key unchanged', async () => {
    const before = (await bobs.listDevices({ params: { userId: bob.userId } })).items;
    const laptop = before.find((device) => device.deviceId === 'laptop');

    const renamed = await bobs.renameDevice({
      params: { deviceId: 'laptop' },
      body: { name: '  Laptop   at  work ' },
    });

    expect(renamed).toEqual({ ...laptop, name: 'Laptop at work' });
    const seen = (await apiFor(stack, alice).listDevices({ params: { userId: bob.userId } })).items;
    expect(seen).toEqual(before.map((device) => (device.deviceId === 'laptop' ? renamed : device)));
  });

  describe('bad input is refused with problem+json and changes nothing', () => {
    const tooLarge = Buffer.alloc(MAX_KEY_PACKAGE_SIZE_IN_BYTES + 1).toString('base64');
    const cases = [
      {
        name: 'a signature key of the wrong length',
        who: () => bob,
        method: 'POST',
        path: '/devices',
        body: { deviceId: 'tablet', signaturePublicKey: Buffer.alloc(31).toString('base64') },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'a device id with a separator the table uses',
        who: () => bob,
        method: 'POST',
        path: '/devices',
        body: { deviceId: 'tab#let', signaturePublicKey: keyOf(4) },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'key packages for someone else’s device',
        who: () => alice,
        method: 'POST',
        path: '/devices/laptop/key-packages',
        body: { keyPackages: [b64('alice-sneaks-in')] },
        status: 404,
        code: 'NOT_FOUND',
      },
      {
        name: 'revoking someone else’s device',
        who: () => alice,
        method: 'DELETE',
        path: '/devices/laptop',
        status: 404,
        code: 'NOT_FOUND',
      },
      {
        name: 'renaming someone else’s device',
        who: () => alice,
        method: 'PATCH',
        path: '/devices/laptop',
        body: { name: 'Mine now' },
        status: 404,
        code: 'NOT_FOUND',
      },
      {
        name: 'a device name that is empty',
        who: () => bob,
        method: 'PATCH',
        path: '/devices/laptop',
        body: { name: '   ' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'a device name longer than 64 characters',
        who: () => bob,
        method: 'PATCH',
        path: '/devices/laptop',
        body: { name: 'x'.repeat(65) },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'a device name with a control character',
        who: () => bob,
        method: 'PATCH',
        path: '/devices/laptop',
        body: { name: 'Lap\u0007top' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'a rename without a name',
        who: () => bob,
        method: 'PATCH',
        path: '/devices/laptop',
        body: {},
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'too many key packages',
        who: () => bob,
        method: 'POST',
        path: '/devices/laptop/key-packages',
        body: { keyPackages: Array.from({ length: MAX_KEY_PACKAGES_PER_UPLOAD + 1 }, () => b64('kp')) },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'a key package too large',
        who: () => bob,
        method: 'POST',
        path: '/devices/laptop/key-packages',
        body: { keyPackages: [b64('fine'), tooLarge] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'a key package that is not base64',
        who: () => bob,
        method: 'POST',
        path: '/devices/laptop/key-packages',
        body: { keyPackages: ['not base64!'] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'a claim naming no one',
        who: () => alice,
        method: 'POST',
        path: '/key-packages/claim',
        body: { userIds: [] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
    ];

    for (const bad of cases) {
      it(bad.name, async () => {
        const before = await bobsDeviceItems();

        const response = await send(bad.who(), bad.method, bad.path, bad.body);

        expect(response.status).toBe(bad.status);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(await response.json()).toMatchObject({ status: bad.status, code: bad.code });
        expect(await bobsDeviceItems()).toBe(before);
      });
    }
  });
});
