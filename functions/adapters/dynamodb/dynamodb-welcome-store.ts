import { DeleteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Page } from '../../../shared/protocol/resources';
import * as z from '../../../shared/zod';
import { decodeCursor, encodeCursor } from '../../cursor';
import { base64Size, storedSize, takeWithinBudget } from '../../ports/blob-store';
import type { StoredWelcome, WelcomeStore } from '../../ports/welcome-store';
import { batchWriteAll, type Item } from './batch';
import { keys, ttlFromMs } from './keys';
import { storedBytesAttributes, storedBytesOf } from './stored-bytes';

/** Unacknowledged welcomes expire: a device gone for a month rejoins from a fresh one. */
const WELCOME_LIFETIME_IN_MS = 30 * 24 * 60 * 60 * 1000;

/** Welcomes as one item per recipient device, under the device owner's partition. */
export class DynamoDbWelcomeStore implements WelcomeStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(welcomes: readonly StoredWelcome[]): Promise<void> {
    await batchWriteAll(
      this.client,
      this.tableName,
      welcomes.map((welcome) => ({
        PutRequest: {
          Item: {
            ...keys.welcome(welcome.userId, welcome.deviceId, welcome.conversationId, welcome.epoch),
            userId: welcome.userId,
            deviceId: welcome.deviceId,
            conversationId: welcome.conversationId,
            epoch: welcome.epoch,
            ...storedBytesAttributes('welcome', welcome.welcome),
            createdAt: welcome.createdAt,
            ttl: ttlFromMs(welcome.createdAt + WELCOME_LIFETIME_IN_MS),
          },
        },
      })),
    );
  }

  async list(
    userId: string,
    deviceId: string,
    page: { limit: number; cursor?: string | undefined; maxBase64Bytes?: number },
  ): Promise<Page<StoredWelcome>> {
    const pk = keys.userPk(userId);
    const prefix = keys.welcomePrefix(deviceId);
    const startKey =
      page.cursor === undefined
        ? undefined
        : decodeCursor(
            page.cursor,
            z.strictObject({ pk: z.literal(pk), sk: z.string().check(z.startsWith(prefix)) }),
          );
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        Limit: page.limit,
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    const all = Items.map(toStoredWelcome);
    const items =
      page.maxBase64Bytes === undefined
        ? all
        : takeWithinBudget(all, (welcome) => base64Size(storedSize(welcome.welcome)), page.maxBase64Bytes);
    const last = items.at(-1);
    if (items.length < all.length && last) {
      const { pk: lastPk, sk } = keys.welcome(userId, deviceId, last.conversationId, last.epoch);
      return { items, next: encodeCursor({ pk: lastPk, sk }) };
    }
    return { items, ...(LastEvaluatedKey ? { next: encodeCursor(LastEvaluatedKey) } : {}) };
  }

  async remove(userId: string, deviceId: string, conversationId: string, epoch: number): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.welcome(userId, deviceId, conversationId, epoch),
      }),
    );
  }
}

function toStoredWelcome(item: Item): StoredWelcome {
  return {
    userId: String(item.userId),
    deviceId: String(item.deviceId),
    conversationId: String(item.conversationId),
    epoch: Number(item.epoch),
    welcome: storedBytesOf(item, 'welcome') ?? { bytes: new Uint8Array() },
    createdAt: Number(item.createdAt),
  };
}
