import { S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../adapters/s3/s3-blob-store';
import { Env, loadConfig } from '../config';
import { clientOptions } from './client-options';

/** Large MLS commits and Welcomes. */
export function blobStore(): S3BlobStore {
  const config = loadConfig([Env.BlobBucketName, Env.S3Endpoint]);
  // The local stand-in serves S3 path-style on its one endpoint; AWS resolves virtual-hosted buckets.
  const client = new S3Client({
    ...clientOptions(config.S3_ENDPOINT),
    ...(config.S3_ENDPOINT ? { forcePathStyle: true } : {}),
  });
  return new S3BlobStore(client, config.BLOB_BUCKET_NAME);
}
