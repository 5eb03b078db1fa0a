/**
 * `npm run backfill:groups -- --table <name> [--endpoint <url>] [--region <region>]`: counts every
 * current member of every stored group in the member's `GROUPS` set, for groups joined before the
 * `groupsPerUser` cap was counted. Run once per stage after deploying that change; repeats are
 * harmless (a set holds each group once). A user already past the cap stays in their groups and can
 * join no more until they are under it. Uses the caller's AWS credentials; needs `dynamodb:Scan` and
 * `dynamodb:UpdateItem` on the table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../functions/adapters/dynamodb/keys';

/** Adds each group to its members' sets; returns how many groups it found. */
export async function backfillGroups(client: DynamoDBDocumentClient, tableName: string): Promise<number> {
  let groups = 0;
  const pages = paginateScan(
    { client },
    {
      TableName: tableName,
      FilterExpression: 'sk = :meta AND #kind = :group',
      ExpressionAttributeNames: { '#kind': 'kind' },
      ExpressionAttributeValues: { ':meta': 'META', ':group': 'group' },
      ProjectionExpression: 'conversationId, memberIds, #kind',
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const conversationId = String(item.conversationId);
      const memberIds = Array.isArray(item.memberIds) ? item.memberIds.map(String) : [];
      await Promise.all(
        memberIds.map((userId) =>
          client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: keys.userGroups(userId),
              UpdateExpression: 'ADD groupIds :ids',
              ExpressionAttributeValues: { ':ids': new Set([conversationId]) },
            }),
          ),
        ),
      );
      groups += 1;
    }
  }
  return groups;
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

if (process.argv[1]?.endsWith('backfill-groups.ts')) {
  const table = option('table');
  if (!table)
    throw new Error('Usage: npm run backfill:groups -- --table <name> [--endpoint <url>] [--region <r>]');
  const endpoint = option('endpoint');
  const region = option('region');
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) }),
  );
  const count = await backfillGroups(client, table);
  process.stdout.write(`Counted the members of ${count} groups in ${table}\n`);
  client.destroy();
}
