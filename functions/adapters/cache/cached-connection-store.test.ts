import { describe, expect, it } from 'vitest';
import type { ConnectionStore } from '../../ports/connection-store';
import { InMemoryConnectionStore } from '../memory/memory-connection-store';
import { CachedConnectionStore } from './cached-connection-store';

const T0 = Date.UTC(2025, 0, 1);
const HOUR = 60 * 60 * 1000;
const TTL = 2_000;

/** An in-memory store that counts the users each read of connections asks for. */
function countingStore() {
  const store = new InMemoryConnectionStore();
  const asked: string[][] = [];
  const counting: ConnectionStore = {
    put: (connection, expiresAt, options) => store.put(connection, expiresAt, options),
    signedOutAt: (userId) => store.signedOutAt(userId),
    signOut: (userId, signedOutAt, now) => store.signOut(userId, signedOutAt, now),
    delete: (userId, connectionId, now) => store.delete(userId, connectionId, now),
    listByUser: (userId, now) => store.listByUser(userId, now),
    presenceOf: (userIds, now) => store.presenceOf(userIds, now),
    listByUsers: (userIds, now) => {
      asked.push([...userIds]);
      return store.listByUsers(userIds, now);
    },
    reachOf: (userIds, now) => {
      asked.push([...userIds]);
      return store.reachOf(userIds, now);
    },
    setPushDevice: (userId, deviceId, subscribed) => store.setPushDevice(userId, deviceId, subscribed),
    clearPushDevices: (userId) => store.clearPushDevices(userId),
  };
  return { store, counting, asked };
}

describe('CachedConnectionStore', () => {
  it('reads afresh for a caller that takes no old view', async () => {
    const { counting, asked } = countingStore();
    const cache = new CachedConnectionStore(counting, 100);

    await cache.listByUsers(['alice'], T0);
    await cache.listByUsers(['alice'], T0);

    expect(asked).toEqual([['alice'], ['alice']]);
  });

  it('reads each user once within the window, and again after it', async () => {
    const { store, counting, asked } = countingStore();
    await store.put({ userId: 'alice', connectionId: 'a1', connectedAt: T0 }, T0 + HOUR);
    const cache = new CachedConnectionStore(counting, 100);

    const first = await cache.listByUsers(['alice', 'bob'], T0, { maxAgeInMs: TTL });
    const second = await cache.listByUsers(['bob', 'alice', 'alice'], T0 + TTL - 1, { maxAgeInMs: TTL });
    await cache.listByUsers(['alice', 'carol'], T0 + TTL, { maxAgeInMs: TTL });

    expect(first.map((c) => c.connectionId)).toEqual(['a1']);
    expect(second.map((c) => c.connectionId)).toEqual(['a1']);
    expect(asked).toEqual([
      ['alice', 'bob'],
      ['alice', 'carol'],
    ]);
  });

  it('misses a connection opened in another environment for at most the window', async () => {
    const { store, counting } = countingStore();
    const cache = new CachedConnectionStore(counting, 100);
    await cache.listByUsers(['bob'], T0, { maxAgeInMs: TTL });
    await store.put({ userId: 'bob', connectionId: 'b1', connectedAt: T0 + 10 }, T0 + HOUR);

    expect(await cache.listByUsers(['bob'], T0 + 10, { maxAgeInMs: TTL })).toEqual([]);
    expect(
      (await cache.listByUsers(['bob'], T0 + TTL, { maxAgeInMs: TTL })).map((c) => c.connectionId),
    ).toEqual(['b1']);
  });

  it('forgets a connection deleted through it at once, and deletes it in the store', async () => {
    const { store, counting } = countingStore();
    await store.put({ userId: 'alice', connectionId: 'a1', connectedAt: T0 }, T0 + HOUR);
    await store.put({ userId: 'alice', connectionId: 'a2', connectedAt: T0 }, T0 + HOUR);
    const cache = new CachedConnectionStore(counting, 100);
    await cache.listByUsers(['alice'], T0, { maxAgeInMs: TTL });

    await cache.delete('alice', 'a1', T0 + 1);

    expect(
      (await cache.listByUsers(['alice'], T0 + 2, { maxAgeInMs: TTL })).map((c) => c.connectionId),
    ).toEqual(['a2']);
    expect((await store.listByUser('alice', T0 + 2)).map((c) => c.connectionId)).toEqual(['a2']);
  });

  it('keeps at most the users it may, dropping the longest kept', async () => {
    const { counting, asked } = countingStore();
    const cache = new CachedConnectionStore(counting, 2);

    await cache.listByUsers(['a', 'b'], T0, { maxAgeInMs: TTL });
    await cache.listByUsers(['c'], T0, { maxAgeInMs: TTL });
    await cache.listByUsers(['b', 'c', 'a'], T0, { maxAgeInMs: TTL });

    expect(asked).toEqual([['a', 'b'], ['c'], ['a']]);
  });
});
