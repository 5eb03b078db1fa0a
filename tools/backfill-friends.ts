/**
 * `npm run backfill:friends -- --table <name> [--endpoint <url>] [--region <region>]`: counts every friend
 * edge stored before edges were counted (the `friendsPerUser` cap) in its user's count, and marks it
 * counted. Run once per stage after deploying that change; repeats are harmless and it may run beside live
 * traffic (each edge is counted once: see `functions/adapters/dynamodb/friend-count.ts`). A user already
 * past the cap keeps every friend and request and can add none until under it. Until it has run, such
 * edges are not counted: their users may hold more than the cap, never fewer. Uses the caller's AWS
 * credentials; needs `dynamodb:Scan` and `dynamodb:UpdateItem` on the table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { countStoredFriendEdge } from '../functions/adapters/dynamodb/friend-count';
import { keys } from '../functions/adapters/dynamodb/keys';

/** Edges counted at once: each is three small writes at most. */
const EDGES_AT_ONCE = 25;

/** Counts each uncounted friend edge; returns how many it counted. */
export async function backfillFriends(client: DynamoDBDocumentClient, tableName: string): Promise<number> {
  let counted = 0;
  const pages = paginateScan(
    { client },
    {
      TableName: tableName,
      FilterExpression: 'begins_with(sk, :friend) AND attribute_not_exists(counted)',
      ExpressionAttributeValues: { ':friend': keys.friendPrefix },
      ProjectionExpression: 'userId, otherId',
    },
  );
  for await (const page of pages) {
    const items = page.Items ?? [];
    for (let start = 0; start < items.length; start += EDGES_AT_ONCE) {
      const results = await Promise.all(
        items
          .slice(start, start + EDGES_AT_ONCE)
          .map((item) => countStoredFriendEdge(client, tableName, String(item.userId), String(item.otherId))),
      );
      counted += results.filter(Boolean).length;
    }
  }
  return counted;
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

if (process.argv[1]?.endsWith('backfill-friends.ts')) {
  const table = option('table');
  if (!table)
    throw new Error('Usage: npm run backfill:friends -- --table <name> [--endpoint <url>] [--region <r>]');
  const endpoint = option('endpoint');
  const region = option('region');
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) }),
  );
  const count = await backfillFriends(client, table);
  process.stdout.write(`Counted ${count} friend edges in ${table}\n`);
  client.destroy();
}
