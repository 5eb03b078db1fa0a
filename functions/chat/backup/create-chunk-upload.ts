import { randomBytes } from 'node:crypto';
import type { BackupChunkSlot } from '../../../shared/protocol/backup';
import {
  ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS,
  UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS,
} from '../../../shared/protocol/limits';
import type { Caps } from '../../caps';
import { LimitReachedError } from '../../errors';
import type { BackupObjects } from '../../ports/attachment-objects';
import type { BackupStore } from '../../ports/backup-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';

export interface CreateChunkUploadDeps {
  readonly backups: Pick<BackupStore, 'reserve'>;
  readonly backupObjects: Pick<BackupObjects, 'uploadForm'>;
  readonly caps: Pick<Caps, 'backupBytesPerUser' | 'pendingBackupChunksPerUser'>;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * An upload slot for one encrypted backup chunk: a form that stores exactly `size` bytes under a fresh
 * opaque id, for an hour.
 * 1. Count the request (`write`).
 * 2. Reserve the chunk as pending, counted against the caller's backup (`backupBytesPerUser`, listed and
 *    pending bytes together) and pending chunks (`pendingBackupChunksPerUser`); due for deletion a day on
 *    unless a backup lists it by then.
 * 3. Sign the form: one key under the caller's prefix, exactly `size` bytes, until the window closes.
 */
export function createChunkUpload(deps: CreateChunkUploadDeps) {
  return async (caller: Caller, size: number): Promise<BackupChunkSlot> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const { backupBytesPerUser, pendingBackupChunksPerUser } = deps.caps;
    const chunkId = randomBytes(16).toString('base64url');
    const refused =
      size > backupBytesPerUser
        ? 'bytes'
        : await deps.backups.reserve(
            caller.userId,
            {
              chunkId,
              size,
              createdAt: now,
              pending: true,
              dueAt: now + UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS,
            },
            { maxBytes: backupBytesPerUser, maxPendingChunks: pendingBackupChunksPerUser },
          );
    if (refused === 'bytes') {
      throw new LimitReachedError(
        'backupBytesPerUser',
        backupBytesPerUser,
        'Your backup would grow past its largest size: list fewer chunks, or delete the backup and start again',
      );
    }
    if (refused === 'pendingChunks') {
      throw new LimitReachedError(
        'pendingBackupChunksPerUser',
        pendingBackupChunksPerUser,
        'You have as many backup chunks waiting to be listed as allowed: write the backup (PUT /me/backup) first',
      );
    }
    const expiresAt = now + ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS * 1000;
    const form = await deps.backupObjects.uploadForm(caller.userId, chunkId, size, expiresAt);
    return {
      chunkId,
      url: form.url,
      fields: { ...form.fields },
      expiresAt: new Date(expiresAt).toISOString(),
    };
  };
}
