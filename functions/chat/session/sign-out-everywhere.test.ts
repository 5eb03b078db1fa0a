import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type MemoryDeps, memoryDeps } from '../../../test/support/fixtures';
import { InMemoryDeviceDirectory } from '../../adapters/memory/memory-device-directory';
import { SessionEndedError } from '../../errors';
import { checkSession, signOutMarkFor } from './session-mark';
import { signOutEverywhere } from './sign-out-everywhere';

// 400 ms into a second: the mark is the next whole second.
const T0 = Date.parse('2025-03-01T12:00:00.400Z');
const T0_IN_S = Math.floor(T0 / 1000);
const HOUR = 3_600_000;
const alice = { userId: 'alice-id', username: 'alice', correlationId: 'req-1' };

describe('signOutEverywhere', () => {
  let deps: MemoryDeps;
  let devices: InMemoryDeviceDirectory;
  let waits: number[];
  let signOut: ReturnType<typeof signOutEverywhere>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps();
    devices = new InMemoryDeviceDirectory();
    waits = [];
    signOut = signOutEverywhere({
      ...deps,
      devices,
      sleep: async (ms) => {
        waits.push(ms);
        vi.advanceTimersByTime(ms);
      },
    });
    for (const id of ['phone', 'laptop']) {
      await deps.connections.put(
        { connectionId: id, userId: alice.userId, connectedAt: T0 - 1000 },
        T0 + HOUR,
      );
    }
    await deps.connections.put({ connectionId: 'bob-phone', userId: 'bob-id', connectedAt: T0 }, T0 + HOUR);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("revokes the account's refresh tokens at the identity provider", async () => {
    await signOut(alice);

    expect(deps.accounts.signedOut).toEqual(['alice']);
  });

  it("queues the closing of every open connection of the user's, and no one else's", async () => {
    await signOut(alice);

    expect(deps.fanout.jobs).toEqual([
      {
        kind: 'close',
        userId: alice.userId,
        connections: [
          { connectionId: 'laptop', connectedAt: T0 - 1000 },
          { connectionId: 'phone', connectedAt: T0 - 1000 },
        ],
        correlationId: 'req-1',
      },
    ]);
  });

  it('queues nothing to close for a user with no open connection', async () => {
    await signOut({ ...alice, userId: 'carol-id', username: 'carol' });

    expect(deps.fanout.jobs).toEqual([]);
    expect(deps.accounts.signedOut).toEqual(['carol']);
  });

  it('ends every token issued up to the sign-out, its own second included, and answers when the next begins', async () => {
    await signOut(alice);
    const check = checkSession(deps);

    expect(await deps.connections.signedOutAt(alice.userId)).toBe(T0_IN_S + 1);
    await expect(check({ userId: alice.userId, issuedAt: T0_IN_S })).rejects.toThrow(SessionEndedError);
    await expect(check({ userId: alice.userId, issuedAt: T0_IN_S + 1 })).resolves.toBeUndefined();
    await expect(check({ userId: 'bob-id', issuedAt: T0_IN_S - 100 })).resolves.toBeUndefined();
    expect(waits).toEqual([600]);
    expect(Date.now()).toBe((T0_IN_S + 1) * 1000);
  });

  it('removes the push subscription of every device of the user’s, and no one else’s', async () => {
    const subscription = {
      endpoint: 'https://push.example.com/send/1',
      p256dh: `B${'A'.repeat(86)}`,
      auth: 'AAAAAAAAAAAAAAAAAAAAAA',
      preview: 'name',
      updatedAt: T0,
    } as const;
    for (const [userId, deviceId] of [
      [alice.userId, 'phone'],
      [alice.userId, 'laptop'],
      ['bob-id', 'phone'],
    ] as const) {
      await devices.registerIfAbsent({
        userId,
        deviceId,
        signaturePublicKey: new Uint8Array(32),
        createdAt: T0,
      });
      await devices.setPushSubscription({ ...subscription, userId, deviceId });
      await deps.connections.setPushDevice(userId, deviceId, true);
    }

    await signOut(alice);

    expect(await devices.listPushSubscriptions(alice.userId)).toEqual([]);
    const reach = await deps.connections.reachOf([alice.userId, 'bob-id'], T0);
    expect(reach.map((user) => user.pushDevices)).toEqual([[], ['phone']]);
    expect(await devices.listPushSubscriptions('bob-id')).toEqual([
      { ...subscription, userId: 'bob-id', deviceId: 'phone' },
    ]);
  });

  it('can be repeated: a second sign-out moves the mark on', async () => {
    await signOut(alice);
    await signOut(alice);

    expect(await deps.connections.signedOutAt(alice.userId)).toBe(T0_IN_S + 2);
    expect(deps.accounts.signedOut).toEqual(['alice', 'alice']);
  });
});

describe('signOutMarkFor', () => {
  it.each([
    ['2025-01-01T00:00:00.000Z', 1_735_689_601],
    ['2025-01-01T00:00:00.400Z', 1_735_689_601],
    ['2025-01-01T00:00:00.999Z', 1_735_689_601],
  ])('marks a sign-out at %s with the next whole second', (at, mark) => {
    expect(signOutMarkFor(Date.parse(at))).toBe(mark);
  });
});
