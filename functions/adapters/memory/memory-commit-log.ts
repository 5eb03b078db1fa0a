import type { CommitLog, CommitRecord } from '../../ports/commit-log';

/**
 * MLS epochs and commit records kept in memory, with the semantics of
 * `DynamoDbCommitLog`. Every conversation exists here: callers check
 * membership before they move an epoch.
 */
export class InMemoryCommitLog implements CommitLog {
  private readonly epochs = new Map<string, number>();
  private readonly records = new Map<string, CommitRecord>();

  async currentEpoch(conversationId: string): Promise<number> {
    return this.epochs.get(conversationId) ?? 0;
  }

  async claim(record: CommitRecord): Promise<CommitRecord & { readonly created?: true }> {
    const key = recordKey(record.conversationId, record.epoch);
    const stored = this.records.get(key);
    if (stored) return { ...stored };
    this.records.set(key, { ...record });
    return { ...record, created: true };
  }

  async advance(conversationId: string, epoch: number): Promise<boolean> {
    if ((this.epochs.get(conversationId) ?? 0) !== epoch) return false;
    this.epochs.set(conversationId, epoch + 1);
    return true;
  }

  async complete(conversationId: string, epoch: number, place: { seq: number; sentAt: number }) {
    const key = recordKey(conversationId, epoch);
    const stored = this.records.get(key);
    if (!stored) throw new Error(`No commit record for epoch ${epoch}`);
    this.records.set(key, { ...stored, ...place });
  }

  /** The record of an epoch; for assertions. */
  recordOf(conversationId: string, epoch: number): CommitRecord | undefined {
    const stored = this.records.get(recordKey(conversationId, epoch));
    return stored && { ...stored };
  }
}

function recordKey(conversationId: string, epoch: number): string {
  return `${conversationId}\u0000${epoch}`;
}
