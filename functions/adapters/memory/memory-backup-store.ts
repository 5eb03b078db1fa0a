import type {
  BackupChunk,
  BackupHead,
  BackupLimit,
  BackupLimits,
  BackupStore,
  DueBackupChunk,
} from '../../ports/backup-store';

interface Kept extends BackupChunk {
  readonly takenAt?: number;
}

/** Backups kept in memory, with `DynamoDbBackupStore`'s rules. */
export class InMemoryBackupStore implements BackupStore {
  private readonly heads = new Map<string, BackupHead>();
  private readonly chunks = new Map<string, Kept>();
  private readonly dueEntries = new Map<string, DueBackupChunk>();
  private readonly usages = new Map<string, { bytes: number; pendingChunks: number }>();

  async getHead(userId: string): Promise<BackupHead | undefined> {
    const head = this.heads.get(userId);
    return head ? { ...head, chunkIds: [...head.chunkIds] } : undefined;
  }

  async putHead(userId: string, head: BackupHead, expectedVersion: number): Promise<boolean> {
    if ((this.heads.get(userId)?.version ?? 0) !== expectedVersion) return false;
    this.heads.set(userId, { ...head, chunkIds: [...head.chunkIds] });
    return true;
  }

  async deleteHead(userId: string): Promise<void> {
    this.heads.delete(userId);
  }

  async reserve(
    userId: string,
    chunk: BackupChunk & { dueAt: number },
    limits: BackupLimits,
  ): Promise<BackupLimit | undefined> {
    const usage = await this.usage(userId);
    if (usage.bytes + chunk.size > limits.maxBytes) return 'bytes';
    if (usage.pendingChunks >= limits.maxPendingChunks) return 'pendingChunks';
    const key = keyOf(userId, chunk.chunkId);
    if (this.chunks.has(key)) throw new Error(`Backup chunk ${chunk.chunkId} exists`);
    this.count(userId, chunk.size, 1);
    this.chunks.set(key, { ...chunk, pending: true });
    this.putDue({ userId, chunkId: chunk.chunkId, dueAt: chunk.dueAt });
    return undefined;
  }

  async getChunks(userId: string, chunkIds: readonly string[]): Promise<BackupChunk[]> {
    return chunkIds.flatMap((id) => {
      const kept = this.chunks.get(keyOf(userId, id));
      return kept && kept.takenAt === undefined ? [chunkOf(kept)] : [];
    });
  }

  async listChunks(userId: string): Promise<BackupChunk[]> {
    return [...this.chunks.entries()]
      .filter(([key, kept]) => key.startsWith(keyOf(userId, '')) && kept.takenAt === undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, kept]) => chunkOf(kept));
  }

  async hold(userId: string, chunkIds: readonly string[], dueAt: number): Promise<string[]> {
    const refused: string[] = [];
    for (const chunkId of chunkIds) {
      const key = keyOf(userId, chunkId);
      const kept = this.chunks.get(key);
      if (!kept || kept.takenAt !== undefined) {
        refused.push(chunkId);
        continue;
      }
      this.chunks.set(key, { ...kept, dueAt });
      this.putDue({ userId, chunkId, dueAt });
    }
    return refused;
  }

  async settle(userId: string, chunkIds: readonly string[]): Promise<void> {
    for (const chunkId of chunkIds) {
      const key = keyOf(userId, chunkId);
      const kept = this.chunks.get(key);
      if (!kept || kept.takenAt !== undefined) continue;
      if (kept.pending) this.count(userId, 0, -1);
      const { dueAt: _dueAt, ...rest } = kept;
      this.chunks.set(key, { ...rest, pending: false });
    }
  }

  async due(now: number, limit: number): Promise<DueBackupChunk[]> {
    return [...this.dueEntries.values()]
      .filter((entry) => entry.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, limit);
  }

  async takeForDeletion(chunk: DueBackupChunk, now: number): Promise<boolean> {
    const key = keyOf(chunk.userId, chunk.chunkId);
    const kept = this.chunks.get(key);
    const takeable = kept !== undefined && (kept.takenAt !== undefined || (kept.dueAt ?? Infinity) <= now);
    if (!takeable) {
      await this.dropDue([chunk]);
      return false;
    }
    if (kept.takenAt === undefined) this.chunks.set(key, { ...kept, takenAt: now });
    return true;
  }

  async forget(
    userId: string,
    chunkIds: readonly string[],
    dueEntries: readonly DueBackupChunk[] = [],
  ): Promise<void> {
    for (const chunkId of chunkIds) {
      const key = keyOf(userId, chunkId);
      const kept = this.chunks.get(key);
      if (!kept) continue;
      this.chunks.delete(key);
      this.count(userId, -kept.size, kept.pending ? -1 : 0);
    }
    await this.dropDue(dueEntries);
  }

  async dropDue(entries: readonly DueBackupChunk[]): Promise<void> {
    for (const entry of entries) this.dueEntries.delete(dueKeyOf(entry));
  }

  async usage(userId: string): Promise<{ readonly bytes: number; readonly pendingChunks: number }> {
    return { ...(this.usages.get(userId) ?? { bytes: 0, pendingChunks: 0 }) };
  }

  private count(userId: string, bytes: number, pendingChunks: number) {
    const usage = this.usages.get(userId) ?? { bytes: 0, pendingChunks: 0 };
    this.usages.set(userId, {
      bytes: usage.bytes + bytes,
      pendingChunks: usage.pendingChunks + pendingChunks,
    });
  }

  private putDue(entry: DueBackupChunk) {
    this.dueEntries.set(dueKeyOf(entry), entry);
  }
}

function keyOf(userId: string, chunkId: string): string {
  return `${userId}\u0000${chunkId}`;
}

function dueKeyOf(entry: DueBackupChunk): string {
  return `${entry.dueAt}\u0000${entry.userId}\u0000${entry.chunkId}`;
}

function chunkOf(kept: Kept): BackupChunk {
  const { takenAt: _takenAt, ...chunk } = kept;
  return chunk;
}
