import type { BackupObjects } from '../../ports/attachment-objects';
import type { BackupStore } from '../../ports/backup-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';

export interface EraseBackupDeps {
  readonly backups: Pick<BackupStore, 'listChunks' | 'hold' | 'deleteHead' | 'forget'>;
  readonly backupObjects: Pick<BackupObjects, 'delete'>;
}

export interface DeleteBackupDeps extends EraseBackupDeps {
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * Deletes everything of a user's backup: the head and every chunk, listed or pending.
 * 1. Make every chunk due now: should a step below fail, the sweep deletes what is left once the head is gone.
 * 2. Delete the head, so no client reads a backup whose chunks are going.
 * 3. Delete the chunks' objects, then their records. Repeatable: nothing left is no error.
 * Returns how many chunks went.
 */
export function eraseBackup(deps: EraseBackupDeps) {
  return async (userId: string, now: number): Promise<number> => {
    const chunkIds = (await deps.backups.listChunks(userId)).map((chunk) => chunk.chunkId);
    await deps.backups.hold(userId, chunkIds, now);
    await deps.backups.deleteHead(userId);
    await deps.backupObjects.delete(userId, chunkIds);
    await deps.backups.forget(
      userId,
      chunkIds,
      chunkIds.map((chunkId) => ({ userId, chunkId, dueAt: now })),
    );
    return chunkIds.length;
  };
}

/** `DELETE /me/backup`: counts the request (`write`), then erases the caller's backup. */
export function deleteBackup(deps: DeleteBackupDeps) {
  const erase = eraseBackup(deps);
  return async (caller: Caller): Promise<void> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    await erase(caller.userId, now);
  };
}
