/**
 * `npm run backfill:blocks -- --table <name> [--endpoint <url>] [--region <region>]`: for every stored
 * block, closes the two users' direct conversation (for blocks made before sends were refused on the
 * conversation's head, `MessageLog.setClosed`) and writes the block's reverse item on the blocked user's
 * side (`BLOCKEDBY#`, for blocks made before typing in groups was filtered by it). Run once per stage after
 * deploying either change; repeats are harmless. Uses the caller's AWS credentials; needs `dynamodb:Scan`,
 * `dynamodb:UpdateItem` and `dynamodb:BatchWriteItem` on the table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { DynamoDbMessageLog } from '../functions/adapters/dynamodb/dynamodb-message-log';
import { DynamoDbRelationshipStore } from '../functions/adapters/dynamodb/dynamodb-relationship-store';
import { keys } from '../functions/adapters/dynamodb/keys';
import { directConversationId } from '../functions/chat/conversation/direct-conversation';

/** Closes the direct conversation of each block and writes both its sides; returns how many blocks it found. */
export async function backfillBlocks(client: DynamoDBDocumentClient, tableName: string): Promise<number> {
  const log = new DynamoDbMessageLog(client, tableName);
  const relationships = new DynamoDbRelationshipStore(client, tableName);
  let blocks = 0;
  const pages = paginateScan(
    { client },
    {
      TableName: tableName,
      FilterExpression: 'begins_with(sk, :block)',
      ExpressionAttributeValues: { ':block': keys.blockPrefix },
      ProjectionExpression: 'userId, blockedId, since',
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const userId = String(item.userId);
      const blockedId = String(item.blockedId);
      await log.setClosed(directConversationId(userId, blockedId), userId, true);
      await relationships.block({ userId, blockedId, since: Number(item.since) });
      blocks += 1;
    }
  }
  return blocks;
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

if (process.argv[1]?.endsWith('backfill-blocks.ts')) {
  const table = option('table');
  if (!table)
    throw new Error('Usage: npm run backfill:blocks -- --table <name> [--endpoint <url>] [--region <r>]');
  const endpoint = option('endpoint');
  const region = option('region');
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) }),
  );
  const count = await backfillBlocks(client, table);
  process.stdout.write(`Closed the direct conversations of ${count} blocks in ${table}\n`);
  client.destroy();
}
