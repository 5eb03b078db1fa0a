import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryDeps, rateLimiterWith } from '../../../test/support/fixtures';
import { InMemoryDeviceDirectory } from '../../adapters/memory/memory-device-directory';
import type { InMemoryRateLimiter } from '../../adapters/memory/memory-rate-limiter';
import { ConflictError, NotFoundError, RateLimitedError } from '../../errors';
import { listDevices } from './list-devices';
import { registerDevice } from './register-device';
import { renameDevice } from './rename-device';
import { revokeDevice } from './revoke-device';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const KEY = Buffer.alloc(32, 1).toString('base64');
const OTHER_KEY = Buffer.alloc(32, 2).toString('base64');
const alice = { userId: 'alice', correlationId: 'c-alice' };
const bob = { userId: 'bob', correlationId: 'c-bob' };

describe('device directory', () => {
  let deps: ReturnType<typeof memoryDeps> & { devices: InMemoryDeviceDirectory };
  let rateLimiter: InMemoryRateLimiter;
  let register: ReturnType<typeof registerDevice>;
  let revoke: ReturnType<typeof revokeDevice>;
  let list: ReturnType<typeof listDevices>;
  let rename: ReturnType<typeof renameDevice>;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    deps = { ...memoryDeps(), devices: new InMemoryDeviceDirectory() };
    ({ rateLimiter } = deps);
    register = registerDevice(deps);
    revoke = revokeDevice(deps);
    list = listDevices(deps);
    rename = renameDevice(deps);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('registerDevice', () => {
    it('registers a device of the caller with its key and name', async () => {
      const device = await register(alice, { deviceId: 'phone', signaturePublicKey: KEY, name: 'Phone' });

      expect(device).toEqual({
        userId: 'alice',
        deviceId: 'phone',
        signaturePublicKey: KEY,
        name: 'Phone',
        createdAt: '2025-03-01T12:00:00.000Z',
        revoked: false,
      });
      expect(rateLimiter.countOf('alice', 'write', T0)).toBe(1);
    });

    it('returns the stored device when the same key registers again', async () => {
      const first = await register(alice, { deviceId: 'phone', signaturePublicKey: KEY, name: 'Phone' });
      vi.advanceTimersByTime(1000);

      await expect(register(alice, { deviceId: 'phone', signaturePublicKey: KEY })).resolves.toEqual(first);
    });

    it('refuses another key for a registered device id', async () => {
      await register(alice, { deviceId: 'phone', signaturePublicKey: KEY });

      await expect(register(alice, { deviceId: 'phone', signaturePublicKey: OTHER_KEY })).rejects.toThrow(
        ConflictError,
      );
      expect((await list('alice'))[0]?.signaturePublicKey).toBe(KEY);
    });

    it('lets two users use the same device id', async () => {
      await register(alice, { deviceId: 'phone', signaturePublicKey: KEY });

      await expect(
        register(bob, { deviceId: 'phone', signaturePublicKey: OTHER_KEY }),
      ).resolves.toMatchObject({ userId: 'bob', signaturePublicKey: OTHER_KEY });
    });

    it('counts against the write allowance', async () => {
      const strict = registerDevice({
        ...deps,
        rateLimiter: rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } }),
      });
      await strict(alice, { deviceId: 'phone', signaturePublicKey: KEY });

      await expect(strict(alice, { deviceId: 'laptop', signaturePublicKey: KEY })).rejects.toThrow(
        RateLimitedError,
      );
      expect(await list('alice')).toHaveLength(1);
    });

    it('refuses a device past the cap of unrevoked devices with LIMIT_REACHED; a repeat or a revocation frees it', async () => {
      const capped = registerDevice({ ...deps, caps: { devicesPerUser: 2 } });
      await capped(alice, { deviceId: 'phone', signaturePublicKey: KEY });
      await capped(alice, { deviceId: 'laptop', signaturePublicKey: OTHER_KEY });

      await expect(capped(alice, { deviceId: 'tablet', signaturePublicKey: KEY })).rejects.toMatchObject({
        code: 'LIMIT_REACHED',
        cap: 'devicesPerUser',
      });
      expect((await list('alice')).map((device) => device.deviceId)).toEqual(['laptop', 'phone']);
      await expect(capped(alice, { deviceId: 'phone', signaturePublicKey: KEY })).resolves.toMatchObject({
        deviceId: 'phone',
      });
      await expect(capped(bob, { deviceId: 'tablet', signaturePublicKey: KEY })).resolves.toBeDefined();

      await revoke(alice, 'phone');
      await expect(capped(alice, { deviceId: 'tablet', signaturePublicKey: KEY })).resolves.toMatchObject({
        deviceId: 'tablet',
      });
    });
  });

  describe('revokeDevice and listDevices', () => {
    it('keeps a revoked device listed, marked with when it was revoked', async () => {
      await register(alice, { deviceId: 'phone', signaturePublicKey: KEY });
      await register(alice, { deviceId: 'laptop', signaturePublicKey: OTHER_KEY });
      vi.advanceTimersByTime(60_000);

      await revoke(alice, 'phone');

      expect(await list('alice')).toEqual([
        expect.objectContaining({ deviceId: 'laptop', revoked: false }),
        expect.objectContaining({ deviceId: 'phone', revoked: true, revokedAt: '2025-03-01T12:01:00.000Z' }),
      ]);
    });

    it('revokes twice without complaint, keeping the first time', async () => {
      await register(alice, { deviceId: 'phone', signaturePublicKey: KEY });
      await revoke(alice, 'phone');
      vi.advanceTimersByTime(60_000);

      await revoke(alice, 'phone');

      expect((await list('alice'))[0]?.revokedAt).toBe('2025-03-01T12:00:00.000Z');
    });

    it('does not revoke a device the caller does not have, even if another user has one of that id', async () => {
      await register(bob, { deviceId: 'phone', signaturePublicKey: KEY });

      await expect(revoke(alice, 'phone')).rejects.toThrow(NotFoundError);
      expect((await list('bob'))[0]?.revoked).toBe(false);
    });

    it('keeps a revoked device revoked when it registers again with its key', async () => {
      await register(alice, { deviceId: 'phone', signaturePublicKey: KEY });
      await revoke(alice, 'phone');

      await expect(register(alice, { deviceId: 'phone', signaturePublicKey: KEY })).resolves.toMatchObject({
        revoked: true,
      });
    });

    it('lists no devices for a user without any', async () => {
      await expect(list('nobody')).resolves.toEqual([]);
    });
  });

  describe('renameDevice', () => {
    it('names the caller’s device, keeping its key', async () => {
      await register(alice, { deviceId: 'phone', signaturePublicKey: KEY, name: 'Chrome on Android' });

      await expect(rename(alice, 'phone', 'My phone')).resolves.toMatchObject({
        deviceId: 'phone',
        name: 'My phone',
        signaturePublicKey: KEY,
      });
      expect((await list('alice'))[0]?.name).toBe('My phone');
    });

    it('does not rename another user’s device of the same id', async () => {
      await register(bob, { deviceId: 'phone', signaturePublicKey: KEY, name: 'Bob’s phone' });

      await expect(rename(alice, 'phone', 'Mine now')).rejects.toThrow(NotFoundError);
      expect((await list('bob'))[0]?.name).toBe('Bob’s phone');
    });

    it('counts against the write allowance', async () => {
      await register(alice, { deviceId: 'phone', signaturePublicKey: KEY, name: 'Phone' });
      const strict = renameDevice({
        ...deps,
        rateLimiter: rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } }),
      });
      await strict(alice, 'phone', 'Work phone');

      await expect(strict(alice, 'phone', 'Old phone')).rejects.toThrow(RateLimitedError);
      expect((await list('alice'))[0]?.name).toBe('Work phone');
    });
  });
});
