import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { MessageKindSchema } from '../../../shared/protocol/ids';
import { ConversationBlockedError, ParleyError, SendInProgressError } from '../../errors';
import type { BlobRef } from '../../ports/blob-store';
import {
  type AppendOptions,
  type AppendRequest,
  type AppendResult,
  type HistoryQuery,
  isContent,
  type LogHead,
  type MessageLog,
  messageAt,
  pageOf,
  planPage,
  type StoredMessage,
  WRITER_DEADLINE_IN_MS,
} from '../../ports/message-log';
import { batchGetAll, type Item } from './batch';
import { isConditionFailed, keys } from './keys';
import { blobRefOf } from './stored-bytes';

/** The highest seq the 12-digit sort key holds. */
const MAX_SEQ = 999_999_999_999;

/** Send records are kept for retries, then expire. */
const SEND_RECORD_LIFETIME_IN_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Seqs one append takes before giving up: another is taken only when a reader filled the last
 * one, which needs the append to have stalled past the writer deadline.
 */
const MAX_TAKES_PER_APPEND = 3;

/**
 * How far back a takeover looks for the message of a request that died after placing it but
 * before its send record said where (one page of the log, newest first, per round).
 */
const MAX_PAGES_SEARCHED_ON_TAKEOVER = 10;
const PAGE_SEARCHED_ON_TAKEOVER = 100;

interface SendRecord {
  readonly claimedAt: number;
  readonly token: string;
  /** Where the message was placed; absent until the request that claimed it knows. */
  readonly seq?: number;
}

/** A seq taken from the head, with what the message placed there carries. */
interface Taken {
  readonly seq: number;
  readonly contentCount: number;
  readonly previousTakenAt?: number;
}

/**
 * The ordered log of a conversation, gap-free without a race between senders
 * and without transactions (which the local stand-in lacks and AWS bills double):
 *
 * - the `HEAD` item is a counter: one UpdateItem takes the next seq, and hands back the
 *   running count of content messages with it (and the time the seq before was taken,
 *   which readers need, see `planPage`); the message is then put at that seq. Senders of
 *   one conversation never compete for a place, so none pays a failed conditional write;
 * - a seq taken by a writer that died before placing it is filled with a `skipped` entry by
 *   the first reader that meets it after the writer deadline; a writer that finds its seq
 *   filled (it stalled that long) takes another;
 * - a send record `(sender, conversation, messageId)`, under the sender's own partition, claims
 *   the message id before anything else (in the same round trip as the caller's checks) and
 *   then names the seq, so a retry returns the first result, and a request that died is
 *   recognised and taken over after the writer deadline;
 * - `HEAD` also holds who blocks the (direct) conversation: the take is conditional on no one,
 *   so a blocked send costs no extra read.
 *
 * Common path, 3 round trips and the caller's hand-off: PutItem (claim, beside the caller's
 * checks); UpdateItem (take); the hand-off (`beforePlace`: fan-out is queued); PutItem (message)
 * with UpdateItem (record the seq) at once. A placed message is one handed on.
 *
 * Reads never trust `HEAD` to bound a page: they query the message items themselves.
 */
export class DynamoDbMessageLog implements MessageLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async append(request: AppendRequest, options: AppendOptions = {}): Promise<AppendResult> {
    const token = randomUUID();
    const claimed = this.claim(request, token);
    // Both settle before anything is decided: a failed check releases a claim that was made.
    const [claim, checks] = await Promise.allSettled([claimed, options.checks]);
    if (checks.status === 'rejected') {
      if (claim.status === 'fulfilled' && claim.value === 'claimed') await this.release(request, token);
      throw checks.reason;
    }
    if (claim.status === 'rejected') throw claim.reason;
    if (claim.value === 'taken') {
      const first = await this.resolveClaim(request, token);
      if (first) return first;
    }
    try {
      return await this.store(request, token, options.beforePlace);
    } catch (error) {
      // Refused, not cut off: the same message id may be sent once the conversation opens again.
      if (error instanceof ConversationBlockedError) await this.release(request, token);
      throw error;
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
    now: number,
  ): Promise<{ messages: StoredMessage[]; more: boolean }> {
    const from = query.after === undefined ? 1 : query.after + 1;
    const to = query.before === undefined ? MAX_SEQ : query.before - 1;
    if (from > to || query.limit < 1) return { messages: [], more: false };
    // Without `after`, the page is the newest below `before` (or the latest): read backwards.
    const forward = query.after !== undefined;
    for (let read = 0; ; read += 1) {
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
      const found = items.slice(0, query.limit).map(toStoredMessage);
      const plan = planPage(
        conversationId,
        forward ? found : found.reverse(),
        now,
        forward ? from : undefined,
      );
      const filled = await Promise.all(plan.fill.map((skipped) => this.place(skipped)));
      // A seq filled or placed by someone else meanwhile: read the page again, once.
      if (filled.every(Boolean) || read > 0)
        return pageOf(plan, query.limit, forward, items.length > query.limit);
    }
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
          // Only content: a commit, a logged event (and a filled `skipped` seq) are the log's own and stay.
          ConditionExpression:
            'attribute_exists(pk) AND senderId = :sender AND (attribute_not_exists(#kind) OR NOT #kind IN (:commit, :skipped, :event))',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: {
            ':now': now,
            ':sender': senderId,
            ':commit': 'commit',
            ':skipped': 'skipped',
            ':event': 'event',
          },
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

  async setClosed(conversationId: string, by: string, closed: boolean): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.head(conversationId),
          // A string set of reasons: DynamoDB drops the attribute when its last member goes.
          UpdateExpression: `${closed ? 'ADD' : 'DELETE'} blockedBy :reason`,
          // Reopening touches only a head that is closed: no empty head for a conversation never stored.
          ...(closed ? {} : { ConditionExpression: 'attribute_exists(blockedBy)' }),
          ExpressionAttributeValues: { ':reason': new Set([by]) },
        }),
      );
    } catch (error) {
      if (!closed && isConditionFailed(error)) return;
      throw error;
    }
  }

  /** Claims the message id for this request: `taken` when another request holds it. */
  private async claim(request: AppendRequest, token: string): Promise<'claimed' | 'taken'> {
    return this.putRecord(request, token, 'attribute_not_exists(pk)', {});
  }

  /** Takes over the claim of a request that died; `taken` when another request did first. */
  private async takeOver(request: AppendRequest, previous: string, token: string) {
    return this.putRecord(request, token, '#token = :previous', { ':previous': previous });
  }

  private async putRecord(
    request: AppendRequest,
    token: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<'claimed' | 'taken'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.sendRecord(request.senderId, request.conversationId, request.messageId),
            claimedAt: request.now,
            token,
            ttl: Math.ceil((request.now + SEND_RECORD_LIFETIME_IN_MS) / 1000),
          },
          ConditionExpression: condition,
          ...(condition.includes('#token') ? { ExpressionAttributeNames: { '#token': 'token' } } : {}),
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return 'claimed';
    } catch (error) {
      if (isConditionFailed(error)) return 'taken';
      throw error;
    }
  }

  /** Gives up a claim whose checks failed, so a later retry starts afresh. */
  private async release(request: AppendRequest, token: string) {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.sendRecord(request.senderId, request.conversationId, request.messageId),
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': token },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  /**
   * For a message id another request claimed: its first result once it is placed, or undefined
   * when this request now holds the claim (the other request released it, or died).
   */
  private async resolveClaim(request: AppendRequest, token: string): Promise<AppendResult | undefined> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const record = await this.readRecord(request);
      if (!record) {
        // Released after failed checks, or expired: claim it afresh.
        if ((await this.claim(request, token)) === 'claimed') return undefined;
        continue;
      }
      const placed =
        record.seq === undefined ? undefined : await this.get(request.conversationId, record.seq);
      if (placed && isOwn(placed, request)) return duplicateOf(placed);
      if (request.now - record.claimedAt < WRITER_DEADLINE_IN_MS) throw new SendInProgressError();
      // The claimant cannot still be running. It may have placed the message and died before saying
      // where (the two writes go at once): look before storing a second copy.
      const found = await this.findPlaced(request, record.claimedAt);
      if (found) {
        await this.recordSeq(request, record.token, found.seq);
        return duplicateOf(found);
      }
      if ((await this.takeOver(request, record.token, token)) === 'claimed') return undefined;
    }
    throw new SendInProgressError();
  }

  private async readRecord(request: AppendRequest): Promise<SendRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.sendRecord(request.senderId, request.conversationId, request.messageId),
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    return {
      claimedAt: Number(Item.claimedAt),
      token: String(Item.token),
      ...(Item.seq === undefined ? {} : { seq: Number(Item.seq) }),
    };
  }

  /**
   * The sender's message with this id among those placed since it was claimed, newest first. Its
   * time is the claim's (one request's `now`); seqs are taken in time order give or take a writer's
   * deadline, so the search stops at messages older than that.
   */
  private async findPlaced(request: AppendRequest, claimedAt: number): Promise<StoredMessage | undefined> {
    let startKey: Item | undefined;
    for (let page = 0; page < MAX_PAGES_SEARCHED_ON_TAKEOVER; page += 1) {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: {
            ':pk': keys.conversationPk(request.conversationId),
            ':prefix': keys.messagePrefix,
          },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: PAGE_SEARCHED_ON_TAKEOVER,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      const messages = (result.Items ?? []).map(toStoredMessage);
      const found = messages.find((message) => isOwn(message, request) && message.sentAt === claimedAt);
      if (found) return found;
      startKey = result.LastEvaluatedKey;
      const oldest = messages.at(-1);
      if (!startKey || !oldest || oldest.sentAt < claimedAt - WRITER_DEADLINE_IN_MS) return undefined;
    }
    return undefined;
  }

  /**
   * Takes a seq, hands the message on, and places it there; takes another if a reader filled it
   * first (it was handed on as that seq, and whoever has it finds the seq `skipped`).
   */
  private async store(
    request: AppendRequest,
    token: string,
    beforePlace: AppendOptions['beforePlace'],
  ): Promise<AppendResult> {
    for (let attempt = 0; attempt < MAX_TAKES_PER_APPEND; attempt += 1) {
      const taken = await this.take(request);
      const result = {
        seq: taken.seq,
        sentAt: request.now,
        duplicate: false,
        contentCount: taken.contentCount,
      };
      await beforePlace?.(result);
      const message = messageAt(request, taken.seq, taken.contentCount, taken.previousTakenAt);
      const [placed] = await Promise.all([this.place(message), this.recordSeq(request, token, taken.seq)]);
      if (placed) return result;
    }
    throw new ParleyError('The message could not be placed: every seq it took was filled first');
  }

  /**
   * Takes the next seq: one conditional UpdateItem that also counts content and notes the time.
   * The old values it returns give the seq before, its count and when it was taken.
   */
  private async take(request: AppendRequest): Promise<Taken> {
    const content = isContent(request.kind);
    const sets = [
      'seq = if_not_exists(seq, :zero) + :one',
      'contentCount = if_not_exists(contentCount, :zero) + :content',
      'lastAt = :now',
      ...(content ? ['contentSeq = if_not_exists(seq, :zero) + :one', 'contentAt = :now'] : []),
    ];
    // Heads from before counts were kept must be given one first (see `countLegacyHead`).
    const conditions = ['(attribute_not_exists(seq) OR attribute_exists(contentCount))'];
    // Commits pass a block: they are MLS plumbing, and the group must still follow device changes.
    if (content) conditions.push('attribute_not_exists(blockedBy)');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const { Attributes: old = {} } = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.head(request.conversationId),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeValues: {
              ':zero': 0,
              ':one': 1,
              ':content': content ? 1 : 0,
              ':now': request.now,
            },
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        return {
          seq: Number(old.seq ?? 0) + 1,
          contentCount: Number(old.contentCount ?? 0) + (content ? 1 : 0),
          ...(old.lastAt === undefined ? {} : { previousTakenAt: Number(old.lastAt) }),
        };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        const head = await this.readHead(request.conversationId);
        if (content && head?.blockedBy !== undefined) throw new ConversationBlockedError({ cause: error });
        if (head?.seq !== undefined && head.contentCount === undefined) await this.countLegacyHead(request);
      }
    }
    throw new ParleyError('The conversation head kept changing while a seq was taken');
  }

  private async readHead(conversationId: string): Promise<Item | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.head(conversationId), ConsistentRead: true }),
    );
    return Item;
  }

  /** A head from before counts were kept counted every message as content: it starts from its seq. */
  private async countLegacyHead(request: AppendRequest) {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.head(request.conversationId),
          UpdateExpression: 'SET contentCount = seq',
          ConditionExpression: 'attribute_exists(seq) AND attribute_not_exists(contentCount)',
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  /** Puts the message (or a `skipped` entry) at its seq; false when the seq is already filled. */
  private async place(message: StoredMessage): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.message(message.conversationId, message.seq), ...message },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Writes down where the claimed message went. Conditional on the claim still being this
   * request's: it is taken over only after the writer deadline, which no request outlives.
   */
  private async recordSeq(request: AppendRequest, token: string, seq: number) {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.sendRecord(request.senderId, request.conversationId, request.messageId),
        UpdateExpression: 'SET seq = :seq',
        ConditionExpression: '#token = :token',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':seq': seq, ':token': token },
      }),
    );
  }
}

function isOwn(message: StoredMessage, request: AppendRequest): boolean {
  return message.senderId === request.senderId && message.messageId === request.messageId;
}

function duplicateOf(message: StoredMessage): AppendResult {
  return { seq: message.seq, sentAt: message.sentAt, duplicate: true, contentCount: message.contentCount };
}

/** Heads written before counts were kept count every message as content. */
function toLogHead(conversationId: string, item: Item): LogHead {
  // A head closed before the conversation's first message has no seq yet.
  const seq = item.seq === undefined ? 0 : Number(item.seq);
  return {
    conversationId,
    seq,
    ...(item.blockedBy === undefined ? {} : { closed: true as const }),
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
    ...(Array.isArray(item.attachmentIds) ? { attachmentIds: item.attachmentIds.map(String) } : {}),
    ...(item.body instanceof Uint8Array ? { body: item.body } : {}),
    ...(blobRefOf(item.bodyRef) ? { bodyRef: blobRefOf(item.bodyRef) as BlobRef } : {}),
    ...(item.deletedAt === undefined ? {} : { deletedAt: Number(item.deletedAt) }),
    // Messages stored before counts were kept count as content.
    contentCount: item.contentCount === undefined ? Number(item.seq) : Number(item.contentCount),
    ...(item.previousTakenAt === undefined ? {} : { previousTakenAt: Number(item.previousTakenAt) }),
  };
}
