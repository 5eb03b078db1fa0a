import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { OPEN_HISTORY_TRANSFER_STATES } from '../../../shared/protocol/history-transfer';
import { MAX_LISTED_HISTORY_TRANSFERS } from '../../../shared/protocol/limits';
import { ParleyError } from '../../errors';
import {
  type HistoryChunkRecord,
  type HistoryTransferRecord,
  type HistoryTransferStore,
  listedTransfers,
} from '../../ports/history-transfer-store';
import { batchGetAll, type Item } from './batch';
import { isConditionFailed, keys, ttlFromMs, updateIf } from './keys';

const DAY_IN_MS = 24 * 60 * 60 * 1000;

/** Items stay a day past their transfer's expiry before the TTL may remove them: readers judge expiry anyway. */
const TTL_GRACE_IN_MS = DAY_IN_MS;

/** Racing `open`s of one user each retry after losing the index's version to another. */
const MAX_OPEN_ATTEMPTS = 5;

/** Conditions shared by every change: the transfer exists and has not expired. */
const LIVE = 'attribute_exists(pk) AND expiresAt > :now';
const OPEN_STATES = OPEN_HISTORY_TRANSFER_STATES.map((_, i) => `:open${i}`);
const OPEN_STATE_VALUES = Object.fromEntries(
  OPEN_HISTORY_TRANSFER_STATES.map((state, i) => [`:open${i}`, state]),
);

/**
 * History transfers as one item each under their user (`HXFER#{transferId}`), each change one conditional
 * update, and the announced chunks' descriptors as items of their own (`HXCHUNK#…`: a transfer's 2,048
 * descriptors would not fit one item's 400 KB). A user's index item (`HXFERS`) keeps the open transfers,
 * counted against the cap by a conditional write on its version, and the recent ones the list reads by key:
 * no Query over a partition that every transfer ever made would grow, and no index to keep eventually
 * consistent. The table has no transactions locally (dynalite): a crash between a transfer's write and its
 * index's leaves an entry the next reader prunes by its `expiresAt`.
 */
export class DynamoDbHistoryTransferStore implements HistoryTransferStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async open(transfer: HistoryTransferRecord, maxOpen: number, now: number): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_OPEN_ATTEMPTS; attempt += 1) {
      const index = await this.readIndex(transfer.userId);
      const open = liveEntries(index.open, now);
      if (Object.keys(open).length >= maxOpen) return false;
      open[transfer.transferId] = transfer.expiresAt;
      const recent = keptRecent(
        { ...liveEntries(index.recent, now), [transfer.transferId]: transfer.expiresAt },
        open,
      );
      const written = await updateIf(this.client, {
        TableName: this.tableName,
        Key: keys.userHistoryTransfers(transfer.userId),
        UpdateExpression: 'SET #open = :open, recent = :recent, version = :next, #ttl = :ttl',
        ConditionExpression: index.version === undefined ? 'attribute_not_exists(pk)' : 'version = :version',
        ExpressionAttributeNames: { '#open': 'open', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':open': open,
          ':recent': recent,
          ':next': (index.version ?? 0) + 1,
          ':ttl': ttlFromMs(Math.max(transfer.expiresAt, ...Object.values(recent)) + TTL_GRACE_IN_MS),
          ...(index.version === undefined ? {} : { ':version': index.version }),
        },
      });
      if (!written) continue;
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.historyTransfer(transfer.userId, transfer.transferId),
            ...transfer,
            ttl: ttlFromMs(transfer.expiresAt + TTL_GRACE_IN_MS),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    }
    throw new ParleyError(
      `History transfers of ${transfer.userId} kept changing under ${MAX_OPEN_ATTEMPTS} attempts`,
    );
  }

  async get(userId: string, transferId: string): Promise<HistoryTransferRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.historyTransfer(userId, transferId),
        ConsistentRead: true,
      }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async list(userId: string, now: number, limit: number): Promise<HistoryTransferRecord[]> {
    const index = await this.readIndex(userId);
    const records = await this.getMany(userId, Object.keys(liveEntries(index.recent, now)));
    return listedTransfers(
      records.filter((record) => record.expiresAt > now),
      limit,
    );
  }

  async listOpen(userId: string, now: number): Promise<HistoryTransferRecord[]> {
    const index = await this.readIndex(userId);
    const records = await this.getMany(userId, Object.keys(liveEntries(index.open, now)));
    return records.filter(
      (record) => record.expiresAt > now && OPEN_HISTORY_TRANSFER_STATES.includes(record.state),
    );
  }

  offer(userId: string, transferId: string, offer: string, now: number) {
    return this.change(userId, transferId, {
      UpdateExpression: 'SET #state = :offered, offer = :offer, updatedAt = :now',
      ConditionExpression: `${LIVE} AND #state = :requested`,
      ExpressionAttributeValues: {
        ':offered': 'offered',
        ':requested': 'requested',
        ':offer': offer,
        ':now': now,
      },
    });
  }

  approve(userId: string, transferId: string, approval: string, now: number) {
    return this.change(userId, transferId, {
      UpdateExpression: 'SET #state = :approved, approval = :approval, updatedAt = :now',
      ConditionExpression: `${LIVE} AND #state = :offered`,
      ExpressionAttributeValues: {
        ':approved': 'approved',
        ':offered': 'offered',
        ':approval': approval,
        ':now': now,
      },
    });
  }

  async addChunk(
    userId: string,
    transferId: string,
    chunk: HistoryChunkRecord & { readonly final: boolean },
    now: number,
  ): Promise<HistoryTransferRecord | undefined> {
    const { index, size, descriptor } = chunk;
    // The count first: the one write that decides which of two racing announcements counts.
    const counted = await this.change(userId, transferId, {
      UpdateExpression:
        'SET chunks = chunks + :one, bytes = bytes + :size, lastChunk = :chunk, #state = :next, updatedAt = :now',
      ConditionExpression: `${LIVE} AND #state = :approved AND chunks = :index`,
      ExpressionAttributeValues: {
        ':one': 1,
        ':size': size,
        ':chunk': { index, size, descriptor },
        ':next': chunk.final ? 'sent' : 'approved',
        ':approved': 'approved',
        ':index': index,
        ':now': now,
      },
    });
    if (counted) await this.keepChunk(userId, transferId, { index, size, descriptor }, counted.expiresAt);
    return counted;
  }

  async keepChunk(userId: string, transferId: string, chunk: HistoryChunkRecord, expiresAt: number) {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.historyChunk(userId, transferId, chunk.index),
          index: chunk.index,
          size: chunk.size,
          descriptor: chunk.descriptor,
          ttl: ttlFromMs(expiresAt + TTL_GRACE_IN_MS),
        },
      }),
    );
  }

  async chunk(userId: string, transferId: string, index: number): Promise<HistoryChunkRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.historyChunk(userId, transferId, index),
        ConsistentRead: true,
      }),
    );
    return Item
      ? { index: Number(Item.index), size: Number(Item.size), descriptor: String(Item.descriptor) }
      : undefined;
  }

  async confirm(
    userId: string,
    transferId: string,
    received: number,
    now: number,
  ): Promise<HistoryTransferRecord | undefined> {
    await this.change(userId, transferId, {
      UpdateExpression: 'SET received = :received, updatedAt = :now',
      ConditionExpression: `${LIVE} AND #state IN (:approved, :sent) AND received < :received AND chunks >= :received`,
      ExpressionAttributeValues: {
        ':received': received,
        ':approved': 'approved',
        ':sent': 'sent',
        ':now': now,
      },
    });
    // Apart, so that the confirmation of the last chunk and the announcement of it as final may come in
    // either order: whichever is second finds the other done.
    const done = await this.change(userId, transferId, {
      UpdateExpression: 'SET #state = :done, updatedAt = :now',
      ConditionExpression: `${LIVE} AND #state = :sent AND received = chunks`,
      ExpressionAttributeValues: { ':done': 'done', ':sent': 'sent', ':now': now },
    });
    if (done) await this.release(userId, transferId);
    return done ?? this.get(userId, transferId);
  }

  async cancel(userId: string, transferId: string, now: number): Promise<HistoryTransferRecord | undefined> {
    const cancelled = await this.change(userId, transferId, {
      UpdateExpression: 'SET #state = :cancelled, updatedAt = :now',
      ConditionExpression: `${LIVE} AND #state IN (${OPEN_STATES.join(', ')})`,
      ExpressionAttributeValues: { ':cancelled': 'cancelled', ':now': now, ...OPEN_STATE_VALUES },
    });
    if (cancelled) await this.release(userId, transferId);
    return cancelled;
  }

  /** One conditional update of a transfer, answering it as it is after, or `undefined` when the condition failed. */
  private async change(
    userId: string,
    transferId: string,
    input: Pick<UpdateCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'>,
  ): Promise<HistoryTransferRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.historyTransfer(userId, transferId),
          ...input,
          ExpressionAttributeNames: { '#state': 'state' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toRecord(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  /** Frees a finished transfer's open slot; the version moves, so an `open` reading the index meanwhile retries. */
  private async release(userId: string, transferId: string): Promise<void> {
    await updateIf(this.client, {
      TableName: this.tableName,
      Key: keys.userHistoryTransfers(userId),
      UpdateExpression: 'REMOVE #open.#id ADD version :one',
      ConditionExpression: 'attribute_exists(#open)',
      ExpressionAttributeNames: { '#open': 'open', '#id': transferId },
      ExpressionAttributeValues: { ':one': 1 },
    });
  }

  private async readIndex(userId: string): Promise<{
    open: Record<string, number>;
    recent: Record<string, number>;
    version?: number;
  }> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.userHistoryTransfers(userId),
        ConsistentRead: true,
      }),
    );
    if (!Item) return { open: {}, recent: {} };
    return {
      open: numbers(Item.open),
      recent: numbers(Item.recent),
      version: Number(Item.version),
    };
  }

  private async getMany(userId: string, transferIds: readonly string[]): Promise<HistoryTransferRecord[]> {
    if (transferIds.length === 0) return [];
    const items = await batchGetAll(
      this.client,
      this.tableName,
      transferIds.map((id) => keys.historyTransfer(userId, id)),
      { consistentRead: true },
    );
    return items.map(toRecord);
  }
}

/** The recent entries to keep: the open ones, and the newest others up to the list's length. */
function keptRecent(recent: Record<string, number>, open: Record<string, number>): Record<string, number> {
  const others = Object.entries(recent)
    .filter(([id]) => !(id in open))
    .sort(([, a], [, b]) => b - a)
    .slice(0, MAX_LISTED_HISTORY_TRANSFERS);
  return { ...open, ...Object.fromEntries(others) };
}

function liveEntries(entries: Record<string, number>, now: number): Record<string, number> {
  return Object.fromEntries(Object.entries(entries).filter(([, expiresAt]) => expiresAt > now));
}

function numbers(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([id, n]) => [id, Number(n)]));
}

function toRecord(item: Item): HistoryTransferRecord {
  const lastChunk = item.lastChunk as { index: unknown; size: unknown; descriptor: unknown } | undefined;
  return {
    userId: String(item.userId),
    transferId: String(item.transferId),
    fromDeviceId: String(item.fromDeviceId),
    toDeviceId: String(item.toDeviceId),
    state: String(item.state) as HistoryTransferRecord['state'],
    request: String(item.request),
    ...(item.offer === undefined ? {} : { offer: String(item.offer) }),
    ...(item.approval === undefined ? {} : { approval: String(item.approval) }),
    chunks: Number(item.chunks),
    bytes: Number(item.bytes),
    received: Number(item.received),
    ...(lastChunk === undefined
      ? {}
      : {
          lastChunk: {
            index: Number(lastChunk.index),
            size: Number(lastChunk.size),
            descriptor: String(lastChunk.descriptor),
          },
        }),
    createdAt: Number(item.createdAt),
    updatedAt: Number(item.updatedAt),
    expiresAt: Number(item.expiresAt),
  };
}
