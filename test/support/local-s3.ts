import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalS3, mirrorS3ToDisk, serveS3ToBrowsers, startS3 } from '../../infra/local/s3';
import { startSqs } from '../../infra/local/sqs';
import type { BucketDefinition, BucketName } from '../../infra/topology';

/** The S3 stand-in alone, as the local stack runs it: its objects mirrored to a temporary directory. */
export interface TestS3<B extends string> {
  /** Path-style endpoint. */
  readonly endpoint: string;
  readonly buckets: LocalS3<B>['buckets'];
  /** Where the mirror keeps the objects. */
  readonly dataDir: string;
  /** Stops the stand-in and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts the S3 stand-in on a free port of 127.0.0.1 for one test file.
 *
 * @example
 * const s3 = await startTestS3({ region: 'eu-west-1', allowedOrigins: ['http://127.0.0.1:3000'] });
 * afterAll(() => s3.stop());
 */
export async function startTestS3<B extends string = BucketName>(options: {
  readonly region: string;
  /** Origins whose pages may call the buckets (by their `cors` rule). @default none: presigned requests are not checked */
  readonly allowedOrigins?: readonly string[];
  /** @default the topology's buckets */
  readonly buckets?: Record<B, BucketDefinition>;
}): Promise<TestS3<B>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-s3-'));
  const { allowedOrigins } = options;
  const fauxqs = await startSqs<never>({
    port: 0,
    region: options.region,
    queues: {},
    configure: (app) => {
      mirrorS3ToDisk(app, dataDir);
      if (allowedOrigins) {
        serveS3ToBrowsers(app, {
          region: options.region,
          allowedOrigins: () => allowedOrigins,
          ...(options.buckets ? { buckets: options.buckets } : {}),
        });
      }
    },
  });
  const s3 = await startS3<B>({
    endpoint: fauxqs.endpoint,
    region: options.region,
    dataDir,
    ...(options.buckets ? { buckets: options.buckets } : {}),
  });
  return {
    endpoint: fauxqs.endpoint,
    buckets: s3.buckets,
    dataDir,
    stop: async () => {
      await fauxqs.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
