import { randomUUID } from 'node:crypto';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { SendInProgressError } from '../../errors';
import type { AppendRequest, AppendResult, MessageLog, StoredMessage } from '../../ports/message-log';
import { isConditionFailed, keys } from './keys';

/** Longer than the send function's timeout: a claim this old belongs to a request that died. */
const CLAIM_TIMEOUT_IN_MS = 30_000;

/** Seats tried before re-reading the head, when many senders race for the same seq. */
const MAX_SEATS_PER_READ = 25;

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
          await this.advanceHead(request.conversationId, seq);
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
    if (!Item) return undefined;
    return {
      conversationId,
      seq: Number(Item.seq),
      messageId: String(Item.messageId),
      senderId: String(Item.senderId),
      sentAt: Number(Item.sentAt),
      body: Item.body as Uint8Array,
    };
  }

  private async readHeadAndRecord(request: AppendRequest): Promise<{ head: number; record?: SendRecord }> {
    const headKey = keys.head(request.conversationId);
    const recordKey = keys.sendRecord(request.conversationId, request.senderId, request.messageId);
    let pending: Record<string, unknown>[] = [headKey, recordKey];
    const found: Record<string, unknown>[] = [];
    // BatchGetItem may leave keys unprocessed under load: ask again for those.
    while (pending.length > 0) {
      const result = await this.client.send(
        new BatchGetCommand({
          RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      found.push(...(result.Responses?.[this.tableName] ?? []));
      pending = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
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
          Item: {
            ...keys.message(request.conversationId, seq),
            conversationId: request.conversationId,
            seq,
            messageId: request.messageId,
            senderId: request.senderId,
            sentAt: request.now,
            body: request.body,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  private async advanceHead(conversationId: string, seq: number) {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.head(conversationId),
          UpdateExpression: 'SET seq = :seq',
          ConditionExpression: 'attribute_not_exists(seq) OR seq < :seq',
          ExpressionAttributeValues: { ':seq': seq },
        }),
      );
    } catch (error) {
      // A later message already moved the head past this one: nothing to do.
      if (!isConditionFailed(error)) throw error;
    }
  }
}
