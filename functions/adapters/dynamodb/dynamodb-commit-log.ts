import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CommitLog, CommitRecord, EpochState } from '../../ports/commit-log';
import type { Item } from './batch';
import { isConditionFailed, keys, updateIf } from './keys';
import { storedBytesAttributes, storedBytesOf } from './stored-bytes';

/**
 * MLS epochs as the `epoch` attribute of each conversation's `META` item
 * (absent = 0), beside `committedMembersVersion`, plus one commit record per
 * epoch. Without transactions the record is written first, conditionally:
 * whoever stores it owns the epoch, and the epoch moves on only by an update
 * conditional on it. The record holds the commit and its Welcome (inline, or
 * pointers into the blob bucket), so anyone can finish an epoch whose owner died.
 */
export class DynamoDbCommitLog implements CommitLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async currentEpoch(conversationId: string): Promise<number> {
    return (await this.state(conversationId)).epoch;
  }

  async state(conversationId: string): Promise<EpochState> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.conversation(conversationId),
        ProjectionExpression: 'epoch, committedMembersVersion',
        ConsistentRead: true,
      }),
    );
    return {
      epoch: Item?.epoch === undefined ? 0 : Number(Item.epoch),
      committedMembersVersion: Number(Item?.committedMembersVersion ?? 0),
    };
  }

  async get(conversationId: string, epoch: number): Promise<CommitRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.commitRecord(conversationId, epoch),
        ConsistentRead: true,
      }),
    );
    return Item ? toCommitRecord(Item) : undefined;
  }

  async claim(record: CommitRecord): Promise<CommitRecord & { readonly created?: true }> {
    const key = keys.commitRecord(record.conversationId, record.epoch);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...recordItem(record) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { ...record, created: true };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const stored = await this.get(record.conversationId, record.epoch);
      if (!stored) throw error;
      return stored;
    }
  }

  async advance(conversationId: string, epoch: number, membersVersion?: number): Promise<boolean> {
    // Never creates a META item: a conversation that does not exist has no epoch to move.
    const atEpoch =
      epoch === 0
        ? 'attribute_exists(pk) AND (attribute_not_exists(epoch) OR epoch = :epoch)'
        : 'attribute_exists(pk) AND epoch = :epoch';
    const values = { ':epoch': epoch, ':next': epoch + 1 };
    // DynamoDB has no max(): raise the committed version with the epoch when it is behind,
    // else move the epoch alone. Either way one write moves the epoch, so a retry finds it done.
    if (
      membersVersion !== undefined &&
      (await this.updateMeta(
        conversationId,
        'SET epoch = :next, committedMembersVersion = :version',
        `${atEpoch} AND (attribute_not_exists(committedMembersVersion) OR committedMembersVersion < :version)`,
        { ...values, ':version': membersVersion },
      ))
    ) {
      return true;
    }
    return this.updateMeta(conversationId, 'SET epoch = :next', atEpoch, values);
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

  private async updateMeta(
    conversationId: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    return updateIf(this.client, {
      TableName: this.tableName,
      Key: keys.conversation(conversationId),
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeValues: values,
    });
  }
}

function recordItem(record: CommitRecord): Item {
  return {
    conversationId: record.conversationId,
    epoch: record.epoch,
    senderId: record.senderId,
    hash: record.hash,
    claimedAt: record.claimedAt,
    ...(record.commit ? storedBytesAttributes('commit', record.commit) : {}),
    ...(record.welcome ? storedBytesAttributes('welcome', record.welcome) : {}),
    ...(record.welcomeRecipients?.length
      ? { welcomeRecipients: record.welcomeRecipients.map(({ userId, deviceId }) => ({ userId, deviceId })) }
      : {}),
    ...(record.membersVersion === undefined ? {} : { membersVersion: record.membersVersion }),
  };
}

function toCommitRecord(item: Item): CommitRecord {
  const commit = storedBytesOf(item, 'commit');
  const welcome = storedBytesOf(item, 'welcome');
  const recipients = Array.isArray(item.welcomeRecipients)
    ? item.welcomeRecipients.map((recipient: Item) => ({
        userId: String(recipient.userId),
        deviceId: String(recipient.deviceId),
      }))
    : undefined;
  return {
    conversationId: String(item.conversationId),
    epoch: Number(item.epoch),
    senderId: String(item.senderId),
    hash: String(item.hash),
    claimedAt: Number(item.claimedAt),
    ...(commit ? { commit } : {}),
    ...(welcome ? { welcome } : {}),
    ...(recipients ? { welcomeRecipients: recipients } : {}),
    ...(item.membersVersion === undefined ? {} : { membersVersion: Number(item.membersVersion) }),
    ...(item.seq === undefined ? {} : { seq: Number(item.seq) }),
    ...(item.sentAt === undefined ? {} : { sentAt: Number(item.sentAt) }),
  };
}
