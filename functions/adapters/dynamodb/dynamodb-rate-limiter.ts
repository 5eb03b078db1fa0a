import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../../../shared/zod';
import { RateLimitedError } from '../../errors';
import type { RateLimit, RateLimitedAction, RateLimiter } from '../../ports/rate-limiter';
import { retryAfterSeconds, slidingCount, windowAt } from '../../rate-limits';
import { isConditionFailed, keys, ttlFromMs } from './keys';

/** A bucket outlives the window after its own (where it still weighs) a little, so no reader sees it swept early. */
const BUCKET_GRACE_IN_MS = 60_000;
/** Users whose last window this environment remembers; forgotten all at once beyond it (a hint, not state). */
const MAX_REMEMBERED_BUCKETS = 10_000;

/** What a bucket item holds after a write. */
const BucketSchema = z.object({
  window: z.number(),
  count: z.number(),
  previousWindow: z.optional(z.number()),
  previousCount: z.optional(z.number()),
});
type Bucket = z.infer<typeof BucketSchema>;

/**
 * Sliding-window counters, one item per user and action holding this window's count and the previous
 * window's. Each check is one conditional UpdateItem returning the item, which gives the previous count:
 *
 * - within a window: `ADD count 1`, conditional on the item being at this window and under the limit;
 * - at a window's first request: the count moves to `previousCount` and starts again at 1, conditional
 *   on the item being at an older window.
 *
 * Which one comes first is the window this environment last wrote for the user (a hint): a wrong guess
 * costs one more write, at most once per window and environment. A request that the sliding count
 * refuses although it fitted the window (the previous window still weighs) is taken back with `ADD -1`.
 * Concurrent requests each see their own count, so no more than the limit pass.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  private readonly lastWindows = new Map<string, number>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly limits: Record<RateLimitedAction, RateLimit>,
  ) {}

  async consume(userId: string, action: RateLimitedAction, now: number): Promise<void> {
    const limit = this.limits[action];
    const { index, elapsed } = windowAt(limit, now);
    const hint = `${userId}#${action}`;
    let bucket: Bucket | undefined;
    if (this.lastWindows.get(hint) === index) {
      // A refusal here is the limit, or an item gone since (a deleted account's counters): only a roll
      // that finds no item tells them apart, and it costs nothing more while the count is under the limit.
      bucket =
        (await this.count(userId, action, limit, index)) ?? (await this.roll(userId, action, limit, index));
    } else {
      bucket =
        (await this.roll(userId, action, limit, index)) ?? (await this.count(userId, action, limit, index));
    }
    if (this.lastWindows.size >= MAX_REMEMBERED_BUCKETS) this.lastWindows.clear();
    // Refused at the window's limit: the count is at least the limit.
    if (!bucket) {
      this.lastWindows.set(hint, index);
      throw new RateLimitedError(retryAfterSeconds(limit, { current: limit.limit, previous: 0 }, now));
    }
    this.lastWindows.set(hint, bucket.window);
    // A request that read the clock before a boundary another environment has since crossed counts in
    // the newer window, as if it came at its start.
    const counted = Math.max(index, bucket.window);
    const previous = bucket.previousWindow === counted - 1 ? (bucket.previousCount ?? 0) : 0;
    if (slidingCount({ current: bucket.count, previous }, counted > index ? 0 : elapsed) > limit.limit) {
      await this.takeBack(userId, action, counted);
      throw new RateLimitedError(retryAfterSeconds(limit, { current: bucket.count - 1, previous }, now));
    }
  }

  /**
   * One more in the item's window, which is the current one or (when another environment crossed a
   * boundary first) a newer one; `undefined` when the item is at an older window or at its limit.
   */
  private count(userId: string, action: RateLimitedAction, limit: RateLimit, index: number) {
    return this.update({
      Key: keys.rateBucket(userId, action),
      UpdateExpression: 'ADD #count :one',
      ConditionExpression: '#window >= :window AND #count < :limit',
      // The item's expiry stays as its window's first request set it.
      ExpressionAttributeNames: { '#count': 'count', '#window': 'window' },
      ExpressionAttributeValues: {
        ':one': 1,
        ':window': index,
        ':limit': limit.limit,
      },
    });
  }

  /** The first request of a window; `undefined` when the item is at this window already. */
  private roll(userId: string, action: RateLimitedAction, limit: RateLimit, index: number) {
    return this.update({
      Key: keys.rateBucket(userId, action),
      // Right-hand sides read the item as it was, so the old count becomes the previous one.
      UpdateExpression:
        'SET #previousCount = if_not_exists(#count, :zero), #previousWindow = if_not_exists(#window, :none), ' +
        '#count = :one, #window = :window, #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(#window) OR #window < :window',
      ExpressionAttributeNames: {
        '#count': 'count',
        '#window': 'window',
        '#previousCount': 'previousCount',
        '#previousWindow': 'previousWindow',
        '#ttl': 'ttl',
      },
      ExpressionAttributeValues: {
        ':zero': 0,
        ':none': -1,
        ':one': 1,
        ':window': index,
        ':ttl': ttlOf(limit, index),
      },
    });
  }

  /** Takes back a request the sliding count refused; nothing if the window has moved on meanwhile. */
  private async takeBack(userId: string, action: RateLimitedAction, index: number): Promise<void> {
    await this.update({
      Key: keys.rateBucket(userId, action),
      UpdateExpression: 'ADD #count :minusOne',
      ConditionExpression: '#window = :window',
      ExpressionAttributeNames: { '#count': 'count', '#window': 'window' },
      ExpressionAttributeValues: { ':minusOne': -1, ':window': index },
    });
  }

  private async update(
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
  ): Promise<Bucket | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({ ...input, TableName: this.tableName, ReturnValues: 'ALL_NEW' }),
      );
      return BucketSchema.parse(Attributes);
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }
}

/** The bucket weighs until the end of the window after its own. */
function ttlOf(limit: RateLimit, index: number): number {
  return ttlFromMs((index + 2) * limit.windowSeconds * 1000 + BUCKET_GRACE_IN_MS);
}
