import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Connection, ConnectionStore } from '../../ports/connection-store';
import { keys, ttlFromMs } from './keys';
import { queryAll } from './query-all';

export class DynamoDbConnectionStore implements ConnectionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(connection: Connection, expiresAt: number): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.connection(connection.userId, connection.connectionId),
          connectionId: connection.connectionId,
          userId: connection.userId,
          connectedAt: connection.connectedAt,
          ttl: ttlFromMs(expiresAt),
        },
      }),
    );
  }

  async delete(userId: string, connectionId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: keys.connection(userId, connectionId) }),
    );
  }

  async listByUser(userId: string, now: number): Promise<Connection[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      // DynamoDB deletes expired items up to days late: expired ones are filtered here.
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':pk': keys.userPk(userId),
        ':prefix': keys.connectionPrefix,
        ':now': ttlFromMs(now),
      },
      ProjectionExpression: 'connectionId, userId, connectedAt',
    });
    return items.map((item) => ({
      connectionId: String(item.connectionId),
      userId: String(item.userId),
      connectedAt: Number(item.connectedAt),
    }));
  }
}
