import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import { FriendsFullError, ValidationError } from '../../errors';
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

  describe('friend counts (the friendsPerUser cap)', () => {
    const counts = async (...userIds: string[]) =>
      Promise.all(userIds.map((userId) => store.countFriendsOf(userId)));

    it('counts each user once per other user, friends and requests either way; an accept or a repeat counts nothing new', async () => {
      await store.putFriendPair(...request(alice, bob), 10);
      await store.putFriendPair(...request(carol, alice), 10);
      expect(await counts(alice, bob, carol)).toEqual([2, 1, 1]);

      await store.putFriendPair(...friendship(bob, alice, T0 + 1), 10);
      await store.putFriendPair(...friendship(bob, alice, T0 + 2), 10);

      expect(await counts(alice, bob, carol)).toEqual([2, 1, 1]);
      expect(await counts(freshId('nobody'))).toEqual([0]);
    });

    it('refuses a new edge for a user at the cap, sender or recipient, naming them and storing nothing', async () => {
      const dave = freshId('dave');
      await store.putFriendPair(...friendship(alice, carol), 1);
      await store.putFriendPair(...friendship(dave, freshId('erin')), 1);

      const asSender = store.putFriendPair(...request(alice, bob), 1);
      await expect(asSender).rejects.toThrow(FriendsFullError);
      await expect(asSender).rejects.toMatchObject({
        code: 'LIMIT_REACHED',
        cap: 'friendsPerUser',
        limit: 1,
        userIds: [alice],
      });
      const asRecipient = store.putFriendPair(...request(bob, alice), 1);
      await expect(asRecipient).rejects.toMatchObject({ userIds: [alice] });
      const both = store.putFriendPair(...request(alice, dave), 1);
      await expect(both).rejects.toMatchObject({ userIds: [alice, dave].sort() });

      expect((await store.relation(alice, bob)).friend).toBeUndefined();
      expect((await store.relation(bob, alice)).friend).toBeUndefined();
      expect((await store.relation(dave, alice)).friend).toBeUndefined();
      expect(await counts(alice, bob, dave)).toEqual([1, 0, 1]);
    });

    it('accepts a request between users at the cap: the request holds its place already', async () => {
      await store.putFriendPair(...request(alice, bob), 1);

      await store.putFriendPair(...friendship(bob, alice, T0 + 1), 1);

      expect((await store.relation(alice, bob)).friend?.state).toBe('friend');
      expect(await counts(alice, bob)).toEqual([1, 1]);
    });

    it('gives both places back on removal, once however often it is removed', async () => {
      await store.putFriendPair(...friendship(alice, bob), 1);
      await store.putFriendPair(...request(carol, alice), 2);

      await store.deleteFriendPair(bob, alice);
      await store.deleteFriendPair(alice, bob);
      await Promise.all([store.deleteFriendPair(alice, carol), store.deleteFriendPair(carol, alice)]);

      expect(await counts(alice, bob, carol)).toEqual([0, 0, 0]);
      await store.putFriendPair(...request(bob, alice), 1);
      expect(await counts(alice, bob)).toEqual([1, 1]);
    });

    it('lets only as many racing requests to one user through as the cap allows', async () => {
      const senders = Array.from({ length: 6 }, (_, index) => `${alice}-sender-${index}`);

      const results = await Promise.allSettled(
        senders.map((sender) => store.putFriendPair(...request(sender, alice), 3)),
      );

      const refused = results.filter((result) => result.status === 'rejected');
      expect(refused).toHaveLength(3);
      for (const result of refused) expect(result.reason).toBeInstanceOf(FriendsFullError);
      expect(await counts(alice)).toEqual([3]);
      expect((await store.listFriends(alice, 10)).items).toHaveLength(3);
    });

    it('counts a racing repeat of the same request once', async () => {
      await Promise.all([
        store.putFriendPair(...request(alice, bob), 5),
        store.putFriendPair(...request(alice, bob), 5),
        store.putFriendPair(...request(alice, bob), 5),
      ]);

      expect(await counts(alice, bob)).toEqual([1, 1]);
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
