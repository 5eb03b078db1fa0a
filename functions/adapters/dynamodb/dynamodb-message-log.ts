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
import {
  type AppendRequest,
  type AppendResult,
  type HistoryQuery,
  type LogHead,
  type MessageLog,
  messageAt,
  type StoredMessage,
} from '../../ports/message-log';
import { batchGetAll, type Item } from './batch';
import { isConditionFailed, keys } from './keys';

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
 * Common path: 1 BatchGetItem, 2 PutItem, 1 UpdateItem.
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
        return { seq: placed.seq, sentAt: placed.sentAt, duplicate: true };
      }
      if (request.now - record.claimedAt < CLAIM_TIMEOUT_IN_MS) throw new SendInProgressError();
    }

    const token = randomUUID();
    let seq = head + 1;
    await this.claim(request, seq, token, record?.token);
    for (;;) {
      for (let attempt = 0; attempt < MAX_SEATS_PER_READ; attempt += 1) {
        if (await this.tryPlace(request, seq)) {
          await this.advanceHead(request.conversationId, seq, request.now);
          return { seq, sentAt: request.now, duplicate: false };
        }
        seq += 1;
        await this.moveClaim(request, seq, token);
      }
      const reread = await this.readHeadAndRecord(request);
      seq = Math.max(seq, reread.head + 1);
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
          ? {
              conversationId,
              seq: Number(item.seq),
              ...(item.lastAt === undefined ? {} : { lastAt: Number(item.lastAt) }),
            }
          : { conversationId, seq: 0 };
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
          UpdateExpression: 'REMOVE body SET deletedAt = if_not_exists(deletedAt, :now)',
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

  private async readHeadAndRecord(request: AppendRequest): Promise<{ head: number; record?: SendRecord }> {
    const headKey = keys.head(request.conversationId);
    const recordKey = keys.sendRecord(request.conversationId, request.senderId, request.messageId);
    const found = await batchGetAll(this.client, this.tableName, [headKey, recordKey], {
      consistentRead: true,
    });
    const headItem = found.find((item) => item.sk === headKey.sk);
    const recordItem = found.find((item) => item.sk === recordKey.sk);
    return {
      head: headItem ? Number(headItem.seq) : 0,
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

  private async tryPlace(request: AppendRequest, seq: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.message(request.conversationId, seq), ...messageAt(request, seq) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  private async advanceHead(conversationId: string, seq: number, at: number) {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.head(conversationId),
          UpdateExpression: 'SET seq = :seq, lastAt = :at',
          ConditionExpression: 'attribute_not_exists(seq) OR seq < :seq',
          ExpressionAttributeValues: { ':seq': seq, ':at': at },
        }),
      );
    } catch (error) {
      // A later message already moved the head past this one: nothing to do.
      if (!isConditionFailed(error)) throw error;
    }
  }
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
    ...(item.deletedAt === undefined ? {} : { deletedAt: Number(item.deletedAt) }),
  };
}
