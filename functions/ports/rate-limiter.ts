/** Kinds of requests that are counted per user. */
export type RateLimitedAction = 'send' | 'typing' | 'friendRequest' | 'search' | 'write' | 'read';

/** At most `limit` requests in any `windowSeconds` (a sliding window, see `functions/rate-limits.ts`). */
export interface RateLimit {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** Counts requests per user over a sliding window. */
export interface RateLimiter {
  /** Counts one request; throws `RateLimitedError` when the allowance is used up (a refused request does not count). */
  consume(userId: string, action: RateLimitedAction, now: number): Promise<void>;
}
