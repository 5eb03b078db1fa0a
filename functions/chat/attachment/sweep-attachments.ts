import type { AttachmentObjects } from '../../ports/attachment-objects';
import type { AttachmentRecord, AttachmentStore, DueAttachment } from '../../ports/attachment-store';
import { type MessageLog, WRITER_DEADLINE_IN_MS } from '../../ports/message-log';

export interface SweepAttachmentsDeps {
  readonly attachments: AttachmentStore;
  readonly attachmentObjects: Pick<AttachmentObjects, 'delete'>;
  readonly messages: Pick<MessageLog, 'getMany'>;
  readonly clock: () => number;
}

/** What one sweep did, for its log line. */
export interface SweepOutcome {
  /** Objects deleted: uploads no message carried, and attachments of deleted messages. */
  readonly deleted: number;
  /** Due entries of attachments a message carries: dropped, their objects kept. */
  readonly kept: number;
  /** Due entries left for a later run: the message naming them may still be placed. */
  readonly deferred: number;
}

/** Due entries handled per batch: one page of the due index, one BatchWriteItem of forgets per 12. */
const BATCH = 100;
/** Batches per run; the next scheduled run goes on where this one stopped. */
const MAX_BATCHES_PER_RUN = 20;

/**
 * Deletes the objects no message keeps. Run on a schedule.
 * 1. Read the attachments due by now (an upload a day after its slot, a deleted message's at once).
 * 2. For each: an upload a message carries is kept (its due entry is dropped), after checking that the
 *    message is really there: a request that tied it and died before placing the message leaves its seq
 *    empty (or filled as skipped), and such an upload goes like any other. One whose message may still
 *    be placed (tied less than a writer's deadline ago) waits for the next run.
 * 3. Take the rest for deletion (no message may claim them after), delete their objects, then forget
 *    them: an object is deleted before its record, so a run cut off midway leaves nothing unswept.
 */
export function sweepAttachments(deps: SweepAttachmentsDeps) {
  return async (): Promise<SweepOutcome> => {
    const totals = { deleted: 0, kept: 0, deferred: 0 };
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch += 1) {
      const now = deps.clock();
      const due = await deps.attachments.due(now, BATCH);
      const outcomes = await Promise.all(due.map((entry) => settle(entry, now)));
      const taken = due.filter((_, index) => outcomes[index] === 'taken');
      await deps.attachmentObjects.delete(taken.map((entry) => entry.attachmentId));
      await deps.attachments.forget([...taken, ...due.filter((_, index) => outcomes[index] === 'forgotten')]);
      totals.deleted += taken.length;
      totals.kept += outcomes.filter((outcome) => outcome === 'kept').length;
      // The last batch's count: deferred entries come back first in every batch.
      totals.deferred = outcomes.filter((outcome) => outcome === 'deferred').length;
      // A batch of nothing else is the end of the run.
      if (due.length < BATCH || totals.deferred === due.length) break;
    }
    return totals;
  };

  async function settle(
    entry: DueAttachment,
    now: number,
  ): Promise<'taken' | 'kept' | 'deferred' | 'forgotten'> {
    const [record] = await deps.attachments.getMany(entry.conversationId, [entry.attachmentId]);
    // Forgotten already (a run cut off after deleting it): only the due entry is left.
    if (!record) return 'forgotten';
    if (record.seq === undefined || record.discardedAt !== undefined) {
      return (await deps.attachments.takeForDeletion(entry, now)) ? 'taken' : 'kept';
    }
    const carried = await carriedBy(record, now);
    if (carried === 'maybe') return 'deferred';
    const options = carried ? {} : { orphanedAt: record.seq };
    return (await deps.attachments.takeForDeletion(entry, now, options)) ? 'taken' : 'kept';
  }

  /**
   * Whether the message its record names is placed at its seq; `maybe` while the request that tied it
   * may still place it (a seq it took and never placed stays empty, or is filled as skipped).
   */
  async function carriedBy(record: AttachmentRecord, now: number): Promise<boolean | 'maybe'> {
    const [message] = await deps.messages.getMany([
      { conversationId: record.conversationId, seq: record.seq as number },
    ]);
    if (!message) return now - (record.attachedAt ?? 0) <= WRITER_DEADLINE_IN_MS ? 'maybe' : false;
    return (
      message.kind !== 'skipped' &&
      message.messageId === record.messageId &&
      message.senderId === record.uploaderId
    );
  }
}
