import type { BackupChunkLink } from '../../../shared/protocol/backup';
import { ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS } from '../../../shared/protocol/limits';
import { NotFoundError } from '../../errors';
import type { BackupObjects } from '../../ports/attachment-objects';
import type { BackupStore } from '../../ports/backup-store';
import type { Caller } from '../access';

export interface GetChunkDeps {
  readonly backups: Pick<BackupStore, 'getChunks'>;
  readonly backupObjects: Pick<BackupObjects, 'downloadUrl'>;
  readonly clock: () => number;
}

/**
 * A short-lived link to one of the caller's backup chunks, pending or listed (the edge counts the read).
 * Chunks are looked up under the caller's own partition, so another user's chunk id is no different from
 * an unknown one.
 */
export function getChunk(deps: GetChunkDeps) {
  return async (caller: Caller, chunkId: string): Promise<BackupChunkLink> => {
    const [chunk] = await deps.backups.getChunks(caller.userId, [chunkId]);
    if (!chunk) throw new NotFoundError(`You have no backup chunk ${chunkId}`);
    const expiresAt = deps.clock() + ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS * 1000;
    return {
      chunkId,
      size: chunk.size,
      url: await deps.backupObjects.downloadUrl(caller.userId, chunkId, expiresAt),
      expiresAt: new Date(expiresAt).toISOString(),
    };
  };
}
