import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableKey } from './batch';
import { isConditionFailed } from './keys';

/** Deletes a username or email claim, only while it still names `userId`. */
export async function releaseClaim(
  client: DynamoDBDocumentClient,
  tableName: string,
  key: TableKey,
  userId: string,
): Promise<void> {
  try {
    await client.send(
      new DeleteCommand({
        TableName: tableName,
        Key: key,
        ConditionExpression: 'userId = :userId',
        ExpressionAttributeValues: { ':userId': userId },
      }),
    );
  } catch (error) {
    // Already gone, or taken by someone else since: not this user's to delete.
    if (!isConditionFailed(error)) throw error;
  }
}
