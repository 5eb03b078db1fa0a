import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbConversationStore } from '../functions/adapters/dynamodb/dynamodb-conversation-store';
import { keys } from '../functions/adapters/dynamodb/keys';
import type { Conversation } from '../functions/ports/conversation-store';
import { freshId, useLocalTable } from '../test/support/local-table';
import { backfillGroups } from './backfill-groups';

const table = useLocalTable();

describe('backfillGroups', () => {
  it('counts the members of groups joined before the cap was counted, once however often it runs; directs stay out', async () => {
    const [alice, bob] = [freshId('alice'), freshId('bob')];
    const store = new DynamoDbConversationStore(table.client, table.tableName);
    const conversation = (kind: Conversation['kind']): Conversation => ({
      conversationId: freshId(kind === 'group' ? 'g' : 'd'),
      kind,
      memberIds: [alice, bob],
      createdBy: alice,
      createdAt: 1,
      version: 1,
      membersVersion: 1,
    });
    for (const kind of ['group', 'direct'] as const) await store.createIfAbsent(conversation(kind), []);
    // As the table was before: no user's groups counted.
    for (const userId of [alice, bob]) {
      await table.client.send(
        new DeleteCommand({ TableName: table.tableName, Key: keys.userGroups(userId) }),
      );
    }

    expect(await backfillGroups(table.client, table.tableName)).toBeGreaterThanOrEqual(1);
    await backfillGroups(table.client, table.tableName);

    expect([await store.countGroupsOf(alice), await store.countGroupsOf(bob)]).toEqual([1, 1]);
  });
});
