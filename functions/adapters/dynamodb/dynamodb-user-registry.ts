import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UserRecord, UserRegistry } from '../../ports/user-directory';
import { keys } from './keys';

export class DynamoDbUserRegistry implements UserRegistry {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async touch(userId: string, now: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.user(userId),
        UpdateExpression:
          'SET userId = :userId, firstSeenAt = if_not_exists(firstSeenAt, :now), lastSeenAt = :now',
        ExpressionAttributeValues: { ':userId': userId, ':now': now },
      }),
    );
  }

  async get(userId: string): Promise<UserRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.user(userId) }),
    );
    return Item ? { userId: String(Item.userId), firstSeenAt: Number(Item.firstSeenAt) } : undefined;
  }
}
