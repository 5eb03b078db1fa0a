import { isOpenHistoryTransferState } from '../../../shared/protocol/history-transfer';
import {
  type HistoryChunkRecord,
  type HistoryTransferRecord,
  type HistoryTransferStore,
  listedTransfers,
} from '../../ports/history-transfer-store';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** History transfers kept in memory, per user, with the table adapter's rules; for unit tests. */
export class InMemoryHistoryTransferStore implements HistoryTransferStore {
  /** By `{userId}/{transferId}`. */
  private readonly transfers = new Map<string, HistoryTransferRecord>();
  /** By `{userId}/{transferId}/{index}`. */
  private readonly chunks = new Map<string, HistoryChunkRecord>();

  async open(transfer: HistoryTransferRecord, maxOpen: number, now: number): Promise<boolean> {
    if ((await this.listOpen(transfer.userId, now)).length >= maxOpen) return false;
    const key = keyOf(transfer.userId, transfer.transferId);
    if (this.transfers.has(key)) throw new Error(`Transfer ${transfer.transferId} exists`);
    this.transfers.set(key, copy(transfer));
    return true;
  }

  async get(userId: string, transferId: string): Promise<HistoryTransferRecord | undefined> {
    const stored = this.transfers.get(keyOf(userId, transferId));
    return stored ? copy(stored) : undefined;
  }

  async list(userId: string, now: number, limit: number): Promise<HistoryTransferRecord[]> {
    return listedTransfers(
      this.ofUser(userId).filter((record) => record.expiresAt > now),
      limit,
    ).map(copy);
  }

  async listOpen(userId: string, now: number): Promise<HistoryTransferRecord[]> {
    return this.ofUser(userId)
      .filter((record) => record.expiresAt > now && isOpenHistoryTransferState(record.state))
      .map(copy);
  }

  async offer(userId: string, transferId: string, offer: string, now: number) {
    return this.change(userId, transferId, now, (t) => t.state === 'requested', { state: 'offered', offer });
  }

  async approve(userId: string, transferId: string, approval: string, now: number) {
    return this.change(userId, transferId, now, (t) => t.state === 'offered', {
      state: 'approved',
      approval,
    });
  }

  async addChunk(
    userId: string,
    transferId: string,
    chunk: HistoryChunkRecord & { readonly final: boolean },
    now: number,
  ): Promise<HistoryTransferRecord | undefined> {
    const { index, size, descriptor } = chunk;
    const counted = await this.change(
      userId,
      transferId,
      now,
      (t) => t.state === 'approved' && t.chunks === index,
      (t) => ({
        chunks: t.chunks + 1,
        bytes: t.bytes + size,
        lastChunk: { index, size, descriptor },
        state: chunk.final ? 'sent' : 'approved',
      }),
    );
    if (counted) await this.keepChunk(userId, transferId, { index, size, descriptor }, counted.expiresAt);
    return counted;
  }

  async keepChunk(
    userId: string,
    transferId: string,
    chunk: HistoryChunkRecord,
    _expiresAt?: number,
  ): Promise<void> {
    this.chunks.set(`${keyOf(userId, transferId)}/${chunk.index}`, { ...chunk });
  }

  async chunk(userId: string, transferId: string, index: number): Promise<HistoryChunkRecord | undefined> {
    const stored = this.chunks.get(`${keyOf(userId, transferId)}/${index}`);
    return stored ? { ...stored } : undefined;
  }

  async confirm(
    userId: string,
    transferId: string,
    received: number,
    now: number,
  ): Promise<HistoryTransferRecord | undefined> {
    await this.change(
      userId,
      transferId,
      now,
      (t) => (t.state === 'approved' || t.state === 'sent') && t.received < received && t.chunks >= received,
      { received },
    );
    const done = await this.change(
      userId,
      transferId,
      now,
      (t) => t.state === 'sent' && t.received === t.chunks,
      { state: 'done' },
    );
    return done ?? this.get(userId, transferId);
  }

  async cancel(userId: string, transferId: string, now: number): Promise<HistoryTransferRecord | undefined> {
    return this.change(userId, transferId, now, (t) => isOpenHistoryTransferState(t.state), {
      state: 'cancelled',
    });
  }

  private async change(
    userId: string,
    transferId: string,
    now: number,
    allowed: (transfer: HistoryTransferRecord) => boolean,
    update:
      | Partial<Mutable<HistoryTransferRecord>>
      | ((transfer: HistoryTransferRecord) => Partial<Mutable<HistoryTransferRecord>>),
  ): Promise<HistoryTransferRecord | undefined> {
    const key = keyOf(userId, transferId);
    const stored = this.transfers.get(key);
    if (!stored || stored.expiresAt <= now || !allowed(stored)) return undefined;
    const changed = {
      ...stored,
      ...(typeof update === 'function' ? update(stored) : update),
      updatedAt: now,
    };
    this.transfers.set(key, changed);
    return copy(changed);
  }

  private ofUser(userId: string): HistoryTransferRecord[] {
    return [...this.transfers.values()].filter((record) => record.userId === userId);
  }
}

function keyOf(userId: string, transferId: string): string {
  return `${userId}/${transferId}`;
}

function copy(record: HistoryTransferRecord): HistoryTransferRecord {
  return { ...record, ...(record.lastChunk ? { lastChunk: { ...record.lastChunk } } : {}) };
}
