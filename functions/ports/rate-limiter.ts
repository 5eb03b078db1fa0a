/** Kinds of requests that are counted per user. */
export type RateLimitedAction = 'send' | 'typing' | 'friendRequest' | 'search' | 'write';

export interface RateLimit {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** Counts requests per user and window. */
export interface RateLimiter {
  /** Counts one request; throws `RateLimitedError` when the window's allowance is used up. */
  consume(userId: string, action: RateLimitedAction, now: number): Promise<void>;
}
