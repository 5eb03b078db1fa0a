import * as z from '../shared/zod';
import type { RateLimit, RateLimitedAction } from './ports/rate-limiter';

/**
 * Per-user allowances, counted in DynamoDB over a sliding window. Each stage may
 * override them (`-c rateLimits='{"send":{"limit":300,"windowSeconds":60}}'`);
 * these are the defaults.
 */
export const DEFAULT_RATE_LIMITS: Record<RateLimitedAction, RateLimit> = {
  /** Messages, edits, replies and reactions: a fast typist with bursts. */
  send: { limit: 120, windowSeconds: 60 },
  /** Typing start/stop: clients send at most one every few seconds per conversation. */
  typing: { limit: 60, windowSeconds: 60 },
  friendRequest: { limit: 30, windowSeconds: 60 * 60 },
  /** User search: enough to type a name, too few to walk the directory (10 results a search, 3-character prefixes). */
  search: { limit: 30, windowSeconds: 60 },
  /** Other changes: profile, friends, blocks, groups, receipts, deletes. */
  write: { limit: 300, windowSeconds: 60 },
  /**
   * Every HTTP GET. The web client's start reads about five per conversation (the conversation, its
   * epoch, its history, its members' devices) once; 600 a minute covers a start with over a hundred
   * conversations and scrolling, and keeps one user at a twentieth of the stage's 200 requests a second.
   */
  read: { limit: 600, windowSeconds: 60 },
};

const RateLimitSchema = z.object({
  limit: z.number().check(z.int(), z.positive()),
  windowSeconds: z.number().check(z.int(), z.positive(), z.maximum(86_400)),
});

/** Complete limits: every action present. */
export const RateLimitsSchema = z.object({
  send: RateLimitSchema,
  typing: RateLimitSchema,
  friendRequest: RateLimitSchema,
  search: RateLimitSchema,
  write: RateLimitSchema,
  read: RateLimitSchema,
}) satisfies z.ZodMiniType<Record<RateLimitedAction, RateLimit>>;

/** The defaults with a stage's overrides applied. */
export function rateLimitsWith(
  overrides: Partial<Record<RateLimitedAction, RateLimit>> = {},
): Record<RateLimitedAction, RateLimit> {
  return RateLimitsSchema.parse({ ...DEFAULT_RATE_LIMITS, ...overrides });
}

/**
 * Where `now` falls among fixed windows of the limit's length: the window's index
 * (windows since the epoch) and how far into it `now` is, from 0 to just under 1.
 */
export function windowAt(
  limit: RateLimit,
  now: number,
): { readonly index: number; readonly elapsed: number } {
  const windowInMs = limit.windowSeconds * 1000;
  const index = Math.floor(now / windowInMs);
  return { index, elapsed: (now - index * windowInMs) / windowInMs };
}

/**
 * The sliding-window estimate of requests in the last window: this window's count plus the previous
 * window's, weighted by how much of it the sliding window still covers. A fixed window lets twice the
 * limit through around a boundary (all of one window's at its end, all of the next's at its start); here
 * requests at the end of a window still weigh almost fully just after the boundary.
 *
 * @example
 * slidingCount({ current: 0, previous: 60 }, 0.1); // 54: six more in the first tenth of a window
 */
export function slidingCount(
  counts: { readonly current: number; readonly previous: number },
  elapsed: number,
) {
  return counts.current + counts.previous * (1 - elapsed);
}

/**
 * Whole seconds until one more request fits, given the counts without it; at least 1, so a client never
 * retries at once. Counts still over the limit after the next boundary wait into the next window too.
 */
export function retryAfterSeconds(
  limit: RateLimit,
  counts: { readonly current: number; readonly previous: number },
  now: number,
): number {
  const windowInMs = limit.windowSeconds * 1000;
  const { index } = windowAt(limit, now);
  const start = index * windowInMs;
  // The sliding count falls as the previous window's weight does: find when `current + 1` fits.
  const fitsAt =
    counts.current + 1 <= limit.limit
      ? start + windowInMs * (1 - (limit.limit - counts.current - 1) / Math.max(counts.previous, 1))
      : start + windowInMs + windowInMs * (1 - (limit.limit - 1) / Math.max(counts.current, 1));
  return Math.max(1, Math.ceil((fitsAt - now) / 1000));
}
