import * as z from '../shared/zod';
import type { RateLimit, RateLimitedAction } from './ports/rate-limiter';

/**
 * Per-user allowances, counted in DynamoDB per fixed window. Each stage may
 * override them (`-c rateLimits='{"send":{"limit":300,"windowSeconds":60}}'`);
 * these are the defaults.
 */
export const DEFAULT_RATE_LIMITS: Record<RateLimitedAction, RateLimit> = {
  /** Messages, edits, replies and reactions: a fast typist with bursts. */
  send: { limit: 120, windowSeconds: 60 },
  /** Typing start/stop: clients send at most one every few seconds per conversation. */
  typing: { limit: 60, windowSeconds: 60 },
  friendRequest: { limit: 30, windowSeconds: 60 * 60 },
  /** User search: enough to type a name, too few to walk the directory. */
  search: { limit: 60, windowSeconds: 60 },
  /** Other changes: profile, friends, blocks, groups, receipts, deletes. */
  write: { limit: 300, windowSeconds: 60 },
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
}) satisfies z.ZodMiniType<Record<RateLimitedAction, RateLimit>>;

/** The defaults with a stage's overrides applied. */
export function rateLimitsWith(
  overrides: Partial<Record<RateLimitedAction, RateLimit>> = {},
): Record<RateLimitedAction, RateLimit> {
  return RateLimitsSchema.parse({ ...DEFAULT_RATE_LIMITS, ...overrides });
}
