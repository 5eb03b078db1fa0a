import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import { DynamoDbAccountData } from './dynamodb-account-data';
import { DynamoDbRelationshipStore } from './dynamodb-relationship-store';
import { keys } from './keys';

const table = useLocalTable();
const T0 = Date.UTC(2025, 0, 1);

describe('DynamoDbAccountData', () => {
  it("deletes a deleted user's friend edges on both sides and gives each other user's place back", async () => {
    const [alice, bob, carol] = [freshId('alice'), freshId('bob'), freshId('carol')];
    const relationships = new DynamoDbRelationshipStore(table.client, table.tableName);
    const accountData = new DynamoDbAccountData(table.client, table.tableName);
    // Edges the friendships' own ending missed: a request that came in while the account was being deleted.
    await relationships.putFriendPair(
      { userId: alice, otherId: bob, state: 'friend', since: T0 },
      { userId: bob, otherId: alice, state: 'friend', since: T0 },
    );
    await relationships.putFriendPair(
      { userId: carol, otherId: alice, state: 'outgoing', since: T0 },
      { userId: alice, otherId: carol, state: 'incoming', since: T0 },
    );
    await relationships.putFriendPair(
      { userId: carol, otherId: bob, state: 'outgoing', since: T0 },
      { userId: bob, otherId: carol, state: 'incoming', since: T0 },
    );

    await accountData.eraseOwnItems(alice, { usernameHeldUntil: T0 });
    await accountData.eraseOwnItems(alice, { usernameHeldUntil: T0 });

    expect((await relationships.listFriends(bob, 10)).items.map((edge) => edge.otherId)).toEqual([carol]);
    expect((await relationships.listFriends(carol, 10)).items.map((edge) => edge.otherId)).toEqual([bob]);
    expect(await Promise.all([bob, carol].map((id) => relationships.countFriendsOf(id)))).toEqual([1, 1]);
    const { Item } = await table.client.send(
      new GetCommand({ TableName: table.tableName, Key: keys.userFriends(alice), ConsistentRead: true }),
    );
    expect(Item).toBeUndefined();
  });
});
