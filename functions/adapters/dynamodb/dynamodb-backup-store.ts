import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { inParallel } from '../../chat/in-parallel';
import type {
  BackupChunk,
  BackupHead,
  BackupLimit,
  BackupLimits,
  BackupStore,
  DueBackupChunk,
} from '../../ports/backup-store';
import { batchGetAll, batchWriteAll, type Item } from './batch';
import { isConditionFailed, keys, updateIf } from './keys';
import { queryAll } from './query-all';

const HOUR_IN_MS = 60 * 60 * 1000;

/** How far back the sweep looks for due chunks, as for attachments: it runs every quarter of an hour. */
export const BACKUP_SWEEP_LOOKBACK_IN_MS = 72 * HOUR_IN_MS;

/** Single-item writes in flight at once for one request (one per chunk: settling, forgetting). */
const WRITES_AT_ONCE = 25;

/**
 * A user's backup under their own partition: the head (`BACKUP`, the chunk ids as a list, so a write bills
 * about 1 KB per 40 chunks) and one small record per chunk (`BKCHUNK#{id}`). The usage beside the user's
 * other counts (`QUOTA#{userId}` / `BACKUP`): `bytes` of every chunk and `pendingChunks`, moved by
 * conditional `ADD`s as the friend count is, so a reservation costs one small write and two racing ones
 * cannot both take the last place. A due entry per chunk the sweep should look at, under the UTC hour it
 * falls due (`BKDUE#{hour}`), as attachments have.
 */
export class DynamoDbBackupStore implements BackupStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getHead(userId: string): Promise<BackupHead | undefined> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.backupHead(userId), ConsistentRead: true }),
    );
    if (!item) return undefined;
    return {
      version: Number(item.version),
      header: String(item.header),
      indexChunkId: String(item.indexChunkId),
      chunkIds: (item.chunkIds as unknown[]).map(String),
      bytes: Number(item.bytes),
      updatedAt: Number(item.updatedAt),
    };
  }

  async putHead(userId: string, head: BackupHead, expectedVersion: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.backupHead(userId), ...head, chunkIds: [...head.chunkIds] },
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async deleteHead(userId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.backupHead(userId) }));
  }

  async reserve(
    userId: string,
    chunk: BackupChunk & { dueAt: number },
    limits: BackupLimits,
  ): Promise<BackupLimit | undefined> {
    const counted = await updateIf(this.client, {
      TableName: this.tableName,
      Key: keys.backupUsage(userId),
      UpdateExpression: 'ADD #bytes :size, pendingChunks :one',
      ConditionExpression:
        '(attribute_not_exists(#bytes) OR #bytes <= :room) AND ' +
        '(attribute_not_exists(pendingChunks) OR pendingChunks < :maxPending)',
      ExpressionAttributeNames: { '#bytes': 'bytes' },
      ExpressionAttributeValues: {
        ':size': chunk.size,
        ':one': 1,
        ':room': limits.maxBytes - chunk.size,
        ':maxPending': limits.maxPendingChunks,
      },
    });
    if (!counted) {
      // Which one: read what refused it, to say so.
      const usage = await this.usage(userId);
      return usage.pendingChunks >= limits.maxPendingChunks ? 'pendingChunks' : 'bytes';
    }
    await Promise.all([
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.backupChunk(userId, chunk.chunkId),
            chunkId: chunk.chunkId,
            size: chunk.size,
            createdAt: chunk.createdAt,
            pending: true,
            dueAt: chunk.dueAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
      this.putDue([{ userId, chunkId: chunk.chunkId, dueAt: chunk.dueAt }]),
    ]);
    return undefined;
  }

  async getChunks(userId: string, chunkIds: readonly string[]): Promise<BackupChunk[]> {
    const items = await batchGetAll(
      this.client,
      this.tableName,
      chunkIds.map((id) => keys.backupChunk(userId, id)),
      { consistentRead: true },
    );
    // BatchGetItem answers in any order: give them back in the order asked.
    const byId = new Map(items.filter(untaken).map((item) => [String(item.chunkId), toChunk(item)]));
    return chunkIds.flatMap((id) => {
      const chunk = byId.get(id);
      return chunk ? [chunk] : [];
    });
  }

  async listChunks(userId: string): Promise<BackupChunk[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.userPk(userId), ':prefix': keys.backupChunkPrefix },
      ConsistentRead: true,
    });
    return items.filter(untaken).map(toChunk);
  }

  async hold(userId: string, chunkIds: readonly string[], dueAt: number): Promise<string[]> {
    const held = await inParallel(chunkIds, WRITES_AT_ONCE, (chunkId) =>
      updateIf(this.client, {
        TableName: this.tableName,
        Key: keys.backupChunk(userId, chunkId),
        UpdateExpression: 'SET dueAt = :dueAt',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(takenAt)',
        ExpressionAttributeValues: { ':dueAt': dueAt },
      }),
    );
    // The entry the sweep finds them by at their new time; their old entries find them held and go.
    await this.putDue(
      chunkIds.filter((_, index) => held[index]).map((chunkId) => ({ userId, chunkId, dueAt })),
    );
    return chunkIds.filter((_, index) => !held[index]);
  }

  async settle(userId: string, chunkIds: readonly string[]): Promise<void> {
    const wasPending = await inParallel(chunkIds, WRITES_AT_ONCE, async (chunkId) => {
      try {
        const { Attributes } = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.backupChunk(userId, chunkId),
            UpdateExpression: 'REMOVE pending, dueAt',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(takenAt)',
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        // Only the write that removed `pending` gives its place back: a repeat finds it gone.
        return Attributes?.pending === true;
      } catch (error) {
        if (isConditionFailed(error)) return false;
        throw error;
      }
    });
    const settled = wasPending.filter(Boolean).length;
    if (settled > 0) await this.count(userId, 0, -settled);
  }

  async due(now: number, limit: number): Promise<DueBackupChunk[]> {
    const found: DueBackupChunk[] = [];
    const first = Math.floor((now - BACKUP_SWEEP_LOOKBACK_IN_MS) / HOUR_IN_MS) * HOUR_IN_MS;
    for (let hour = first; hour <= now && found.length < limit; hour += HOUR_IN_MS) {
      const { Items = [] } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk <= :upTo',
          ExpressionAttributeValues: {
            ':pk': keys.backupChunkDueHour(hour),
            ':upTo': `${String(now).padStart(13, '0')}#\uffff`,
          },
          Limit: limit - found.length,
        }),
      );
      found.push(
        ...Items.map((item) => ({
          userId: String(item.userId),
          chunkId: String(item.chunkId),
          dueAt: Number(item.dueAt),
        })),
      );
    }
    return found;
  }

  async takeForDeletion(chunk: DueBackupChunk, now: number): Promise<boolean> {
    const taken = await updateIf(this.client, {
      TableName: this.tableName,
      Key: keys.backupChunk(chunk.userId, chunk.chunkId),
      UpdateExpression: 'SET takenAt = if_not_exists(takenAt, :now)',
      // Taken already: a run cut off before forgetting it.
      ConditionExpression: 'attribute_exists(pk) AND (attribute_exists(takenAt) OR dueAt <= :now)',
      ExpressionAttributeValues: { ':now': now },
    });
    if (!taken) await this.dropDue([chunk]);
    return taken;
  }

  async forget(
    userId: string,
    chunkIds: readonly string[],
    dueEntries: readonly DueBackupChunk[] = [],
  ): Promise<void> {
    const deleted = await inParallel(chunkIds, WRITES_AT_ONCE, async (chunkId) => {
      const { Attributes } = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.backupChunk(userId, chunkId),
          ReturnValues: 'ALL_OLD',
        }),
      );
      return Attributes;
    });
    // Counted down by what each delete actually removed, so a repeat counts nothing.
    const gone = deleted.filter((item): item is Item => item !== undefined);
    const bytes = gone.reduce((sum, item) => sum + Number(item.size), 0);
    const pending = gone.filter((item) => item.pending === true).length;
    if (gone.length > 0) await this.count(userId, -bytes, -pending);
    await this.dropDue(dueEntries);
  }

  async dropDue(entries: readonly DueBackupChunk[]): Promise<void> {
    await batchWriteAll(
      this.client,
      this.tableName,
      entries.map((entry) => ({
        DeleteRequest: { Key: keys.backupChunkDue(entry.dueAt, entry.userId, entry.chunkId) },
      })),
    );
  }

  async usage(userId: string): Promise<{ readonly bytes: number; readonly pendingChunks: number }> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.backupUsage(userId), ConsistentRead: true }),
    );
    return { bytes: Number(item?.bytes ?? 0), pendingChunks: Number(item?.pendingChunks ?? 0) };
  }

  private async count(userId: string, bytes: number, pendingChunks: number) {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.backupUsage(userId),
        UpdateExpression: 'ADD #bytes :bytes, pendingChunks :pending',
        ExpressionAttributeNames: { '#bytes': 'bytes' },
        ExpressionAttributeValues: { ':bytes': bytes, ':pending': pendingChunks },
      }),
    );
  }

  private async putDue(entries: readonly DueBackupChunk[]) {
    await batchWriteAll(
      this.client,
      this.tableName,
      entries.map((entry) => ({
        PutRequest: { Item: { ...keys.backupChunkDue(entry.dueAt, entry.userId, entry.chunkId), ...entry } },
      })),
    );
  }
}

function untaken(item: Item): boolean {
  return item.takenAt === undefined;
}

function toChunk(item: Item): BackupChunk {
  return {
    chunkId: String(item.chunkId),
    size: Number(item.size),
    createdAt: Number(item.createdAt),
    pending: item.pending === true,
    ...(item.dueAt === undefined ? {} : { dueAt: Number(item.dueAt) }),
  };
}
