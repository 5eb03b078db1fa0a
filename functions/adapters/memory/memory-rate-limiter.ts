import { RateLimitedError } from '../../errors';
import type { RateLimit, RateLimitedAction, RateLimiter } from '../../ports/rate-limiter';

/** Fixed-window counters kept in memory, windows aligned like `DynamoDbRateLimiter`'s. */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limits: Record<RateLimitedAction, RateLimit>) {}

  async consume(userId: string, action: RateLimitedAction, now: number): Promise<void> {
    const { limit, windowSeconds } = this.limits[action];
    const windowInMs = windowSeconds * 1000;
    const windowStart = Math.floor(now / windowInMs) * windowInMs;
    const bucket = JSON.stringify([userId, action, windowStart]);
    const count = this.counts.get(bucket) ?? 0;
    if (count >= limit) {
      throw new RateLimitedError(Math.max(1, Math.ceil((windowStart + windowInMs - now) / 1000)));
    }
    this.counts.set(bucket, count + 1);
  }

  /** Requests counted for a user and action in the window holding `now`; for assertions. */
  countOf(userId: string, action: RateLimitedAction, now: number): number {
    const windowInMs = this.limits[action].windowSeconds * 1000;
    const windowStart = Math.floor(now / windowInMs) * windowInMs;
    return this.counts.get(JSON.stringify([userId, action, windowStart])) ?? 0;
  }
}
