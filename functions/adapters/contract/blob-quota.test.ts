import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import type { DailyBytesCap } from '../../caps';
import { LimitReachedError } from '../../errors';
import type { BlobQuota } from '../../ports/blob-quota';
import { DynamoDbBlobQuota } from '../dynamodb/dynamodb-blob-quota';
import { InMemoryBlobQuota } from '../memory/memory-blob-quota';

const table = useLocalTable();
const CAPS = { blobBytesPerUserPerDay: 1000, attachmentBytesPerUserPerDay: 2000 };
const NOON = Date.parse('2025-03-01T12:00:00.000Z');
const NEXT_DAY = Date.parse('2025-03-02T00:00:00.000Z');

describe.each([
  {
    adapter: 'InMemoryBlobQuota',
    make: (cap: DailyBytesCap): BlobQuota => new InMemoryBlobQuota(CAPS, cap),
  },
  {
    adapter: 'DynamoDbBlobQuota',
    make: (cap: DailyBytesCap): BlobQuota => new DynamoDbBlobQuota(table.client, table.tableName, CAPS, cap),
  },
])('$adapter', ({ make }) => {
  let quota: BlobQuota;
  let alice: string;

  beforeEach(() => {
    quota = make('blobBytesPerUserPerDay');
    alice = freshId('alice');
  });

  it('counts up to the cap exactly, then refuses until the next UTC midnight', async () => {
    await quota.use(alice, 600, NOON);
    await quota.use(alice, 400, NOON + 1000);

    const refused = quota.use(alice, 1, NOON + 2000);

    await expect(refused).rejects.toThrow(LimitReachedError);
    await expect(refused).rejects.toMatchObject({ cap: 'blobBytesPerUserPerDay', retryAfterSeconds: 43_198 });
    await expect(quota.use(alice, 1000, NEXT_DAY)).resolves.toBeUndefined();
  });

  it('does not count refused bytes: a smaller write still fits', async () => {
    await quota.use(alice, 700, NOON);
    await expect(quota.use(alice, 400, NOON)).rejects.toThrow(LimitReachedError);

    await expect(quota.use(alice, 300, NOON)).resolves.toBeUndefined();
  });

  it('refuses more than a whole day at once, and keeps each user apart', async () => {
    const bob = freshId('bob');
    await expect(quota.use(alice, 1001, NOON)).rejects.toThrow(LimitReachedError);
    await quota.use(alice, 1000, NOON);

    await expect(quota.use(bob, 1000, NOON)).resolves.toBeUndefined();
  });

  it('lets no two concurrent writes pass the cap together', async () => {
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => quota.use(alice, 300, NOON)));

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
  });

  it('counts each daily cap apart, with its own limit and its own name in the refusal', async () => {
    const attachments = make('attachmentBytesPerUserPerDay');
    await quota.use(alice, 1000, NOON);

    await attachments.use(alice, 2000, NOON);
    await expect(attachments.use(alice, 1, NOON)).rejects.toMatchObject({
      cap: 'attachmentBytesPerUserPerDay',
      limit: 2000,
    });
    await expect(quota.use(alice, 1, NOON)).rejects.toMatchObject({ cap: 'blobBytesPerUserPerDay' });
  });
});
