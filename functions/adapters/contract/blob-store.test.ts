import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../../infra/local/listen';
import { type LocalS3, mirrorS3ToDisk, startS3 } from '../../../infra/local/s3';
import { type LocalSqs, startSqs } from '../../../infra/local/sqs';
import { freshId } from '../../../test/support/local-table';
import type { BlobStore } from '../../ports/blob-store';
import { InMemoryBlobStore } from '../memory/memory-blob-store';
import { S3BlobStore } from '../s3/s3-blob-store';

const REGION = 'eu-west-1';
const BUCKET = { prefixes: ['t/'], abortIncompleteMultipartUploadAfterDays: 1, expirations: [] };

/** fauxqs (the local stack's S3) for this file, with its objects mirrored to a temporary directory. */
let fauxqs: LocalSqs<never> | undefined;
let s3: LocalS3<'test'> | undefined;
/** The SDK's S3 client, to check that what the adapter writes and reads is what S3 holds. */
let client: S3Client | undefined;
let dataDir = '';

/** The adapter as the functions build it, path-style against the stand-in. */
const s3BlobStore = (endpoint = fauxqs?.endpoint, bucketName = s3?.buckets.test.name) =>
  new S3BlobStore({
    bucketName: bucketName as string,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint: endpoint as string,
  });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-blobs-'));
  fauxqs = await startSqs<never>({
    port: 0,
    region: REGION,
    queues: {},
    configure: (app) => mirrorS3ToDisk(app, dataDir),
  });
  s3 = await startS3({ endpoint: fauxqs.endpoint, region: REGION, dataDir, buckets: { test: BUCKET } });
  client = new S3Client({
    endpoint: fauxqs.endpoint,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
  });
});

afterAll(async () => {
  client?.destroy();
  await fauxqs?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe.each([
  { adapter: 'InMemoryBlobStore', make: (): BlobStore => new InMemoryBlobStore() },
  { adapter: 'S3BlobStore', make: (): BlobStore => s3BlobStore() },
])('$adapter', ({ make }) => {
  let blobs: BlobStore;
  let key: string;

  beforeEach(() => {
    blobs = make();
    key = `t/${freshId('conv')}/0/alice/abc`;
  });

  it('gives back the bytes it stored, byte for byte, however large', async () => {
    const bytes = new Uint8Array(1024 * 1024).map((_, index) => index % 251);

    await blobs.put(key, bytes);

    const read = await blobs.get(key);
    // Compared as one buffer: an element-wise deep equal of a MiB is needlessly slow.
    expect(read && Buffer.from(read).equals(Buffer.from(bytes))).toBe(true);
  });

  it('replaces the bytes of a key written again', async () => {
    await blobs.put(key, new Uint8Array([1, 2, 3]));
    await blobs.put(key, new Uint8Array([4]));

    expect(await blobs.get(key)).toEqual(new Uint8Array([4]));
  });

  it('has nothing under a key never written or deleted, and deletes twice without complaint', async () => {
    expect(await blobs.get(key)).toBeUndefined();

    await blobs.put(key, new Uint8Array([7]));
    await blobs.delete(key);
    await blobs.delete(key);

    expect(await blobs.get(key)).toBeUndefined();
  });
});

describe('S3BlobStore and the S3 client', () => {
  it('stores objects the S3 client reads, as opaque octets, and reads what it wrote', async () => {
    const blobs = s3BlobStore();
    const bucket = s3?.buckets.test.name as string;
    const key = `t/${freshId('conv')}/2/carol/a b+c é☃`;
    const bytes = new Uint8Array([0, 255, 1, 254, 60, 47, 62]);

    await blobs.put(key, bytes);
    const read = await client?.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(read?.ContentType).toBe('application/octet-stream');
    expect(await read?.Body?.transformToByteArray()).toEqual(bytes);

    await client?.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: new Uint8Array([9, 8]) }));
    expect(await blobs.get(key)).toEqual(new Uint8Array([9, 8]));
  });

  it('finds no bucket an error, not a missing blob', async () => {
    const blobs = s3BlobStore(fauxqs?.endpoint, 'parley-no-such-bucket');

    await expect(blobs.get('t/x')).rejects.toMatchObject({ status: 404, code: 'NoSuchBucket' });
  });
});

describe('the local S3 stand-in', () => {
  it('keeps objects across a restart, and forgets deleted ones', async () => {
    const blobs = s3BlobStore();
    const kept = `t/${freshId('conv')}/1/bob/kept`;
    const gone = `t/${freshId('conv')}/1/bob/gone`;
    await blobs.put(kept, new Uint8Array([1, 2, 3]));
    await blobs.put(gone, new Uint8Array([4]));
    await blobs.delete(gone);

    const again = await startSqs<never>({
      port: 0,
      region: REGION,
      queues: {},
      configure: (app) => mirrorS3ToDisk(app, dataDir),
    });
    const reopened = await startS3({
      endpoint: again.endpoint,
      region: REGION,
      dataDir,
      buckets: { test: BUCKET },
    });
    try {
      const restarted = s3BlobStore(again.endpoint, reopened.buckets.test.name);
      expect(await restarted.get(kept)).toEqual(new Uint8Array([1, 2, 3]));
      expect(await restarted.get(gone)).toBeUndefined();
    } finally {
      await again.stop();
    }
  });
});
