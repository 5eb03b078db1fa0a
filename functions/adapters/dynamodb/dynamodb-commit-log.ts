import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CommitLog, CommitRecord } from '../../ports/commit-log';
import type { Item } from './batch';
import { isConditionFailed, keys } from './keys';

/**
 * MLS epochs as the `epoch` attribute of each conversation's `META` item
 * (absent = 0), plus one commit record per epoch. Without transactions the
 * record is written first, conditionally: whoever stores it owns the epoch,
 * and only its owner moves `META` on, by an update conditional on the epoch.
 */
export class DynamoDbCommitLog implements CommitLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async currentEpoch(conversationId: string): Promise<number> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.conversation(conversationId),
        ProjectionExpression: 'epoch',
        ConsistentRead: true,
      }),
    );
    return Item?.epoch === undefined ? 0 : Number(Item.epoch);
  }

  async claim(record: CommitRecord): Promise<CommitRecord & { readonly created?: true }> {
    const key = keys.commitRecord(record.conversationId, record.epoch);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...key,
            conversationId: record.conversationId,
            epoch: record.epoch,
            senderId: record.senderId,
            hash: record.hash,
            claimedAt: record.claimedAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { ...record, created: true };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      if (!Item) throw error;
      return toCommitRecord(Item);
    }
  }

  async advance(conversationId: string, epoch: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.conversation(conversationId),
          UpdateExpression: 'SET epoch = :next',
          // Never creates a META item: a conversation that does not exist has no epoch to move.
          ConditionExpression:
            epoch === 0
              ? 'attribute_exists(pk) AND (attribute_not_exists(epoch) OR epoch = :epoch)'
              : 'attribute_exists(pk) AND epoch = :epoch',
          ExpressionAttributeValues: { ':epoch': epoch, ':next': epoch + 1 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async complete(conversationId: string, epoch: number, place: { seq: number; sentAt: number }) {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.commitRecord(conversationId, epoch),
        UpdateExpression: 'SET seq = :seq, sentAt = :sentAt',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':seq': place.seq, ':sentAt': place.sentAt },
      }),
    );
  }
}

function toCommitRecord(item: Item): CommitRecord {
  return {
    conversationId: String(item.conversationId),
    epoch: Number(item.epoch),
    senderId: String(item.senderId),
    hash: String(item.hash),
    claimedAt: Number(item.claimedAt),
    ...(item.seq === undefined ? {} : { seq: Number(item.seq) }),
    ...(item.sentAt === undefined ? {} : { sentAt: Number(item.sentAt) }),
  };
}
