import type { BackupObjects } from '../../ports/attachment-objects';
import type { BackupStore, DueBackupChunk } from '../../ports/backup-store';

export interface SweepBackupChunksDeps {
  readonly backups: Pick<
    BackupStore,
    'due' | 'getHead' | 'settle' | 'dropDue' | 'takeForDeletion' | 'forget'
  >;
  readonly backupObjects: Pick<BackupObjects, 'delete'>;
  readonly clock: () => number;
}

/** What one sweep of backup chunks did, for its log line. */
export interface BackupSweepOutcome {
  /** Objects deleted: chunks no backup listed a day after their slot, and chunks a backup dropped. */
  readonly deleted: number;
  /** Due chunks the stored backup lists after all: kept, and settled. */
  readonly kept: number;
}

/** Due entries handled per batch, and batches per run: the next run goes on where this one stopped. */
const BATCH = 100;
const MAX_BATCHES_PER_RUN = 20;

/**
 * Deletes the backup chunks no backup keeps. Run on a schedule, beside the attachments' sweep.
 * 1. Read the chunks due by now: pending ones a day after their slot, and ones a backup dropped.
 * 2. A chunk its user's stored head lists is kept (a head written after the chunk fell due, or a write
 *    that was refused after dropping it): it is settled and its due entry dropped.
 * 3. Take the rest for deletion (one held meanwhile by a write about to list it is not taken), delete their
 *    objects, then forget them: an object goes before its record, so a run cut off leaves nothing unswept.
 */
export function sweepBackupChunks(deps: SweepBackupChunksDeps) {
  return async (): Promise<BackupSweepOutcome> => {
    const totals = { deleted: 0, kept: 0 };
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch += 1) {
      const now = deps.clock();
      const due = await deps.backups.due(now, BATCH);
      const heads = new Map<string, Promise<ReadonlySet<string>>>();
      const listedBy = (userId: string) => {
        let listed = heads.get(userId);
        if (!listed) {
          listed = deps.backups.getHead(userId).then((head) => new Set(head?.chunkIds ?? []));
          heads.set(userId, listed);
        }
        return listed;
      };
      const outcomes = await Promise.all(
        due.map(async (entry) => settle(entry, await listedBy(entry.userId), now)),
      );
      totals.deleted += outcomes.filter((outcome) => outcome === 'deleted').length;
      totals.kept += outcomes.filter((outcome) => outcome === 'kept').length;
      if (due.length < BATCH) break;
    }
    return totals;
  };

  async function settle(
    entry: DueBackupChunk,
    listed: ReadonlySet<string>,
    now: number,
  ): Promise<'deleted' | 'kept' | 'dropped'> {
    if (listed.has(entry.chunkId)) {
      await deps.backups.settle(entry.userId, [entry.chunkId]);
      await deps.backups.dropDue([entry]);
      return 'kept';
    }
    // Not due any more (held or settled), or gone: the store drops the entry.
    if (!(await deps.backups.takeForDeletion(entry, now))) return 'dropped';
    await deps.backupObjects.delete(entry.userId, [entry.chunkId]);
    await deps.backups.forget(entry.userId, [entry.chunkId], [entry]);
    return 'deleted';
  }
}
