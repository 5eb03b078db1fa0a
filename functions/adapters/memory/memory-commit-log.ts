import type { CommitLog, CommitRecord, EpochState } from '../../ports/commit-log';

/**
 * MLS epochs and commit records kept in memory, with the semantics of
 * `DynamoDbCommitLog`. Every conversation exists here: callers check
 * membership before they move an epoch.
 */
export class InMemoryCommitLog implements CommitLog {
  private readonly states = new Map<string, EpochState>();
  private readonly records = new Map<string, CommitRecord>();

  async currentEpoch(conversationId: string): Promise<number> {
    return (await this.state(conversationId)).epoch;
  }

  async state(conversationId: string): Promise<EpochState> {
    return { ...(this.states.get(conversationId) ?? { epoch: 0, committedMembersVersion: 0 }) };
  }

  async get(conversationId: string, epoch: number): Promise<CommitRecord | undefined> {
    return this.recordOf(conversationId, epoch);
  }

  async claim(record: CommitRecord): Promise<CommitRecord & { readonly created?: true }> {
    const key = recordKey(record.conversationId, record.epoch);
    const stored = this.records.get(key);
    if (stored) return { ...stored };
    this.records.set(key, { ...record });
    return { ...record, created: true };
  }

  async advance(conversationId: string, epoch: number, membersVersion?: number): Promise<boolean> {
    // No await before the write: concurrent calls on one event loop cannot interleave.
    const state = this.states.get(conversationId) ?? { epoch: 0, committedMembersVersion: 0 };
    if (state.epoch !== epoch) return false;
    this.states.set(conversationId, {
      epoch: epoch + 1,
      committedMembersVersion: Math.max(state.committedMembersVersion, membersVersion ?? 0),
    });
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
