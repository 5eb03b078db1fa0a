import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AttachmentRecord, AttachmentStore, DueAttachment } from '../../ports/attachment-store';
import { batchGetAll, batchWriteAll, type Item } from './batch';
import { keys, updateIf } from './keys';

const HOUR_IN_MS = 60 * 60 * 1000;

/**
 * How far back the sweep looks for due attachments: a sweep that could not run for this long leaves
 * what fell due before to a backfill. It runs every few minutes, so three days is room to spare.
 */
export const SWEEP_LOOKBACK_IN_MS = 72 * HOUR_IN_MS;

/**
 * Attachment records beside their conversation's items (`ATTACH#{id}`), and a due entry for each one
 * whose object should go, under the UTC hour it falls due (`DUE#{hour}`): one Query per hour gone by
 * finds them, oldest first, without a scan or an index. Attaching needs no write to the due entry:
 * the sweep reads the record and drops an entry whose attachment a message now carries.
 */
export class DynamoDbAttachmentStore implements AttachmentStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async reserve(record: AttachmentRecord, unreferencedForMs: number): Promise<void> {
    const dueAt = record.createdAt + unreferencedForMs;
    await Promise.all([
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.attachment(record.conversationId, record.attachmentId), ...record, dueAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
      this.putDue({ attachmentId: record.attachmentId, conversationId: record.conversationId, dueAt }),
    ]);
  }

  async getMany(conversationId: string, attachmentIds: readonly string[]): Promise<AttachmentRecord[]> {
    const items = await batchGetAll(
      this.client,
      this.tableName,
      attachmentIds.map((id) => keys.attachment(conversationId, id)),
    );
    // BatchGetItem answers in any order: give them back in the order asked.
    const byId = new Map(items.map((item) => [String(item.attachmentId), toRecord(item)]));
    return attachmentIds.flatMap((id) => {
      const record = byId.get(id);
      return record ? [record] : [];
    });
  }

  async attach(
    conversationId: string,
    attachmentIds: readonly string[],
    uploaderId: string,
    message: { readonly seq: number; readonly messageId: string; readonly at: number },
  ) {
    await Promise.all(
      attachmentIds.map((id) =>
        updateIf(this.client, {
          TableName: this.tableName,
          Key: keys.attachment(conversationId, id),
          UpdateExpression: 'SET seq = :seq, messageId = :messageId, attachedAt = :at REMOVE dueAt',
          ConditionExpression:
            'uploaderId = :uploader AND (attribute_not_exists(seq) OR messageId = :messageId) AND ' +
            'attribute_not_exists(takenAt) AND attribute_not_exists(discardedAt)',
          ExpressionAttributeValues: {
            ':seq': message.seq,
            ':messageId': message.messageId,
            ':at': message.at,
            ':uploader': uploaderId,
          },
        }),
      ),
    );
  }

  async discard(conversationId: string, seq: number, attachmentIds: readonly string[], now: number) {
    await Promise.all(
      attachmentIds.map(async (attachmentId) => {
        const discarded = await updateIf(this.client, {
          TableName: this.tableName,
          Key: keys.attachment(conversationId, attachmentId),
          UpdateExpression: 'SET discardedAt = :now, dueAt = :now',
          ConditionExpression: 'seq = :seq AND attribute_not_exists(discardedAt)',
          ExpressionAttributeValues: { ':now': now, ':seq': seq },
        });
        if (discarded) await this.putDue({ attachmentId, conversationId, dueAt: now });
      }),
    );
  }

  async due(now: number, limit: number): Promise<DueAttachment[]> {
    const found: DueAttachment[] = [];
    const first = Math.floor((now - SWEEP_LOOKBACK_IN_MS) / HOUR_IN_MS) * HOUR_IN_MS;
    for (let hour = first; hour <= now && found.length < limit; hour += HOUR_IN_MS) {
      const { Items = [] } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk <= :upTo',
          ExpressionAttributeValues: {
            ':pk': keys.attachmentDueHour(hour),
            // Every due time up to now, whatever ids follow it.
            ':upTo': `${String(now).padStart(13, '0')}#\uffff`,
          },
          Limit: limit - found.length,
        }),
      );
      found.push(
        ...Items.map((item) => ({
          attachmentId: String(item.attachmentId),
          conversationId: String(item.conversationId),
          dueAt: Number(item.dueAt),
        })),
      );
    }
    return found;
  }

  async takeForDeletion(
    attachment: DueAttachment,
    now: number,
    options: { orphanedAt?: number } = {},
  ): Promise<boolean> {
    const orphaned = options.orphanedAt === undefined ? '' : ' OR seq = :orphanedAt';
    const taken = await updateIf(this.client, {
      TableName: this.tableName,
      Key: keys.attachment(attachment.conversationId, attachment.attachmentId),
      UpdateExpression: 'SET takenAt = if_not_exists(takenAt, :now)',
      ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(seq) OR attribute_exists(discardedAt)${orphaned})`,
      ExpressionAttributeValues: {
        ':now': now,
        ...(options.orphanedAt === undefined ? {} : { ':orphanedAt': options.orphanedAt }),
      },
    });
    if (!taken) await this.deleteItems([dueKey(attachment)]);
    return taken;
  }

  async forget(attachments: readonly DueAttachment[]): Promise<void> {
    await this.deleteItems(
      attachments.flatMap((attachment) => [
        keys.attachment(attachment.conversationId, attachment.attachmentId),
        dueKey(attachment),
      ]),
    );
  }

  private async putDue(attachment: DueAttachment) {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...dueKey(attachment), ...attachment } }),
    );
  }

  private async deleteItems(itemKeys: ReadonlyArray<Record<string, string>>) {
    await batchWriteAll(
      this.client,
      this.tableName,
      itemKeys.map((Key) => ({ DeleteRequest: { Key } })),
    );
  }
}

function dueKey(attachment: DueAttachment) {
  return keys.attachmentDue(attachment.dueAt, attachment.conversationId, attachment.attachmentId);
}

function toRecord(item: Item): AttachmentRecord {
  return {
    attachmentId: String(item.attachmentId),
    conversationId: String(item.conversationId),
    uploaderId: String(item.uploaderId),
    size: Number(item.size),
    createdAt: Number(item.createdAt),
    ...(item.seq === undefined
      ? {}
      : { seq: Number(item.seq), messageId: String(item.messageId), attachedAt: Number(item.attachedAt) }),
    ...(item.discardedAt === undefined ? {} : { discardedAt: Number(item.discardedAt) }),
  };
}
