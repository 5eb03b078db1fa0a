import type { Backup } from '../../../shared/protocol/backup';
import { UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS } from '../../../shared/protocol/limits';
import { ConflictError, ValidationError } from '../../errors';
import type { BackupObjects } from '../../ports/attachment-objects';
import type { BackupHead, BackupStore } from '../../ports/backup-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { inParallel } from '../in-parallel';
import { backupView } from './backup-view';

export interface PutBackupDeps {
  readonly backups: Pick<BackupStore, 'getHead' | 'getChunks' | 'hold' | 'putHead' | 'settle' | 'forget'>;
  readonly backupObjects: Pick<BackupObjects, 'sizeOf' | 'delete'>;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

export interface PutBackupRequest {
  readonly header: string;
  readonly indexChunkId: string;
  readonly chunkIds: readonly string[];
  /** The version the caller read; 0 when it found none. */
  readonly expectedVersion: number;
}

/** Size reads (HEAD) in flight at once: a first write may list a few hundred new chunks. */
const SIZE_READS_AT_ONCE = 16;

/**
 * Writes the caller's backup head: which of their chunks make it, over the version they read.
 * 1. Count the request (`write`); check the list names each chunk once, the index chunk among them.
 * 2. At once: read the head and the listed chunks' records. Refuse a head at another version (another
 *    device wrote meanwhile) and any id that is not a chunk of the caller's.
 * 3. Check each newly listed chunk was uploaded at the size its slot reserved (HEAD of its object).
 * 4. Hold the newly listed chunks a day on, so the sweep cannot take them while the head is written (one
 *    it took already is refused), and make the chunks this head drops due now: should anything below
 *    fail, the sweep deletes them unless the stored head still lists them.
 * 5. Write the head, conditional on the version read.
 * 6. Settle the new chunks (no longer pending); delete the dropped ones' objects, then their records.
 */
export function putBackup(deps: PutBackupDeps) {
  return async (caller: Caller, request: PutBackupRequest): Promise<Backup> => {
    const now = deps.clock();
    const { userId } = caller;
    await deps.rateLimiter.consume(userId, 'write', now);
    if (new Set(request.chunkIds).size !== request.chunkIds.length) {
      throw new ValidationError('chunkIds must name each chunk once');
    }
    if (!request.chunkIds.includes(request.indexChunkId)) {
      throw new ValidationError('indexChunkId must be one of chunkIds');
    }

    const [head, chunks] = await Promise.all([
      deps.backups.getHead(userId),
      deps.backups.getChunks(userId, request.chunkIds),
    ]);
    const stored = head?.version ?? 0;
    if (stored !== request.expectedVersion) {
      throw new ConflictError(
        `Your backup is at version ${stored}, not ${request.expectedVersion}: another device wrote it; read it again and retry`,
      );
    }
    const sizeOf = new Map(chunks.map((chunk) => [chunk.chunkId, chunk.size]));
    const unknown = request.chunkIds.filter((id) => !sizeOf.has(id));
    if (unknown.length > 0) {
      throw new ConflictError(`${namesOf(unknown)} not among your backup chunks: upload them first`);
    }

    const listed = new Set(head?.chunkIds ?? []);
    const added = request.chunkIds.filter((id) => !listed.has(id));
    const uploaded = await inParallel(added, SIZE_READS_AT_ONCE, (id) =>
      deps.backupObjects.sizeOf(userId, id),
    );
    const incomplete = added.filter((id, index) => uploaded[index] !== sizeOf.get(id));
    if (incomplete.length > 0) {
      throw new ConflictError(
        `${namesOf(incomplete)} not uploaded at the size reserved: post the upload form first`,
      );
    }

    const kept = new Set(request.chunkIds);
    const dropped = (head?.chunkIds ?? []).filter((id) => !kept.has(id));
    const lost = await deps.backups.hold(userId, added, now + UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS);
    if (lost.length > 0) {
      throw new ConflictError(`${namesOf(lost)} gone: a chunk no backup listed for a day is deleted`);
    }
    await deps.backups.hold(userId, dropped, now);

    const next: BackupHead = {
      version: stored + 1,
      header: request.header,
      indexChunkId: request.indexChunkId,
      chunkIds: [...request.chunkIds],
      bytes: request.chunkIds.reduce((sum, id) => sum + (sizeOf.get(id) ?? 0), 0),
      updatedAt: now,
    };
    if (!(await deps.backups.putHead(userId, next, stored))) {
      throw new ConflictError('Another device wrote your backup meanwhile: read it again and retry');
    }

    await deps.backups.settle(userId, added);
    await deps.backupObjects.delete(userId, dropped);
    await deps.backups.forget(
      userId,
      dropped,
      dropped.map((chunkId) => ({ userId, chunkId, dueAt: now })),
    );
    return backupView(next);
  };
}

/** "Backup chunk X is" / "Backup chunks X, Y and 3 more are", for a message. */
function namesOf(ids: readonly string[]): string {
  if (ids.length === 1) return `Backup chunk ${ids[0]} is`;
  const named = ids.slice(0, 3).join(', ');
  return `Backup chunks ${named}${ids.length > 3 ? ` and ${ids.length - 3} more` : ''} are`;
}
