import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbMessageLog } from '../functions/adapters/dynamodb/dynamodb-message-log';
import { DynamoDbRelationshipStore } from '../functions/adapters/dynamodb/dynamodb-relationship-store';
import { keys } from '../functions/adapters/dynamodb/keys';
import { directConversationId } from '../functions/chat/conversation/direct-conversation';
import { ConversationBlockedError } from '../functions/errors';
import { freshId, useLocalTable } from '../test/support/local-table';
import { backfillBlocks } from './backfill-blocks';

const table = useLocalTable();

describe('backfillBlocks', () => {
  it('closes the direct conversation of a block stored before blocks closed conversations', async () => {
    const [alice, bob] = [freshId('alice'), freshId('bob')];
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...keys.block(bob, alice), userId: bob, blockedId: alice, since: 1 },
      }),
    );
    const log = new DynamoDbMessageLog(table.client, table.tableName);
    const send = () =>
      log.append({
        conversationId: directConversationId(alice, bob),
        messageId: freshId('m'),
        senderId: alice,
        kind: 'message',
        body: new Uint8Array([1]),
        now: 1,
      });

    expect(await backfillBlocks(table.client, table.tableName)).toBeGreaterThanOrEqual(1);

    await expect(send()).rejects.toThrow(ConversationBlockedError);
  });

  it('writes the reverse side of a block stored before blocks had one', async () => {
    const [alice, bob] = [freshId('alice'), freshId('bob')];
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...keys.block(bob, alice), userId: bob, blockedId: alice, since: 1 },
      }),
    );
    const relationships = new DynamoDbRelationshipStore(table.client, table.tableName);
    expect(await relationships.blockedEitherWayOf(alice)).toEqual(new Set());

    await backfillBlocks(table.client, table.tableName);

    expect(await relationships.blockedEitherWayOf(alice)).toEqual(new Set([bob]));
    expect(await relationships.blockedEitherWayOf(bob)).toEqual(new Set([alice]));
  });
});
