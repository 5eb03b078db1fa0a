import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { TestStack } from './stack';

/**
 * Reads the main table directly with the real SDK, to check what the functions stored; or, given its
 * name, another table of the stack's DynamoDB.
 */
export function tableReader(stack: TestStack, tableName = stack.resources.tableNames.main) {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: stack.resources.dynamoDbEndpoint,
      region: stack.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  const TableName = tableName;
  return {
    client,
    tableName: TableName,
    get: async (pk: string, sk: string) =>
      (await client.send(new GetCommand({ TableName, Key: { pk, sk }, ConsistentRead: true }))).Item,
    query: async (pk: string, prefix = '') =>
      (
        await client.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
            ConsistentRead: true,
          }),
        )
      ).Items ?? [],
    /** A user's stored connections (the map on their presence item), expired ones included. */
    connections: async (userId: string) => {
      const item = (
        await client.send(
          new GetCommand({ TableName, Key: { pk: `USER#${userId}`, sk: 'PRESENCE' }, ConsistentRead: true }),
        )
      ).Item;
      const map = (item?.connections ?? {}) as Record<string, { connectedAt: number; expiresAt: number }>;
      return Object.entries(map).map(([connectionId, value]) => ({ connectionId, ...value }));
    },
    destroy: () => client.destroy(),
  };
}

/** Polls until `check` returns a value that is not undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
