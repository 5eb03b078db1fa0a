import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { befriend, seedConversation } from '../../../test/support/fixtures';
import { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import { InMemoryDeviceDirectory } from '../../adapters/memory/memory-device-directory';
import { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import { InMemoryHistoryTransferStore } from '../../adapters/memory/memory-history-transfer-store';
import { InMemoryKeyPackageStore } from '../../adapters/memory/memory-key-package-store';
import { InMemoryRateLimiter } from '../../adapters/memory/memory-rate-limiter';
import { InMemoryRelationshipStore } from '../../adapters/memory/memory-relationship-store';
import { type Caps, DEFAULT_CAPS } from '../../caps';
import { ForbiddenError, NotFoundError, RateLimitedError } from '../../errors';
import { DEFAULT_RATE_LIMITS } from '../../rate-limits';
import { claimKeyPackages } from './claim-key-packages';
import { countKeyPackages } from './count-key-packages';
import { registerDevice } from './register-device';
import { revokeDevice } from './revoke-device';
import { uploadKeyPackages } from './upload-key-packages';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const KEY = Buffer.alloc(32, 1).toString('base64');
const b64 = (text: string) => Buffer.from(text).toString('base64');
const alice = { userId: 'alice', correlationId: 'c-alice' };
const bob = { userId: 'bob', correlationId: 'c-bob' };
const carol = { userId: 'carol', correlationId: 'c-carol' };

describe('key packages', () => {
  let deps: {
    devices: InMemoryDeviceDirectory;
    connections: InMemoryConnectionStore;
    fanout: InMemoryFanoutQueue;
    historyTransfers: InMemoryHistoryTransferStore;
    keyPackages: InMemoryKeyPackageStore;
    relationships: InMemoryRelationshipStore;
    conversations: InMemoryConversationStore;
    rateLimiter: InMemoryRateLimiter;
    caps: Caps;
    clock: () => number;
  };
  let upload: ReturnType<typeof uploadKeyPackages>;
  let count: ReturnType<typeof countKeyPackages>;
  let claim: ReturnType<typeof claimKeyPackages>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = {
      devices: new InMemoryDeviceDirectory(),
      connections: new InMemoryConnectionStore(),
      fanout: new InMemoryFanoutQueue(),
      historyTransfers: new InMemoryHistoryTransferStore(),
      keyPackages: new InMemoryKeyPackageStore(),
      relationships: new InMemoryRelationshipStore(),
      conversations: new InMemoryConversationStore(),
      rateLimiter: new InMemoryRateLimiter(DEFAULT_RATE_LIMITS),
      caps: DEFAULT_CAPS,
      clock: () => Date.now(),
    };
    // Alice is Bob's friend; Carol shares a group with him; Dave is a stranger to both.
    await befriend(deps.relationships, 'alice', 'bob', T0);
    await befriend(deps.relationships, 'alice', 'carol', T0);
    await seedConversation(deps.conversations, {
      conversationId: 'g_bob_carol',
      kind: 'group',
      memberIds: ['bob', 'carol'],
      now: T0,
    });
    upload = uploadKeyPackages(deps);
    count = countKeyPackages(deps);
    claim = claimKeyPackages(deps);
    const register = registerDevice(deps);
    await register(bob, { deviceId: 'phone', signaturePublicKey: KEY });
    await register(bob, { deviceId: 'laptop', signaturePublicKey: KEY });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('uploadKeyPackages and countKeyPackages', () => {
    it('stores packages for my device and tells how many are left', async () => {
      await expect(
        upload(bob, 'phone', { keyPackages: [b64('p1'), b64('p2')], lastResort: b64('lr') }),
      ).resolves.toEqual({ remaining: 2, lastResort: true });
      await expect(count(bob, 'phone')).resolves.toEqual({ remaining: 2, lastResort: true });
      await expect(count(bob, 'laptop')).resolves.toEqual({ remaining: 0, lastResort: false });
      expect(deps.rateLimiter.countOf('bob', 'write', T0)).toBe(3);
    });

    it('refuses a device that is not mine, and stores nothing', async () => {
      await expect(upload(alice, 'phone', { keyPackages: [b64('p1')] })).rejects.toThrow(NotFoundError);
      await expect(count(alice, 'phone')).rejects.toThrow(NotFoundError);
      await expect(count(bob, 'phone')).resolves.toEqual({ remaining: 0, lastResort: false });
    });

    it('refuses a revoked device', async () => {
      await revokeDevice(deps)(bob, 'phone');

      await expect(upload(bob, 'phone', { keyPackages: [b64('p1')] })).rejects.toThrow(ForbiddenError);
      await expect(count(bob, 'phone')).resolves.toEqual({ remaining: 0, lastResort: false });
    });

    it('refuses an upload that would pass the cap of unclaimed packages with LIMIT_REACHED, storing none of it', async () => {
      const capped = uploadKeyPackages({ ...deps, caps: { keyPackagesPerDevice: 3 } });
      await capped(bob, 'phone', { keyPackages: [b64('p1'), b64('p2')] });

      await expect(capped(bob, 'phone', { keyPackages: [b64('p3'), b64('p4')] })).rejects.toMatchObject({
        code: 'LIMIT_REACHED',
        cap: 'keyPackagesPerDevice',
      });
      await expect(count(bob, 'phone')).resolves.toEqual({ remaining: 2, lastResort: false });
      await expect(capped(bob, 'phone', { keyPackages: [b64('p3')] })).resolves.toEqual({
        remaining: 3,
        lastResort: false,
      });
      // A claim makes room again.
      await claim(alice, [bob.userId]);
      await expect(capped(bob, 'phone', { keyPackages: [b64('p4')] })).resolves.toMatchObject({
        remaining: 3,
      });
    });
  });

  describe('claimKeyPackages', () => {
    it('hands out one package per device, then the last resort, and lists devices with none', async () => {
      await upload(bob, 'phone', { keyPackages: [b64('p1')], lastResort: b64('lr') });
      await upload(bob, 'laptop', { keyPackages: [b64('l1')] });

      const first = await claim(alice, ['bob']);
      const second = await claim(alice, ['bob']);

      expect(first).toEqual({
        items: [
          { userId: 'bob', deviceId: 'laptop', keyPackage: b64('l1'), lastResort: false },
          { userId: 'bob', deviceId: 'phone', keyPackage: b64('p1'), lastResort: false },
        ],
        missing: [],
      });
      expect(second).toEqual({
        items: [{ userId: 'bob', deviceId: 'phone', keyPackage: b64('lr'), lastResort: true }],
        missing: [{ userId: 'bob', deviceId: 'laptop' }],
      });
      await expect(count(bob, 'phone')).resolves.toEqual({ remaining: 0, lastResort: true });
    });

    it('skips revoked devices', async () => {
      await upload(bob, 'phone', { keyPackages: [b64('p1')], lastResort: b64('lr') });
      await revokeDevice(deps)(bob, 'phone');

      await expect(claim(alice, ['bob'])).resolves.toEqual({
        items: [],
        missing: [{ userId: 'bob', deviceId: 'laptop' }],
      });
      await expect(count(bob, 'phone')).resolves.toEqual({ remaining: 1, lastResort: true });
    });

    it('claims once per user, however often the user is named, and nothing for users without devices', async () => {
      await upload(bob, 'phone', { keyPackages: [b64('p1'), b64('p2')] });

      const result = await claim(alice, ['bob', 'bob', 'carol']);

      expect(result.items).toEqual([expect.objectContaining({ deviceId: 'phone', keyPackage: b64('p1') })]);
      await expect(count(bob, 'phone')).resolves.toEqual({ remaining: 1, lastResort: false });
    });

    it('refuses users who are neither friends nor co-members, and consumes nothing', async () => {
      await upload(bob, 'phone', { keyPackages: [b64('p1')] });

      await expect(claim({ userId: 'dave' }, ['bob'])).rejects.toThrow(ForbiddenError);
      await expect(count(bob, 'phone')).resolves.toEqual({ remaining: 1, lastResort: false });
    });

    it('refuses users blocked either way, and consumes nothing', async () => {
      await upload(bob, 'phone', { keyPackages: [b64('p1')] });
      await deps.relationships.block({ userId: 'bob', blockedId: 'alice', since: T0 });
      await deps.relationships.block({ userId: 'carol', blockedId: 'dave', since: T0 });

      await expect(claim(alice, ['bob'])).rejects.toThrow(ForbiddenError);
      await expect(claim({ userId: 'dave' }, ['bob', 'carol'])).rejects.toThrow(ForbiddenError);
      await expect(claim(carol, ['bob'])).resolves.toMatchObject({ items: [{ keyPackage: b64('p1') }] });
    });

    it('lets me claim packages of my own other devices', async () => {
      await upload(bob, 'laptop', { keyPackages: [b64('l1')] });

      await expect(claim(bob, ['bob'])).resolves.toMatchObject({ items: [{ deviceId: 'laptop' }] });
    });

    it('counts against the write allowance', async () => {
      const strict = claimKeyPackages({
        ...deps,
        rateLimiter: new InMemoryRateLimiter({
          ...DEFAULT_RATE_LIMITS,
          write: { limit: 1, windowSeconds: 60 },
        }),
      });
      await upload(bob, 'phone', { keyPackages: [b64('p1'), b64('p2')] });
      await strict(alice, ['bob']);

      await expect(strict(alice, ['bob'])).rejects.toThrow(RateLimitedError);
      await expect(count(bob, 'phone')).resolves.toEqual({ remaining: 1, lastResort: false });
    });
  });
});
