import { inParallel } from '../../chat/in-parallel';
import { blobKeys } from '../../chat/mls/blob-keys';
import type { BackupObjects, UploadForm } from '../../ports/attachment-objects';
import { S3AttachmentObjects, type S3AttachmentObjectsOptions } from './s3-attachment-objects';

const DELETES_AT_ONCE = 32;

/**
 * Backup chunks in the bucket's `backups/` prefix, each under its user (`backups/{userId}/{chunkId}`), so
 * a grant can name the prefix and a user's chunks list together. Forms, links, sizes and deletes are the
 * attachment objects' own, over those keys.
 */
export class S3BackupObjects implements BackupObjects {
  private readonly objects: S3AttachmentObjects;

  constructor(options: Omit<S3AttachmentObjectsOptions, 'keyOf'>) {
    // The key is made here from both ids; the attachment objects take it as it is.
    this.objects = new S3AttachmentObjects({ ...options, keyOf: (key) => key });
  }

  uploadForm(userId: string, chunkId: string, size: number, expiresAt: number): Promise<UploadForm> {
    return this.objects.uploadForm(blobKeys.backupChunk(userId, chunkId), size, expiresAt);
  }

  downloadUrl(userId: string, chunkId: string, expiresAt: number): Promise<string> {
    return this.objects.downloadUrl(blobKeys.backupChunk(userId, chunkId), expiresAt);
  }

  sizeOf(userId: string, chunkId: string): Promise<number | undefined> {
    return this.objects.sizeOf(blobKeys.backupChunk(userId, chunkId));
  }

  async delete(userId: string, chunkIds: readonly string[]): Promise<void> {
    // A whole backup is up to 2,000 objects: a few dozen requests in flight, not all at once.
    await inParallel(chunkIds, DELETES_AT_ONCE, (chunkId) =>
      this.objects.delete([blobKeys.backupChunk(userId, chunkId)]),
    );
  }
}
