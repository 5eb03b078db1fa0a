import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import type { DeviceDirectory, DeviceRecord, PushSubscriptionRecord } from '../../ports/device-directory';
import { DynamoDbDeviceDirectory } from '../dynamodb/dynamodb-device-directory';
import { InMemoryDeviceDirectory } from '../memory/memory-device-directory';

const table = useLocalTable();
const T0 = Date.UTC(2025, 0, 1);
const KEY = new Uint8Array(32).fill(7);
const OTHER_KEY = new Uint8Array(32).fill(9);

describe.each([
  { adapter: 'InMemoryDeviceDirectory', make: (): DeviceDirectory => new InMemoryDeviceDirectory() },
  {
    adapter: 'DynamoDbDeviceDirectory',
    make: (): DeviceDirectory => new DynamoDbDeviceDirectory(table.client, table.tableName),
  },
])('$adapter', ({ make }) => {
  let devices: DeviceDirectory;
  let alice: string;
  let bob: string;

  const phone = (userId: string, overrides: Partial<DeviceRecord> = {}): DeviceRecord => ({
    userId,
    deviceId: 'phone',
    signaturePublicKey: KEY,
    name: 'Phone',
    createdAt: T0,
    ...overrides,
  });

  const subscription = (
    userId: string,
    overrides: Partial<PushSubscriptionRecord> = {},
  ): PushSubscriptionRecord => ({
    userId,
    deviceId: 'phone',
    endpoint: 'https://push.example.com/send/abc',
    p256dh: `B${'A'.repeat(86)}`,
    auth: 'AAAAAAAAAAAAAAAAAAAAAA',
    preview: 'name',
    updatedAt: T0,
    ...overrides,
  });

  beforeEach(() => {
    devices = make();
    alice = freshId('alice');
    bob = freshId('bob');
  });

  it('stores a device once, and a repeat returns the first one unchanged', async () => {
    expect(await devices.registerIfAbsent(phone(alice))).toEqual({ ...phone(alice), created: true });

    const again = await devices.registerIfAbsent(
      phone(alice, { signaturePublicKey: OTHER_KEY, createdAt: T0 + 5, name: 'Other' }),
    );

    expect(again).toEqual(phone(alice));
    expect(await devices.get(alice, 'phone')).toEqual(phone(alice));
  });

  it('keeps each user’s device ids apart', async () => {
    await devices.registerIfAbsent(phone(alice));

    expect(await devices.registerIfAbsent(phone(bob, { signaturePublicKey: OTHER_KEY }))).toMatchObject({
      created: true,
    });
    expect(await devices.get(bob, 'phone')).toEqual(phone(bob, { signaturePublicKey: OTHER_KEY }));
  });

  it('stores a device without a name', async () => {
    const { name: _name, ...unnamed } = phone(alice);
    await devices.registerIfAbsent(unnamed);

    expect(await devices.get(alice, 'phone')).toEqual(unnamed);
  });

  it('lists a user’s devices in id order, revoked ones included, and nobody else’s', async () => {
    await devices.registerIfAbsent(phone(alice, { deviceId: 'tablet' }));
    await devices.registerIfAbsent(phone(alice, { deviceId: 'laptop' }));
    await devices.registerIfAbsent(phone(bob));
    await devices.revoke(alice, 'tablet', T0 + 10);

    expect(await devices.list(alice)).toEqual([
      phone(alice, { deviceId: 'laptop' }),
      phone(alice, { deviceId: 'tablet', revokedAt: T0 + 10 }),
    ]);
    expect(await devices.list(freshId('nobody'))).toEqual([]);
  });

  it('revokes once: a second revocation keeps the first time and says it changed nothing', async () => {
    await devices.registerIfAbsent(phone(alice));

    expect(await devices.revoke(alice, 'phone', T0 + 10)).toEqual({
      ...phone(alice, { revokedAt: T0 + 10 }),
      revokedNow: true,
    });
    expect(await devices.revoke(alice, 'phone', T0 + 20)).toEqual(phone(alice, { revokedAt: T0 + 10 }));
    expect(await devices.get(alice, 'phone')).toEqual(phone(alice, { revokedAt: T0 + 10 }));
  });

  it('revokes nothing that is not there', async () => {
    await devices.registerIfAbsent(phone(bob));

    expect(await devices.revoke(alice, 'phone', T0)).toBeUndefined();
    expect(await devices.get(alice, 'phone')).toBeUndefined();
    expect(await devices.get(bob, 'phone')).toEqual(phone(bob));
  });

  it('renames a device, revoked or not, and no other user’s device of the same id', async () => {
    await devices.registerIfAbsent(phone(alice));
    await devices.registerIfAbsent(phone(bob));

    expect(await devices.rename(alice, 'phone', 'Firefox on Linux')).toEqual(
      phone(alice, { name: 'Firefox on Linux' }),
    );
    expect(await devices.get(bob, 'phone')).toEqual(phone(bob));
    await devices.revoke(alice, 'phone', T0 + 10);
    expect(await devices.rename(alice, 'phone', 'Old laptop')).toEqual(
      phone(alice, { name: 'Old laptop', revokedAt: T0 + 10 }),
    );
    expect(await devices.get(alice, 'phone')).toEqual(
      phone(alice, { name: 'Old laptop', revokedAt: T0 + 10 }),
    );
  });

  it('renames nothing that is not there, and stores nothing', async () => {
    expect(await devices.rename(alice, 'phone', 'Tablet')).toBeUndefined();
    expect(await devices.list(alice)).toEqual([]);
  });

  describe('push subscriptions', () => {
    it('stores one per device, a new one in place of the old, and reads it back with its keys', async () => {
      await devices.registerIfAbsent(phone(alice));

      expect(await devices.setPushSubscription(subscription(alice))).toBe('stored');
      expect(await devices.getPushSubscription(alice, 'phone')).toEqual(subscription(alice));
      const replacement = subscription(alice, {
        endpoint: 'https://push.example.com/send/xyz',
        auth: 'BBBBBBBBBBBBBBBBBBBBBB',
        preview: 'none',
        updatedAt: T0 + 5,
      });
      expect(await devices.setPushSubscription(replacement)).toBe('stored');
      expect(await devices.getPushSubscription(alice, 'phone')).toEqual(replacement);
      expect(await devices.listPushSubscriptions(alice)).toEqual([replacement]);
    });

    it('leaves the device as it was', async () => {
      await devices.registerIfAbsent(phone(alice));
      await devices.setPushSubscription(subscription(alice));

      expect(await devices.get(alice, 'phone')).toEqual(phone(alice));
      expect(await devices.list(alice)).toEqual([phone(alice)]);
    });

    it('stores none for a device that is not there, or revoked, and creates no device', async () => {
      await devices.registerIfAbsent(phone(bob));
      await devices.registerIfAbsent(phone(alice, { deviceId: 'laptop' }));
      await devices.revoke(alice, 'laptop', T0 + 1);

      expect(await devices.setPushSubscription(subscription(alice))).toBe('absent');
      expect(await devices.setPushSubscription(subscription(alice, { deviceId: 'laptop' }))).toBe('revoked');
      expect(await devices.listPushSubscriptions(alice)).toEqual([]);
      expect(await devices.list(alice)).toEqual([phone(alice, { deviceId: 'laptop', revokedAt: T0 + 1 })]);
    });

    it('removes a subscription when its device is revoked', async () => {
      await devices.registerIfAbsent(phone(alice));
      await devices.setPushSubscription(subscription(alice));

      await devices.revoke(alice, 'phone', T0 + 10);

      expect(await devices.getPushSubscription(alice, 'phone')).toBeUndefined();
      expect(await devices.listPushSubscriptions(alice)).toEqual([]);
    });

    it('removes one device’s subscription, again without harm, and no other', async () => {
      await devices.registerIfAbsent(phone(alice));
      await devices.registerIfAbsent(phone(alice, { deviceId: 'laptop' }));
      await devices.registerIfAbsent(phone(bob));
      await devices.setPushSubscription(subscription(alice));
      await devices.setPushSubscription(subscription(alice, { deviceId: 'laptop' }));
      await devices.setPushSubscription(subscription(bob));

      await devices.removePushSubscription(alice, 'phone');
      await devices.removePushSubscription(alice, 'phone');
      await devices.removePushSubscription(alice, 'tablet');

      expect(await devices.getPushSubscription(alice, 'phone')).toBeUndefined();
      expect(await devices.listPushSubscriptions(alice)).toEqual([
        subscription(alice, { deviceId: 'laptop' }),
      ]);
      expect(await devices.listPushSubscriptions(bob)).toEqual([subscription(bob)]);
      expect(await devices.list(alice)).toEqual([phone(alice, { deviceId: 'laptop' }), phone(alice)]);
    });

    it('removes a subscription named by its endpoint only while it still goes there', async () => {
      await devices.registerIfAbsent(phone(alice));
      const old = subscription(alice);
      await devices.setPushSubscription(old);
      const renewed = subscription(alice, { endpoint: 'https://push.example.net/renewed' });
      await devices.setPushSubscription(renewed);

      await devices.removePushSubscription(alice, 'phone', { endpoint: old.endpoint });
      expect(await devices.getPushSubscription(alice, 'phone')).toEqual(renewed);

      await devices.removePushSubscription(alice, 'phone', { endpoint: renewed.endpoint });
      await devices.removePushSubscription(alice, 'absent', { endpoint: renewed.endpoint });
      expect(await devices.getPushSubscription(alice, 'phone')).toBeUndefined();
      expect(await devices.list(alice)).toEqual([phone(alice)]);
    });

    it('lists a user’s subscriptions in device id order, and removes them all at once, nobody else’s', async () => {
      for (const deviceId of ['tablet', 'laptop', 'watch']) {
        await devices.registerIfAbsent(phone(alice, { deviceId }));
      }
      await devices.registerIfAbsent(phone(bob));
      await devices.setPushSubscription(subscription(alice, { deviceId: 'tablet' }));
      await devices.setPushSubscription(subscription(alice, { deviceId: 'laptop', preview: 'none' }));
      await devices.setPushSubscription(subscription(bob));

      expect(await devices.listPushSubscriptions(alice)).toEqual([
        subscription(alice, { deviceId: 'laptop', preview: 'none' }),
        subscription(alice, { deviceId: 'tablet' }),
      ]);

      await devices.removePushSubscriptions(alice);

      expect(await devices.listPushSubscriptions(alice)).toEqual([]);
      expect(await devices.listPushSubscriptions(bob)).toEqual([subscription(bob)]);
      expect(await devices.list(alice)).toHaveLength(3);
    });
  });
});
