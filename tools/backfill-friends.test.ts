import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbRelationshipStore } from '../functions/adapters/dynamodb/dynamodb-relationship-store';
import { keys } from '../functions/adapters/dynamodb/keys';
import { FriendsFullError } from '../functions/errors';
import type { FriendEdge } from '../functions/ports/relationship-store';
import { freshId, useLocalTable } from '../test/support/local-table';
import { backfillFriends } from './backfill-friends';

const table = useLocalTable();
const T0 = Date.UTC(2025, 0, 1);

/** Friend edges as they were stored before edges were counted: no mark, no count. */
async function storedBefore(...edges: FriendEdge[]): Promise<void> {
  for (const edge of edges) {
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...keys.friend(edge.userId, edge.otherId), ...edge },
      }),
    );
  }
}

describe('friend edges stored before they were counted', () => {
  let store: DynamoDbRelationshipStore;
  let alice: string;
  let bob: string;
  let carol: string;
  let dave: string;
  const counts = () => Promise.all([alice, bob, carol, dave].map((id) => store.countFriendsOf(id)));

  beforeEach(async () => {
    store = new DynamoDbRelationshipStore(table.client, table.tableName);
    [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map(freshId) as [
      string,
      string,
      string,
      string,
    ];
    await storedBefore(
      { userId: alice, otherId: bob, state: 'friend', since: T0 },
      { userId: bob, otherId: alice, state: 'friend', since: T0 },
      { userId: carol, otherId: alice, state: 'outgoing', since: T0 },
      { userId: alice, otherId: carol, state: 'incoming', since: T0 },
    );
    // And one since: counted as it was stored.
    await store.putFriendPair(
      { userId: alice, otherId: dave, state: 'outgoing', since: T0 },
      { userId: dave, otherId: alice, state: 'incoming', since: T0 },
    );
  });

  it('are counted by the backfill, once however often it runs, beside the edges counted already', async () => {
    expect(await counts()).toEqual([1, 0, 0, 1]);

    expect(await backfillFriends(table.client, table.tableName)).toBeGreaterThanOrEqual(4);
    await backfillFriends(table.client, table.tableName);

    expect(await counts()).toEqual([3, 1, 1, 1]);
  });

  it('take nothing from the count when removed before the backfill', async () => {
    await store.deleteFriendPair(alice, bob);

    expect(await counts()).toEqual([1, 0, 0, 1]);
  });

  it('are counted when a request is accepted, refused when that would pass the cap, storing nothing', async () => {
    const accepting = () =>
      store.putFriendPair(
        { userId: alice, otherId: carol, state: 'friend', since: T0 + 1 },
        { userId: carol, otherId: alice, state: 'friend', since: T0 + 1 },
        2,
      );
    const erin = freshId('erin');
    await store.putFriendPair(
      { userId: alice, otherId: erin, state: 'outgoing', since: T0 },
      { userId: erin, otherId: alice, state: 'incoming', since: T0 },
    );

    await expect(accepting()).rejects.toMatchObject({ userIds: [alice] });
    await expect(accepting()).rejects.toThrow(FriendsFullError);
    expect((await store.relation(alice, carol)).friend?.state).toBe('incoming');
    expect(await counts()).toEqual([2, 0, 0, 1]);

    await store.deleteFriendPair(alice, dave);
    await accepting();

    expect((await store.relation(carol, alice)).friend?.state).toBe('friend');
    expect(await counts()).toEqual([2, 0, 1, 0]);
  });
});
