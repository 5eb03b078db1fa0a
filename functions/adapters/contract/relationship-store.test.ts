import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import { ValidationError } from '../../errors';
import type { FriendEdge, RelationshipStore } from '../../ports/relationship-store';
import { DynamoDbRelationshipStore } from '../dynamodb/dynamodb-relationship-store';
import { InMemoryRelationshipStore } from '../memory/memory-relationship-store';

const table = useLocalTable();
const T0 = Date.UTC(2025, 0, 1);
const CURSOR = /^[A-Za-z0-9_-]+$/;

describe.each([
  { adapter: 'InMemoryRelationshipStore', make: (): RelationshipStore => new InMemoryRelationshipStore() },
  {
    adapter: 'DynamoDbRelationshipStore',
    make: (): RelationshipStore => new DynamoDbRelationshipStore(table.client, table.tableName),
  },
])('$adapter', ({ make }) => {
  let store: RelationshipStore;
  let alice: string;
  let bob: string;
  let carol: string;

  const request = (from: string, to: string, since = T0): [FriendEdge, FriendEdge] => [
    { userId: from, otherId: to, state: 'outgoing', since },
    { userId: to, otherId: from, state: 'incoming', since },
  ];
  const friendship = (first: string, second: string, since = T0): [FriendEdge, FriendEdge] => [
    { userId: first, otherId: second, state: 'friend', since },
    { userId: second, otherId: first, state: 'friend', since },
  ];

  beforeEach(() => {
    store = make();
    alice = freshId('alice');
    bob = freshId('bob');
    carol = freshId('carol');
  });

  describe('friend edges', () => {
    it('stores both sides of a request, each seen from its own user', async () => {
      await store.putFriendPair(...request(alice, bob));

      expect(await store.relation(alice, bob)).toEqual({
        friend: { userId: alice, otherId: bob, state: 'outgoing', since: T0 },
        blocks: false,
        blockedBy: false,
      });
      expect((await store.relation(bob, alice)).friend).toEqual({
        userId: bob,
        otherId: alice,
        state: 'incoming',
        since: T0,
      });
    });

    it('replaces a request with a friendship', async () => {
      await store.putFriendPair(...request(alice, bob));

      await store.putFriendPair(...friendship(bob, alice, T0 + 1000));

      expect((await store.relation(alice, bob)).friend).toMatchObject({ state: 'friend', since: T0 + 1000 });
      expect((await store.relation(bob, alice)).friend).toMatchObject({ state: 'friend', since: T0 + 1000 });
    });

    it('removes both sides, and removing nothing is not an error', async () => {
      await store.putFriendPair(...friendship(alice, bob));

      await store.deleteFriendPair(bob, alice);
      await store.deleteFriendPair(bob, alice);

      expect((await store.relation(alice, bob)).friend).toBeUndefined();
      expect((await store.relation(bob, alice)).friend).toBeUndefined();
    });

    it('lists only confirmed friends by id', async () => {
      await store.putFriendPair(...friendship(alice, bob));
      await store.putFriendPair(...request(alice, carol));

      expect(await store.listFriendIds(alice)).toEqual([bob]);
      expect(await store.listFriendIds(carol)).toEqual([]);
    });
  });

  describe('listFriends', () => {
    it('pages through every edge in id order, requests included', async () => {
      const others = Array.from({ length: 4 }, (_, index) => `${alice}-friend-${index}`);
      for (const other of others) await store.putFriendPair(...friendship(alice, other));
      await store.putFriendPair(...request(bob, alice));

      const seen: FriendEdge[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listFriends(alice, 2, cursor);
        if (page.next !== undefined) expect(page.next).toMatch(CURSOR);
        seen.push(...page.items);
        cursor = page.next;
        pages += 1;
      } while (cursor !== undefined);

      expect(pages).toBe(3);
      const expected = [...others, bob].sort();
      expect(seen.map((edge) => edge.otherId)).toEqual(expected);
      expect(seen.find((edge) => edge.otherId === bob)?.state).toBe('incoming');
    });

    it('refuses a cursor from another user or not issued at all', async () => {
      await store.putFriendPair(...friendship(alice, bob));
      await store.putFriendPair(...friendship(alice, carol));
      const { next } = await store.listFriends(alice, 1);
      expect(next).toBeDefined();

      await expect(store.listFriends(bob, 1, next)).rejects.toThrow(ValidationError);
      await expect(store.listFriends(alice, 1, 'Z2FyYmFnZQ')).rejects.toThrow(ValidationError);
      await expect(store.listFriends(alice, 1, 'no/cursor=')).rejects.toThrow(ValidationError);
    });
  });

  describe('blocks', () => {
    it('is seen as `blocks` by the blocker and `blockedBy` by the blocked', async () => {
      await store.block({ userId: alice, blockedId: bob, since: T0 });

      expect(await store.relation(alice, bob)).toEqual({ blocks: true, blockedBy: false });
      expect(await store.relation(bob, alice)).toEqual({ blocks: false, blockedBy: true });
    });

    it('is lifted by unblock', async () => {
      await store.block({ userId: alice, blockedId: bob, since: T0 });

      await store.unblock(alice, bob);

      expect(await store.relation(bob, alice)).toEqual({ blocks: false, blockedBy: false });
      expect((await store.listBlocks(alice, 10)).items).toEqual([]);
    });

    it('lists the blocks a user made, in pages', async () => {
      await store.block({ userId: alice, blockedId: bob, since: T0 });
      await store.block({ userId: alice, blockedId: carol, since: T0 + 1 });
      await store.block({ userId: carol, blockedId: alice, since: T0 + 2 });

      const first = await store.listBlocks(alice, 1);
      const second = await store.listBlocks(alice, 1, first.next);

      expect([...first.items, ...second.items]).toEqual(
        [
          { userId: alice, blockedId: bob, since: T0 },
          { userId: alice, blockedId: carol, since: T0 + 1 },
        ].sort((a, b) => (a.blockedId < b.blockedId ? -1 : 1)),
      );
    });

    it('finds who is blocked either way among many users', async () => {
      const others = Array.from({ length: 150 }, (_, index) => `${alice}-other-${index}`);
      await store.block({ userId: alice, blockedId: bob, since: T0 });
      await store.block({ userId: carol, blockedId: alice, since: T0 });
      await store.block({ userId: alice, blockedId: others[120] as string, since: T0 });
      await store.block({ userId: others[7] as string, blockedId: alice, since: T0 });
      // Not about alice: must not count.
      await store.block({ userId: others[3] as string, blockedId: others[4] as string, since: T0 });

      const blocked = await store.blockedEitherWay(alice, [bob, carol, ...others]);

      expect([...blocked].sort()).toEqual([bob, carol, others[120], others[7]].sort());
      expect(await store.blockedEitherWay(alice, [])).toEqual(new Set());
    });

    it('finds everyone a user blocked or was blocked by, without naming them, and forgets lifted blocks', async () => {
      await store.block({ userId: alice, blockedId: bob, since: T0 });
      await store.block({ userId: carol, blockedId: alice, since: T0 });
      // Not about alice: must not count.
      await store.block({ userId: bob, blockedId: carol, since: T0 });

      expect([...(await store.blockedEitherWayOf(alice))].sort()).toEqual([bob, carol].sort());
      expect(await store.blockedEitherWayOf(bob)).toEqual(new Set([alice, carol]));

      await store.unblock(carol, alice);
      expect(await store.blockedEitherWayOf(alice)).toEqual(new Set([bob]));
      expect(await store.blockedEitherWayOf(carol)).toEqual(new Set([bob]));
      // The reverse side is no block of the blocked user's own.
      expect((await store.listBlocks(bob, 10)).items).toEqual([{ userId: bob, blockedId: carol, since: T0 }]);
    });
  });
});
