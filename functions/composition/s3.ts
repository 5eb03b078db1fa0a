import { S3AttachmentObjects } from '../adapters/s3/s3-attachment-objects';
import { S3BackupObjects } from '../adapters/s3/s3-backup-objects';
import { S3BlobStore, type S3BlobStoreOptions } from '../adapters/s3/s3-blob-store';
import { blobKeys } from '../chat/mls/blob-keys';
import { ConfigError, Env, loadConfig } from '../config';
import { clientOptions } from './client-options';

/** Large MLS commits and Welcomes. */
export function blobStore(): S3BlobStore {
  return new S3BlobStore(bucketOptions());
}

/** Attachments' encrypted objects: upload forms, download links and deletes. */
export function attachmentObjects(): S3AttachmentObjects {
  return new S3AttachmentObjects(bucketOptions());
}

/** Profile pictures' encrypted objects, under their own prefix: upload forms, download links, sizes, deletes. */
export function avatarObjects(): S3AttachmentObjects {
  return new S3AttachmentObjects({ ...bucketOptions(), keyOf: blobKeys.avatar });
}

/** History transfers' chunk objects, under their own prefix: upload forms, download links, sizes, deletes. */
export function historyChunkObjects(): S3AttachmentObjects {
  return new S3AttachmentObjects({ ...bucketOptions(), keyOf: blobKeys.historyChunk });
}

/** Encrypted backup chunks, under `backups/{userId}/`: upload forms, download links, sizes, deletes. */
export function backupObjects(): S3BackupObjects {
  return new S3BackupObjects(bucketOptions());
}

function bucketOptions(): S3BlobStoreOptions {
  const config = loadConfig([Env.BlobBucketName, Env.S3Endpoint]);
  // Lambda sets the region, as does the local stack; the SDK clients read it from there too.
  const region = process.env.AWS_REGION;
  if (!region) throw new ConfigError('Environment variable AWS_REGION is not set');
  // Credentials from the environment, as every SDK client's. The local stand-in
  // serves S3 path-style on its one endpoint; on AWS, buckets are virtual-hosted.
  return { bucketName: config.BLOB_BUCKET_NAME, region, ...clientOptions(config.S3_ENDPOINT) };
}
