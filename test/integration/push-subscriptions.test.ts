import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/client/api-client';
import { MAX_PUSH_ENDPOINT_LENGTH } from '../../shared/protocol/limits';
import { type Api, apiFor, rawRequest } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { browserPushSubscription } from '../support/push';
import { startTestStack, type TestStack } from '../support/stack';
import { tableReader } from '../support/table';

const keyOf = (seed: number) => Buffer.alloc(32, seed).toString('base64');
const path = (deviceId: string) => `/devices/${deviceId}/push-subscription`;

/**
 * Alice turns notifications on for her phone and laptop: each device stores the subscription its browser
 * made, reads back where pushes go (never the keys), replaces and removes it. Bob cannot touch hers.
 * Revoking a device, or signing out everywhere, stops pushes to it.
 */
describe('push subscriptions', () => {
  let stack: TestStack;
  let table: ReturnType<typeof tableReader>;
  let alice: Persona;
  let bob: Persona;
  let alices: Api;

  /** Alice's device item as stored. */
  const storedDevice = (deviceId: string) => table.get(`USER#${alice.userId}`, `DEVICE#${deviceId}`);

  beforeAll(async () => {
    stack = await startTestStack();
    table = tableReader(stack);
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    alices = apiFor(stack, alice);
    for (const [deviceId, seed] of [
      ['phone', 1],
      ['laptop', 2],
      ['tablet', 3],
    ] as const) {
      await alices.registerDevice({ body: { deviceId, signaturePublicKey: keyOf(seed) } });
    }
    await apiFor(stack, bob).registerDevice({ body: { deviceId: 'phone', signaturePublicKey: keyOf(4) } });
  });

  afterAll(async () => {
    table?.destroy();
    await stack?.stop();
  });

  it('stores a browser’s subscription and reads back only its origin and preview, never its keys', async () => {
    const browser = browserPushSubscription('https://fcm.googleapis.com/fcm/send/d1:APA91b');

    const stored = await alices.putPushSubscription({ params: { deviceId: 'phone' }, body: browser });
    const read = await alices.getPushSubscription({ params: { deviceId: 'phone' } });

    expect(stored).toEqual({
      endpointOrigin: 'https://fcm.googleapis.com',
      preview: 'name',
      updatedAt: expect.any(String),
    });
    expect(read).toEqual(stored);
    expect(JSON.stringify(read)).not.toContain(browser.keys.auth);
    expect((await storedDevice('phone'))?.pushSubscription).toMatchObject({
      endpoint: browser.endpoint,
      p256dh: browser.keys.p256dh,
      auth: browser.keys.auth,
      preview: 'name',
    });
  });

  it('replaces the device’s subscription with a new one and its preview setting', async () => {
    await alices.putPushSubscription({ params: { deviceId: 'laptop' }, body: browserPushSubscription() });
    const renewed = browserPushSubscription('https://updates.push.services.mozilla.com/wpush/v2/gAAAAA');

    await alices.putPushSubscription({
      params: { deviceId: 'laptop' },
      body: { ...renewed, preview: 'none' },
    });

    expect(await alices.getPushSubscription({ params: { deviceId: 'laptop' } })).toMatchObject({
      endpointOrigin: 'https://updates.push.services.mozilla.com',
      preview: 'none',
    });
    expect((await storedDevice('laptop'))?.pushSubscription).toMatchObject({
      endpoint: renewed.endpoint,
      auth: renewed.keys.auth,
    });
  });

  it('removes a subscription, and removing it again still answers 204', async () => {
    await alices.putPushSubscription({ params: { deviceId: 'tablet' }, body: browserPushSubscription() });

    await alices.deletePushSubscription({ params: { deviceId: 'tablet' } });
    const again = await rawRequest(stack, alice, 'DELETE', path('tablet'));

    expect(again.status).toBe(204);
    await expect(alices.getPushSubscription({ params: { deviceId: 'tablet' } })).rejects.toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
    expect((await storedDevice('tablet'))?.pushSubscription).toBeUndefined();
  });

  describe('bad input is refused with problem+json and changes nothing', () => {
    const valid = browserPushSubscription();
    const cases = [
      {
        name: 'an http: endpoint',
        body: { ...valid, endpoint: 'http://push.example.com/send/1' },
        detail: 'https',
      },
      {
        name: 'an endpoint with a password in it',
        body: { ...valid, endpoint: 'https://user:secret@push.example.com/send/1' },
        detail: 'https',
      },
      {
        name: 'an endpoint that is no URL',
        body: { ...valid, endpoint: 'push.example.com/send/1' },
        detail: 'https',
      },
      {
        name: 'an oversized endpoint',
        body: { ...valid, endpoint: `https://push.example.com/${'a'.repeat(MAX_PUSH_ENDPOINT_LENGTH)}` },
        detail: `${MAX_PUSH_ENDPOINT_LENGTH}`,
      },
      {
        name: 'a p256dh key of the wrong length',
        body: { ...valid, keys: { ...valid.keys, p256dh: Buffer.alloc(33, 4).toString('base64url') } },
        detail: '65-byte',
      },
      {
        name: 'a p256dh key that is not an uncompressed point',
        body: { ...valid, keys: { ...valid.keys, p256dh: Buffer.alloc(65, 2).toString('base64url') } },
        detail: '65-byte',
      },
      {
        name: 'an auth secret of the wrong length',
        body: { ...valid, keys: { ...valid.keys, auth: Buffer.alloc(12, 1).toString('base64url') } },
        detail: '16 bytes',
      },
      {
        name: 'an auth secret that is not base64url',
        body: { ...valid, keys: { ...valid.keys, auth: 'not base64url!!!!!!!!!!' } },
        detail: '16 bytes',
      },
      { name: 'no keys', body: { endpoint: valid.endpoint }, detail: 'keys' },
      { name: 'an unknown preview', body: { ...valid, preview: 'everything' }, detail: 'preview' },
    ];

    for (const bad of cases) {
      it(bad.name, async () => {
        const before = JSON.stringify(await storedDevice('phone'));

        const response = await rawRequest(stack, alice, 'PUT', path('phone'), bad.body);

        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        const problem = await response.json();
        expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
        expect(problem.detail).toContain(bad.detail);
        expect(JSON.stringify(await storedDevice('phone'))).toBe(before);
      });
    }
  });

  it('finds no device of another user’s: Bob’s phone is not Alice’s, nor hers his', async () => {
    const bobs = apiFor(stack, bob);
    const before = JSON.stringify(await storedDevice('phone'));

    await expect(
      alices.putPushSubscription({ params: { deviceId: 'watch' }, body: browserPushSubscription() }),
    ).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
    await expect(bobs.getPushSubscription({ params: { deviceId: 'phone' } })).rejects.toMatchObject({
      status: 404,
    });
    await expect(bobs.deletePushSubscription({ params: { deviceId: 'laptop' } })).rejects.toBeInstanceOf(
      ApiError,
    );
    expect(JSON.stringify(await storedDevice('phone'))).toBe(before);
    expect(await alices.getPushSubscription({ params: { deviceId: 'laptop' } })).toMatchObject({
      preview: 'none',
    });
  });

  it('removes the subscription of a revoked device, and refuses a new one for it', async () => {
    await alices.putPushSubscription({ params: { deviceId: 'tablet' }, body: browserPushSubscription() });

    await alices.revokeDevice({ params: { deviceId: 'tablet' } });

    await expect(alices.getPushSubscription({ params: { deviceId: 'tablet' } })).rejects.toMatchObject({
      status: 404,
    });
    expect((await storedDevice('tablet'))?.pushSubscription).toBeUndefined();
    await expect(
      alices.putPushSubscription({ params: { deviceId: 'tablet' }, body: browserPushSubscription() }),
    ).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  // Last: it ends Alice's session.
  it('removes every subscription of the user when she signs out everywhere', async () => {
    expect((await storedDevice('phone'))?.pushSubscription).toBeDefined();
    expect((await storedDevice('laptop'))?.pushSubscription).toBeDefined();

    await alices.signOutEverywhere();

    expect((await storedDevice('phone'))?.pushSubscription).toBeUndefined();
    expect((await storedDevice('laptop'))?.pushSubscription).toBeUndefined();
    expect(await storedDevice('laptop')).toMatchObject({ deviceId: 'laptop' });
  });
});
