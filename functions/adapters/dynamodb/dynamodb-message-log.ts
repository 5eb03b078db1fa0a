import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { MessageKindSchema } from '../../../shared/protocol/ids';
import { SendInProgressError } from '../../errors';
import type { BlobRef } from '../../ports/blob-store';
import {
  type AppendRequest,
  type AppendResult,
  type HistoryQuery,
  isContent,
  type LogHead,
  type MessageLog,
  messageAt,
  type StoredMessage,
} from '../../ports/message-log';
import { batchGetAll, type Item } from './batch';
import { isConditionFailed, keys, updateIf } from './keys';
import { blobRefOf } from './stored-bytes';

/** Longer than the send function's timeout: a claim this old belongs to a request that died. */
const CLAIM_TIMEOUT_IN_MS = 30_000;

/** Seats tried before re-reading the head, when many senders race for the same seq. */
const MAX_SEATS_PER_READ = 25;

/** The highest seq the 12-digit sort key holds. */
const MAX_SEQ = 999_999_999_999;

/** Send records are kept for retries, then expire. */
const SEND_RECORD_LIFETIME_IN_MS = 7 * 24 * 60 * 60 * 1000;

interface SendRecord {
  readonly seq: number;
  readonly claimedAt: number;
  readonly token: string;
}

/**
 * The ordered log of a conversation, gap-free without transactions
 * (which the local stand-in lacks and AWS bills double):
 *
 * - a message is only ever written at `seq` n when n - 1 is known to exist, by a
 *   conditional put that fails if n is taken; the loser tries n + 1;
 * - the `HEAD` item is a hint of the last seq, advanced after each write; it may lag, never lead;
 * - a send record `(conversation, sender, messageId)` claims the message id and
 *   names the seq it is trying, so a retry finds the first result, and a request
 *   that died mid-way is recognised and taken over.
 *
 * - each message carries `contentCount`, the content messages (all but MLS
 *   commits) up to it, and `HEAD` the count at its seq plus the last content
 *   message's seq: unread counts and previews skip commits without reading the log.
 *
 * Common path: 1 BatchGetItem, 2 PutItem, 1 UpdateItem (a content message whose
 * head a later message moved first: one more). Each seat lost to another
 * sender costs a GetItem of that seat, to carry its count on.
 *
 * Reads never trust `HEAD` to bound a page: they query the message items themselves.
 */
export class DynamoDbMessageLog implements MessageLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async append(request: AppendRequest): Promise<AppendResult> {
    const { head, record } = await this.readHeadAndRecord(request);
    if (record) {
      const placed = await this.get(request.conversationId, record.seq);
      if (placed && placed.senderId === request.senderId && placed.messageId === request.messageId) {
        return {
          seq: placed.seq,
          sentAt: placed.sentAt,
          duplicate: true,
          contentCount: placed.contentCount,
        };
      }
      if (request.now - record.claimedAt < CLAIM_TIMEOUT_IN_MS) throw new SendInProgressError();
    }

    const token = randomUUID();
    let seq = head.seq + 1;
    // Content messages up to seq - 1: each message carries the running count of its log.
    let before = head.contentCount;
    await this.claim(request, seq, token, record?.token);
    for (;;) {
      for (let attempt = 0; attempt < MAX_SEATS_PER_READ; attempt += 1) {
        const placed = await this.tryPlace(request, seq, before);
        if (placed) {
          await this.advanceHead(request, placed);
          return { seq, sentAt: request.now, duplicate: false, contentCount: placed.contentCount };
        }
        // Someone else holds seq: its count carries on (one read, on contention only).
        before = (await this.get(request.conversationId, seq))?.contentCount ?? seq;
        seq += 1;
        await this.moveClaim(request, seq, token);
      }
      const reread = await this.readHeadAndRecord(request);
      if (reread.head.seq + 1 > seq) {
        seq = reread.head.seq + 1;
        before = reread.head.contentCount;
      }
      await this.moveClaim(request, seq, token);
    }
  }

  async get(conversationId: string, seq: number): Promise<StoredMessage | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.message(conversationId, seq),
        ConsistentRead: true,
      }),
    );
    return Item ? toStoredMessage(Item) : undefined;
  }

  async list(
    conversationId: string,
    query: HistoryQuery,
  ): Promise<{ messages: StoredMessage[]; more: boolean }> {
    const from = query.after === undefined ? 1 : query.after + 1;
    const to = query.before === undefined ? MAX_SEQ : query.before - 1;
    if (from > to || query.limit < 1) return { messages: [], more: false };
    // Without `after`, the page is the newest below `before` (or the latest): read backwards.
    const forward = query.after !== undefined;
    // One more than asked, to tell whether more lie beyond the page.
    const items = await this.queryUpTo(query.limit + 1, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': keys.conversationPk(conversationId),
        ':from': keys.message(conversationId, from).sk,
        ':to': keys.message(conversationId, to).sk,
      },
      ScanIndexForward: forward,
      ConsistentRead: true,
    });
    const page = items.slice(0, query.limit).map(toStoredMessage);
    return { messages: forward ? page : page.reverse(), more: items.length > query.limit };
  }

  async heads(conversationIds: readonly string[]): Promise<Map<string, LogHead>> {
    const items = await batchGetAll(this.client, this.tableName, conversationIds.map(keys.head));
    const found = new Map(items.map((item) => [item.pk, item]));
    return new Map(
      conversationIds.map((conversationId) => {
        const item = found.get(keys.conversationPk(conversationId));
        const head: LogHead = item
          ? toLogHead(conversationId, item)
          : { conversationId, seq: 0, contentCount: 0 };
        return [conversationId, head];
      }),
    );
  }

  async getMany(places: ReadonlyArray<{ conversationId: string; seq: number }>): Promise<StoredMessage[]> {
    const items = await batchGetAll(
      this.client,
      this.tableName,
      places.map((place) => keys.message(place.conversationId, place.seq)),
    );
    return items.map(toStoredMessage);
  }

  async markDeleted(
    conversationId: string,
    seq: number,
    senderId: string,
    now: number,
  ): Promise<StoredMessage | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.message(conversationId, seq),
          // A repeat keeps the first deletion time.
          UpdateExpression: 'REMOVE body, bodyRef SET deletedAt = if_not_exists(deletedAt, :now)',
          ConditionExpression: 'attribute_exists(pk) AND senderId = :sender',
          ExpressionAttributeValues: { ':now': now, ':sender': senderId },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toStoredMessage(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  /** Up to `wanted` items, across pages: a page stops at 1 MB, well short of a page of full bodies. */
  private async queryUpTo(wanted: number, input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          ...input,
          Limit: wanted - items.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey && items.length < wanted);
    return items;
  }

  private async readHeadAndRecord(
    request: AppendRequest,
  ): Promise<{ head: { seq: number; contentCount: number }; record?: SendRecord }> {
    const headKey = keys.head(request.conversationId);
    const recordKey = keys.sendRecord(request.conversationId, request.senderId, request.messageId);
    const found = await batchGetAll(this.client, this.tableName, [headKey, recordKey], {
      consistentRead: true,
    });
    const headItem = found.find((item) => item.sk === headKey.sk);
    const recordItem = found.find((item) => item.sk === recordKey.sk);
    return {
      head: headItem ? toLogHead(request.conversationId, headItem) : { seq: 0, contentCount: 0 },
      ...(recordItem
        ? {
            record: {
              seq: Number(recordItem.seq),
              claimedAt: Number(recordItem.claimedAt),
              token: String(recordItem.token),
            },
          }
        : {}),
    };
  }

  /** Claims the message id; `previousToken` takes over a claim whose request died. */
  private async claim(request: AppendRequest, seq: number, token: string, previousToken?: string) {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.sendRecord(request.conversationId, request.senderId, request.messageId),
            seq,
            claimedAt: request.now,
            token,
            ttl: Math.ceil((request.now + SEND_RECORD_LIFETIME_IN_MS) / 1000),
          },
          ConditionExpression: previousToken ? '#token = :previous' : 'attribute_not_exists(pk)',
          ...(previousToken
            ? {
                ExpressionAttributeNames: { '#token': 'token' },
                ExpressionAttributeValues: { ':previous': previousToken },
              }
            : {}),
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw new SendInProgressError({ cause: error });
      throw error;
    }
  }

  private async moveClaim(request: AppendRequest, seq: number, token: string) {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.sendRecord(request.conversationId, request.senderId, request.messageId),
          UpdateExpression: 'SET seq = :seq',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':seq': seq, ':token': token },
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw new SendInProgressError({ cause: error });
      throw error;
    }
  }

  /** The message placed at `seq`, or undefined when the seat is taken. */
  private async tryPlace(
    request: AppendRequest,
    seq: number,
    before: number,
  ): Promise<StoredMessage | undefined> {
    const message = messageAt(request, seq, before);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.message(request.conversationId, seq), ...message },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return message;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  /**
   * Moves the head to the message, with its running count; a content message
   * is also the head's last content message. Each part only moves forward:
   * a later message may have moved the head first.
   */
  private async advanceHead(request: AppendRequest, message: StoredMessage) {
    const content = isContent(message.kind);
    const moved = await this.updateHeadIf(
      request.conversationId,
      `SET seq = :seq, lastAt = :at, contentCount = :count${content ? ', contentSeq = :seq, contentAt = :at' : ''}`,
      'attribute_not_exists(seq) OR seq < :seq',
      { ':seq': message.seq, ':at': message.sentAt, ':count': message.contentCount },
    );
    if (moved || !content) return;
    await this.updateHeadIf(
      request.conversationId,
      'SET contentSeq = :seq, contentAt = :at',
      'attribute_not_exists(contentSeq) OR contentSeq < :seq',
      { ':seq': message.seq, ':at': message.sentAt },
    );
  }

  private async updateHeadIf(
    conversationId: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    // `false`: a later message already moved the head past this one, nothing to do.
    return updateIf(this.client, {
      TableName: this.tableName,
      Key: keys.head(conversationId),
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeValues: values,
    });
  }
}

/** Heads written before counts were kept count every message as content. */
function toLogHead(conversationId: string, item: Item): LogHead {
  const seq = Number(item.seq);
  return {
    conversationId,
    seq,
    ...(item.lastAt === undefined ? {} : { lastAt: Number(item.lastAt) }),
    contentCount: item.contentCount === undefined ? seq : Number(item.contentCount),
    ...(item.contentSeq === undefined
      ? item.lastAt === undefined
        ? {}
        : { contentSeq: seq, contentAt: Number(item.lastAt) }
      : { contentSeq: Number(item.contentSeq), contentAt: Number(item.contentAt) }),
  };
}

function toStoredMessage(item: Item): StoredMessage {
  return {
    conversationId: String(item.conversationId),
    seq: Number(item.seq),
    messageId: String(item.messageId),
    senderId: String(item.senderId),
    sentAt: Number(item.sentAt),
    // Messages stored before kinds existed are plain messages.
    kind: MessageKindSchema.parse(item.kind ?? 'message'),
    ...(item.refSeq === undefined ? {} : { refSeq: Number(item.refSeq) }),
    ...(item.body instanceof Uint8Array ? { body: item.body } : {}),
    ...(blobRefOf(item.bodyRef) ? { bodyRef: blobRefOf(item.bodyRef) as BlobRef } : {}),
    ...(item.deletedAt === undefined ? {} : { deletedAt: Number(item.deletedAt) }),
    // Messages stored before counts were kept count as content.
    contentCount: item.contentCount === undefined ? Number(item.seq) : Number(item.contentCount),
  };
}
