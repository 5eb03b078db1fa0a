import { RateLimitedError } from '../../errors';
import type { RateLimit, RateLimitedAction, RateLimiter } from '../../ports/rate-limiter';
import { retryAfterSeconds, slidingCount, windowAt } from '../../rate-limits';

interface Bucket {
  window: number;
  count: number;
  previousCount: number;
}

/** Sliding-window counters kept in memory, with `DynamoDbRateLimiter`'s windows and arithmetic. */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limits: Record<RateLimitedAction, RateLimit>) {}

  async consume(userId: string, action: RateLimitedAction, now: number): Promise<void> {
    const limit = this.limits[action];
    const at = windowAt(limit, now);
    // A request that read the clock before a boundary a later request has crossed counts in the newer
    // window, as if it came at its start (as the table's counter does).
    const bucketWindow = this.buckets.get(JSON.stringify([userId, action]))?.window ?? at.index;
    const { index, elapsed } = bucketWindow > at.index ? { index: bucketWindow, elapsed: 0 } : at;
    const counts = this.countsAt(userId, action, index);
    if (slidingCount({ current: counts.current + 1, previous: counts.previous }, elapsed) > limit.limit) {
      throw new RateLimitedError(retryAfterSeconds(limit, counts, now));
    }
    this.buckets.set(JSON.stringify([userId, action]), {
      window: index,
      count: counts.current + 1,
      previousCount: counts.previous,
    });
  }

  /** Requests counted for a user and action in the window holding `now`; for assertions. */
  countOf(userId: string, action: RateLimitedAction, now: number): number {
    return this.countsAt(userId, action, windowAt(this.limits[action], now).index).current;
  }

  private countsAt(userId: string, action: RateLimitedAction, index: number) {
    const bucket = this.buckets.get(JSON.stringify([userId, action]));
    if (!bucket || bucket.window < index - 1) return { current: 0, previous: 0 };
    if (bucket.window === index - 1) return { current: 0, previous: bucket.count };
    return { current: bucket.count, previous: bucket.previousCount };
  }
}
