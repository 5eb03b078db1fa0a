import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import { SessionEndedError } from '../../errors';
import type { ConnectionStore } from '../../ports/connection-store';
import { DynamoDbConnectionStore } from '../dynamodb/dynamodb-connection-store';
import { InMemoryConnectionStore } from '../memory/memory-connection-store';

const table = useLocalTable();
const T0 = Date.UTC(2025, 0, 1);
const HOUR = 60 * 60 * 1000;

describe.each([
  { adapter: 'InMemoryConnectionStore', make: (): ConnectionStore => new InMemoryConnectionStore() },
  {
    adapter: 'DynamoDbConnectionStore',
    make: (): ConnectionStore => new DynamoDbConnectionStore(table.client, table.tableName),
  },
])('$adapter', ({ make }) => {
  let store: ConnectionStore;
  let alice: string;
  let bob: string;

  const open = (userId: string, connectionId: string, connectedAt = T0, expiresAt = connectedAt + 2 * HOUR) =>
    store.put({ userId, connectionId, connectedAt }, expiresAt);

  beforeEach(() => {
    store = make();
    alice = freshId('alice');
    bob = freshId('bob');
  });

  describe('put and delete', () => {
    it('count the open connections after each change', async () => {
      expect(await open(alice, 'phone=')).toEqual({ openConnections: 1 });
      expect(await open(alice, 'laptop=', T0 + 1000)).toEqual({ openConnections: 2 });

      expect(await store.delete(alice, 'phone=', T0 + 2000)).toEqual({ removed: true, openConnections: 1 });
      expect(await store.delete(alice, 'laptop=', T0 + 3000)).toEqual({
        removed: true,
        openConnections: 0,
        lastSeenAt: T0 + 3000,
      });
    });

    it('stores a connection put again under the same id once', async () => {
      await open(alice, 'phone=');

      expect(await open(alice, 'phone=', T0 + 1000)).toEqual({ openConnections: 1 });
      expect(await store.listByUser(alice, T0 + 1000)).toEqual([
        { userId: alice, connectionId: 'phone=', connectedAt: T0 + 1000 },
      ]);
    });

    it('keeps every connection of a first burst of racing puts', async () => {
      const ids = Array.from({ length: 10 }, (_, index) => `device-${index}`);

      await Promise.all(ids.map((id, index) => open(alice, id, T0 + index)));

      const listed = await store.listByUser(alice, T0 + 100);
      expect(listed.map((connection) => connection.connectionId)).toEqual(ids);
    });

    it('treats deleting an unknown connection as no change, and says it removed nothing', async () => {
      await open(alice, 'phone=');

      expect(await store.delete(alice, 'gone=', T0 + 1000)).toEqual({ removed: false });
      expect(await store.listByUser(alice, T0 + 1000)).toHaveLength(1);
    });

    it('removes a connection once: a second delete of it removes nothing and changes no last-seen time', async () => {
      await open(alice, 'phone=');

      expect(await store.delete(alice, 'phone=', T0 + 1000)).toEqual({
        removed: true,
        openConnections: 0,
        lastSeenAt: T0 + 1000,
      });
      expect(await store.delete(alice, 'phone=', T0 + 2000)).toEqual({ removed: false });
      expect(await store.presenceOf([alice], T0 + 2000)).toEqual(
        new Map([[alice, { openConnections: 0, lastSeenAt: T0 + 1000 }]]),
      );
    });

    it('stores nothing for a user without connections', async () => {
      expect(await store.delete(alice, 'phone=', T0)).toEqual({ removed: false });

      expect(await store.presenceOf([alice], T0)).toEqual(new Map());
    });
  });

  describe('expiry', () => {
    it('hides connections past their expiry from every read', async () => {
      await open(alice, 'stale=', T0, T0 + HOUR);
      await open(alice, 'fresh=', T0 + 1000, T0 + 3 * HOUR);

      expect((await store.listByUser(alice, T0 + HOUR - 1)).map((c) => c.connectionId)).toEqual([
        'stale=',
        'fresh=',
      ]);
      expect((await store.listByUser(alice, T0 + HOUR)).map((c) => c.connectionId)).toEqual(['fresh=']);
      expect((await store.listByUsers([alice], T0 + HOUR)).map((c) => c.connectionId)).toEqual(['fresh=']);
      expect((await store.presenceOf([alice], T0 + 3 * HOUR)).get(alice)).toEqual({ openConnections: 0 });
    });

    it('leaves expired connections out of the count a put returns, and removes them', async () => {
      await open(alice, 'stale=', T0, T0 + HOUR);

      expect(await open(alice, 'fresh=', T0 + 2 * HOUR)).toEqual({ openConnections: 1 });

      // Read as of a time the stale one had not expired yet: it is gone all the same.
      expect((await store.listByUser(alice, T0)).map((c) => c.connectionId)).toEqual(['fresh=']);
    });
  });

  describe('listByUsers', () => {
    it('returns the open connections of every user asked for', async () => {
      const carol = freshId('carol');
      await open(alice, 'alice-phone=');
      await open(bob, 'bob-phone=', T0, T0 + 10);
      await open(bob, 'bob-laptop=', T0 + 5);

      const listed = await store.listByUsers([alice, bob, carol, alice], T0 + 10);

      expect(listed).toHaveLength(2);
      expect(listed).toEqual(
        expect.arrayContaining([
          { userId: alice, connectionId: 'alice-phone=', connectedAt: T0 },
          { userId: bob, connectionId: 'bob-laptop=', connectedAt: T0 + 5 },
        ]),
      );
    });

    it('keeps the device a connection named, and leaves it out for one that named none', async () => {
      await store.put(
        { userId: alice, connectionId: 'alice-tab=', connectedAt: T0, deviceId: 'web-1' },
        T0 + HOUR,
      );
      await open(alice, 'alice-cli=');

      const listed = await store.listByUser(alice, T0 + 1);

      expect(listed).toEqual([
        { userId: alice, connectionId: 'alice-cli=', connectedAt: T0 },
        { userId: alice, connectionId: 'alice-tab=', connectedAt: T0, deviceId: 'web-1' },
      ]);
    });

    it('reaches more users than one batch read holds', async () => {
      const users = Array.from({ length: 130 }, (_, index) => `${alice}-${index}`);
      await Promise.all(users.map((userId) => open(userId, `${userId}-phone`)));

      const listed = await store.listByUsers(users, T0);

      expect(new Set(listed.map((connection) => connection.userId))).toEqual(new Set(users));
    });
  });

  describe('reachOf and the devices that take Web Push', () => {
    it('answers every user asked for once, in order, with their connections and push devices', async () => {
      const carol = freshId('carol');
      await store.put(
        { userId: alice, connectionId: 'alice-tab=', connectedAt: T0, deviceId: 'web-1' },
        T0 + HOUR,
      );
      await store.setPushDevice(alice, 'web-2', true);
      await store.setPushDevice(alice, 'web-1', true);
      await store.setPushDevice(alice, 'web-2', true);
      await store.setPushDevice(bob, 'web-9', true);

      const reach = await store.reachOf([bob, alice, carol, bob], T0 + 1);

      expect(reach).toEqual([
        { userId: bob, connections: [], pushDevices: ['web-9'] },
        {
          userId: alice,
          connections: [{ userId: alice, connectionId: 'alice-tab=', connectedAt: T0, deviceId: 'web-1' }],
          pushDevices: ['web-1', 'web-2'],
        },
        { userId: carol, connections: [], pushDevices: [] },
      ]);
    });

    it('forgets one device, or all of a user, and keeps their connections', async () => {
      await open(alice, 'alice-phone=');
      await store.setPushDevice(alice, 'web-1', true);
      await store.setPushDevice(alice, 'web-2', true);

      await store.setPushDevice(alice, 'web-1', false);
      await store.setPushDevice(alice, 'web-1', false);
      expect((await store.reachOf([alice], T0))[0]?.pushDevices).toEqual(['web-2']);

      await store.clearPushDevices(alice);
      await store.clearPushDevices(alice);
      const [reach] = await store.reachOf([alice], T0);
      expect(reach?.pushDevices).toEqual([]);
      expect(reach?.connections.map((connection) => connection.connectionId)).toEqual(['alice-phone=']);
    });

    it('lets a user who only takes pushes connect, and be seen offline meanwhile', async () => {
      await store.setPushDevice(alice, 'web-1', true);
      expect((await store.presenceOf([alice], T0)).get(alice)).toEqual({ openConnections: 0 });

      await expect(open(alice, 'alice-phone=')).resolves.toEqual({ openConnections: 1 });
      expect((await store.reachOf([alice], T0))[0]?.pushDevices).toEqual(['web-1']);
    });

    it('creates nothing when a user who never took pushes stops', async () => {
      await store.setPushDevice(bob, 'web-1', false);
      await store.clearPushDevices(bob);
      expect(await store.presenceOf([bob], T0)).toEqual(new Map());
    });
  });

  describe('presenceOf', () => {
    it('tells who is online, when the others were last seen, and leaves out unknown users', async () => {
      const stranger = freshId('stranger');
      await open(alice, 'phone=');
      await open(alice, 'laptop=');
      await open(bob, 'phone=');
      await store.delete(bob, 'phone=', T0 + 500);

      const presence = await store.presenceOf([alice, bob, stranger], T0 + 1000);

      expect(presence).toEqual(
        new Map([
          [alice, { openConnections: 2 }],
          [bob, { openConnections: 0, lastSeenAt: T0 + 500 }],
        ]),
      );
    });
  });

  describe('sign-out marks', () => {
    const T0_IN_S = T0 / 1000;
    const openWith = (userId: string, connectionId: string, tokenIssuedAt: number) =>
      store.put({ userId, connectionId, connectedAt: T0 + 5000 }, T0 + 2 * HOUR, { tokenIssuedAt });

    it('has no mark for a user who never signed out', async () => {
      await open(alice, 'phone=');

      expect(await store.signedOutAt(alice)).toBeUndefined();
      expect(await store.signedOutAt(bob)).toBeUndefined();
    });

    it('returns the connections open at the sign-out, and keeps the mark', async () => {
      await open(alice, 'phone=');
      await open(alice, 'laptop=', T0 + 1000);
      await open(bob, 'phone=');

      const atSignOut = await store.signOut(alice, T0_IN_S + 2, T0 + 2000);

      expect(atSignOut.map((connection) => connection.connectionId)).toEqual(['phone=', 'laptop=']);
      expect(await store.signedOutAt(alice)).toBe(T0_IN_S + 2);
      expect(await store.signedOutAt(bob)).toBeUndefined();
    });

    it('marks a user who has no connection, who is still reported offline', async () => {
      expect(await store.signOut(alice, T0_IN_S, T0)).toEqual([]);

      expect(await store.signedOutAt(alice)).toBe(T0_IN_S);
      expect((await store.presenceOf([alice], T0)).get(alice)?.openConnections ?? 0).toBe(0);
    });

    it('keeps the later of two marks', async () => {
      await store.signOut(alice, T0_IN_S + 10, T0);
      await store.signOut(alice, T0_IN_S + 5, T0);

      expect(await store.signedOutAt(alice)).toBe(T0_IN_S + 10);
    });

    it('refuses a connection whose token was issued before the mark, and stores nothing', async () => {
      await open(alice, 'phone=');
      await store.signOut(alice, T0_IN_S + 2, T0 + 2000);

      await expect(openWith(alice, 'stolen=', T0_IN_S + 1)).rejects.toThrow(SessionEndedError);
      expect((await store.listByUser(alice, T0 + 6000)).map((c) => c.connectionId)).toEqual(['phone=']);
    });

    it('refuses such a connection as the first one after the sign-out too', async () => {
      await store.signOut(alice, T0_IN_S + 2, T0 + 2000);

      await expect(openWith(alice, 'stolen=', T0_IN_S + 1)).rejects.toThrow(SessionEndedError);
      expect(await store.listByUser(alice, T0 + 6000)).toEqual([]);
    });

    it('stores a connection whose token was issued in the mark second or later', async () => {
      await store.signOut(alice, T0_IN_S + 2, T0 + 2000);

      await openWith(alice, 'fresh=', T0_IN_S + 2);
      await openWith(alice, 'later=', T0_IN_S + 3);

      expect((await store.listByUser(alice, T0 + 6000)).map((c) => c.connectionId).sort()).toEqual([
        'fresh=',
        'later=',
      ]);
    });
  });
});
