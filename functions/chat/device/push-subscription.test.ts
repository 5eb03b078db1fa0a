import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryDeps, rateLimiterWith } from '../../../test/support/fixtures';
import { browserPushSubscription } from '../../../test/support/push';
import { InMemoryDeviceDirectory } from '../../adapters/memory/memory-device-directory';
import { ForbiddenError, NotFoundError, RateLimitedError } from '../../errors';
import { getPushSubscription } from './get-push-subscription';
import { registerDevice } from './register-device';
import { removePushSubscription } from './remove-push-subscription';
import { revokeDevice } from './revoke-device';
import { savePushSubscription } from './save-push-subscription';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const KEY = Buffer.alloc(32, 1).toString('base64');
const alice = { userId: 'alice', correlationId: 'c-alice' };
const bob = { userId: 'bob', correlationId: 'c-bob' };

/** The devices fan-out would push to, as it reads them beside the user's connections. */
async function pushDevicesOf(deps: ReturnType<typeof memoryDeps>, userId: string) {
  return (await deps.connections.reachOf([userId], T0))[0]?.pushDevices;
}

describe('push subscriptions', () => {
  let deps: ReturnType<typeof memoryDeps> & { devices: InMemoryDeviceDirectory };
  let save: ReturnType<typeof savePushSubscription>;
  let read: ReturnType<typeof getPushSubscription>;
  let remove: ReturnType<typeof removePushSubscription>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = { ...memoryDeps(), devices: new InMemoryDeviceDirectory() };
    save = savePushSubscription(deps);
    read = getPushSubscription(deps);
    remove = removePushSubscription(deps);
    await registerDevice(deps)(alice, { deviceId: 'phone', signaturePublicKey: KEY });
    await registerDevice(deps)(bob, { deviceId: 'phone', signaturePublicKey: KEY });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('stores the subscription with its keys and answers only the push service’s origin', async () => {
    const browser = browserPushSubscription('https://fcm.googleapis.com/fcm/send/abc:def');
    const writesBefore = deps.rateLimiter.countOf('alice', 'write', T0);

    const view = await save(alice, 'phone', { ...browser, preview: 'name' });

    expect(view).toEqual({
      endpointOrigin: 'https://fcm.googleapis.com',
      preview: 'name',
      updatedAt: '2025-03-01T12:00:00.000Z',
    });
    expect(await read(alice, 'phone')).toEqual(view);
    expect(await deps.devices.listPushSubscriptions('alice')).toEqual([
      {
        userId: 'alice',
        deviceId: 'phone',
        endpoint: browser.endpoint,
        p256dh: browser.keys.p256dh,
        auth: browser.keys.auth,
        preview: 'name',
        updatedAt: T0,
      },
    ]);
    expect(await pushDevicesOf(deps, 'alice')).toEqual(['phone']);
    expect(deps.rateLimiter.countOf('alice', 'write', T0)).toBe(writesBefore + 1);
  });

  it('replaces the device’s subscription with a new one, preview setting included', async () => {
    await save(alice, 'phone', { ...browserPushSubscription(), preview: 'name' });
    vi.advanceTimersByTime(1000);
    const second = browserPushSubscription('https://updates.push.services.mozilla.com/wpush/v2/xyz');

    await save(alice, 'phone', { ...second, preview: 'none' });

    expect(await read(alice, 'phone')).toEqual({
      endpointOrigin: 'https://updates.push.services.mozilla.com',
      preview: 'none',
      updatedAt: '2025-03-01T12:00:01.000Z',
    });
    expect(await deps.devices.listPushSubscriptions('alice')).toMatchObject([
      { endpoint: second.endpoint, p256dh: second.keys.p256dh, auth: second.keys.auth },
    ]);
  });

  it('refuses a device the caller does not have, another user’s of the same id included', async () => {
    await expect(save(alice, 'laptop', { ...browserPushSubscription(), preview: 'name' })).rejects.toThrow(
      NotFoundError,
    );
    await save(bob, 'phone', { ...browserPushSubscription(), preview: 'name' });

    await expect(read(alice, 'phone')).rejects.toThrow(NotFoundError);
    await expect(remove(alice, 'laptop')).rejects.toThrow(NotFoundError);
    expect(await deps.devices.listPushSubscriptions('bob')).toHaveLength(1);
    expect(await pushDevicesOf(deps, 'alice')).toEqual([]);
    expect(await pushDevicesOf(deps, 'bob')).toEqual(['phone']);
  });

  it('refuses a revoked device', async () => {
    await revokeDevice(deps)(alice, 'phone');

    await expect(save(alice, 'phone', { ...browserPushSubscription(), preview: 'name' })).rejects.toThrow(
      ForbiddenError,
    );
    expect(await deps.devices.listPushSubscriptions('alice')).toEqual([]);
    expect(await pushDevicesOf(deps, 'alice')).toEqual([]);
  });

  it('is gone once the device is revoked', async () => {
    await save(alice, 'phone', { ...browserPushSubscription(), preview: 'name' });

    await revokeDevice(deps)(alice, 'phone');

    await expect(read(alice, 'phone')).rejects.toThrow(NotFoundError);
    expect(await deps.devices.listPushSubscriptions('alice')).toEqual([]);
    expect(await pushDevicesOf(deps, 'alice')).toEqual([]);
  });

  it('removes the subscription, and removing again changes nothing', async () => {
    await save(alice, 'phone', { ...browserPushSubscription(), preview: 'name' });

    await remove(alice, 'phone');
    await remove(alice, 'phone');

    await expect(read(alice, 'phone')).rejects.toThrow(NotFoundError);
    expect(await deps.devices.listPushSubscriptions('alice')).toEqual([]);
    expect(await pushDevicesOf(deps, 'alice')).toEqual([]);
  });

  it('counts storing against the write allowance', async () => {
    const strict = savePushSubscription({
      ...deps,
      rateLimiter: rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } }),
    });
    await strict(alice, 'phone', { ...browserPushSubscription(), preview: 'name' });

    await expect(strict(alice, 'phone', { ...browserPushSubscription(), preview: 'none' })).rejects.toThrow(
      RateLimitedError,
    );
  });
});
