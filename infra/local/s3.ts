import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { buildApp } from 'fauxqs';
import { BUCKETS, type BucketDefinition, type BucketName } from '../topology';
import { LOCAL_CREDENTIALS } from './listen';

/** The fauxqs app, which serves S3 beside SQS on one endpoint. */
type FauxqsApp = ReturnType<typeof buildApp>;

/** What the hook reads of a (Fastify) request to an S3 route. */
interface HookRequest {
  readonly method: string;
  readonly params: unknown;
  readonly query: unknown;
}

export interface LocalBucket {
  readonly name: string;
  readonly definition: BucketDefinition;
}

export interface LocalS3<B extends string = BucketName> {
  /** Path-style endpoint: the SQS stand-in's address. */
  readonly endpoint: string;
  readonly buckets: Record<B, LocalBucket>;
  stop(): Promise<void>;
}

/**
 * Keeps a copy of every object on disk, one file per object under
 * `{dataDir}/{bucket}/{encoded key}`, so objects outlive a restart as the
 * DynamoDB data does (fauxqs holds S3 in memory only). Must be installed
 * before the app listens. Mirrors PutObject and DeleteObject, the only
 * object writes Parley makes; the file is written before the response is
 * sent, so a client that got its 200 finds the object after a restart.
 */
export function mirrorS3ToDisk(app: FauxqsApp, dataDir: string): void {
  app.addHook('onSend', async (request: HookRequest, reply: { statusCode: number }, payload: unknown) => {
    const params = request.params as { bucket?: string; '*'?: string } | undefined;
    const bucket = params?.bucket;
    const key = params?.['*'];
    const query = request.query as Record<string, unknown> | undefined;
    if (!bucket || !key || reply.statusCode >= 300 || query?.uploadId !== undefined) return payload;
    if (request.method === 'PUT' && query?.partNumber === undefined) {
      // The stored bytes, read back: the request body may still be in aws-chunked encoding.
      const stored = await app.inject({ method: 'GET', url: `/${bucket}/${encodeKey(key)}` });
      if (stored.statusCode === 200) {
        mkdirSync(join(dataDir, bucket), { recursive: true });
        writeFileSync(objectPath(dataDir, bucket, key), stored.rawPayload);
      }
    } else if (request.method === 'DELETE') {
      rmSync(objectPath(dataDir, bucket, key), { force: true });
    }
    return payload;
  });
}

/**
 * S3 stand-in: the fauxqs app the SQS stand-in runs (one endpoint, path-style
 * requests). Creates the topology's buckets and loads the objects
 * `mirrorS3ToDisk` kept in `dataDir`. fauxqs has no lifecycle rules: local
 * Welcome objects are kept until deleted.
 */
export async function startS3<B extends string = BucketName>(options: {
  /** The fauxqs endpoint. */
  endpoint: string;
  region: string;
  /** Where `mirrorS3ToDisk` keeps the objects. */
  dataDir: string;
  /** @default the topology's buckets, named `parley-local-{name}` */
  buckets?: Record<B, BucketDefinition>;
}): Promise<LocalS3<B>> {
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
  });
  const definitions = options.buckets ?? (BUCKETS as unknown as Record<B, BucketDefinition>);
  const buckets = {} as Record<B, LocalBucket>;
  try {
    for (const [name, definition] of Object.entries(definitions) as [B, BucketDefinition][]) {
      const bucketName = `parley-local-${name.toLowerCase()}`;
      await client.send(new CreateBucketCommand({ Bucket: bucketName }));
      await restoreObjects(client, options.dataDir, bucketName);
      buckets[name] = { name: bucketName, definition };
    }
  } finally {
    client.destroy();
  }
  // The objects live in the fauxqs app, which the SQS stand-in stops.
  return { endpoint: options.endpoint, buckets, stop: async () => {} };
}

async function restoreObjects(client: S3Client, dataDir: string, bucket: string): Promise<void> {
  const directory = join(dataDir, bucket);
  let files: string[];
  try {
    files = readdirSync(directory);
  } catch {
    return;
  }
  for (const file of files) {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: decodeURIComponent(file),
        Body: readFileSync(join(directory, file)),
        ContentType: 'application/octet-stream',
      }),
    );
  }
}

/** One flat file name per key: slashes and all, percent-encoded. */
function objectPath(dataDir: string, bucket: string, key: string): string {
  return join(dataDir, bucket, encodeURIComponent(key));
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
