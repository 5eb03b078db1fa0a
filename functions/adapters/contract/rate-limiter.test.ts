import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import { RateLimitedError } from '../../errors';
import type { RateLimit, RateLimitedAction, RateLimiter } from '../../ports/rate-limiter';
import { DynamoDbRateLimiter } from '../dynamodb/dynamodb-rate-limiter';
import { InMemoryRateLimiter } from '../memory/memory-rate-limiter';

const table = useLocalTable();

const LIMITS: Record<RateLimitedAction, RateLimit> = {
  send: { limit: 3, windowSeconds: 60 },
  typing: { limit: 1, windowSeconds: 10 },
  friendRequest: { limit: 2, windowSeconds: 3600 },
  search: { limit: 5, windowSeconds: 60 },
  write: { limit: 5, windowSeconds: 60 },
  read: { limit: 5, windowSeconds: 60 },
};

/** The start of a one-minute window. */
const WINDOW = Date.UTC(2025, 0, 1, 12, 0);

describe.each([
  {
    adapter: 'InMemoryRateLimiter',
    make: (): RateLimiter => new InMemoryRateLimiter(LIMITS),
    // One process holds the counts: another environment is the same limiter.
    another: (limiter: RateLimiter): RateLimiter => limiter,
  },
  {
    adapter: 'DynamoDbRateLimiter',
    make: (): RateLimiter => new DynamoDbRateLimiter(table.client, table.tableName, LIMITS),
    another: (): RateLimiter => new DynamoDbRateLimiter(table.client, table.tableName, LIMITS),
  },
])('$adapter', ({ make, another }) => {
  let limiter: RateLimiter;
  let alice: string;

  beforeEach(() => {
    limiter = make();
    alice = freshId('alice');
  });

  it('allows exactly the limit in a window, then refuses with the seconds until one more fits', async () => {
    for (let request = 0; request < 3; request += 1) await limiter.consume(alice, 'send', WINDOW + 1000);

    const refused = limiter.consume(alice, 'send', WINDOW + 15_500);

    await expect(refused).rejects.toThrow(RateLimitedError);
    // Three in this window weigh 2 a third of the way into the next: 20 s after the boundary.
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 65 });
  });

  it('asks for at least one second when one more fits a moment later', async () => {
    for (let request = 0; request < 3; request += 1) await limiter.consume(alice, 'send', WINDOW);

    await expect(limiter.consume(alice, 'send', WINDOW + 60_000 + 19_999)).rejects.toMatchObject({
      retryAfterSeconds: 1,
    });
  });

  it('lets no second allowance through just after a window boundary', async () => {
    for (let request = 0; request < 3; request += 1) await limiter.consume(alice, 'send', WINDOW + 59_000);

    await expect(limiter.consume(alice, 'send', WINDOW + 60_001)).rejects.toThrow(RateLimitedError);
    await expect(limiter.consume(alice, 'send', WINDOW + 70_000)).rejects.toThrow(RateLimitedError);

    // A third into the next window the three weigh two: room for one, not two.
    await limiter.consume(alice, 'send', WINDOW + 80_000);
    await expect(limiter.consume(alice, 'send', WINDOW + 80_001)).rejects.toThrow(RateLimitedError);
  });

  it('does not count refused requests', async () => {
    for (let request = 0; request < 3; request += 1) await limiter.consume(alice, 'send', WINDOW);
    for (let request = 0; request < 5; request += 1) {
      await expect(limiter.consume(alice, 'send', WINDOW + 30_000)).rejects.toThrow(RateLimitedError);
      await expect(limiter.consume(alice, 'send', WINDOW + 60_001)).rejects.toThrow(RateLimitedError);
    }

    await expect(limiter.consume(alice, 'send', WINDOW + 80_000)).resolves.toBeUndefined();
  });

  it('gives the whole allowance again once a full window has passed', async () => {
    for (let request = 0; request < 3; request += 1) await limiter.consume(alice, 'send', WINDOW);
    await expect(limiter.consume(alice, 'send', WINDOW + 59_999)).rejects.toThrow(RateLimitedError);

    for (let request = 0; request < 3; request += 1) await limiter.consume(alice, 'send', WINDOW + 120_000);
    await expect(limiter.consume(alice, 'send', WINDOW + 120_001)).rejects.toThrow(RateLimitedError);
  });

  it('counts each user and each action apart', async () => {
    const bob = freshId('bob');
    await limiter.consume(alice, 'typing', WINDOW);

    await expect(limiter.consume(bob, 'typing', WINDOW)).resolves.toBeUndefined();
    await expect(limiter.consume(alice, 'friendRequest', WINDOW)).resolves.toBeUndefined();
    await expect(limiter.consume(alice, 'typing', WINDOW)).rejects.toThrow(RateLimitedError);
  });

  it('lets no more than the limit through when requests race', async () => {
    await limiter.consume(alice, 'write', WINDOW - 120_000);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => limiter.consume(alice, 'write', WINDOW)),
    );

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(5);
    await expect(limiter.consume(alice, 'write', WINDOW + 59_999)).rejects.toThrow(RateLimitedError);
    for (const result of results.filter((result) => result.status === 'rejected')) {
      expect(result.reason).toBeInstanceOf(RateLimitedError);
    }
  });

  it('counts a request that reaches the counter after another environment opened the next window', async () => {
    // Two environments of one function: the first read the clock just before the boundary, but its
    // request lands after the second one's, which read it just after.
    const first = limiter;
    const second = another(limiter);
    await first.consume(alice, 'send', WINDOW + 59_000);
    await second.consume(alice, 'send', WINDOW + 60_001);

    await expect(first.consume(alice, 'send', WINDOW + 59_999)).resolves.toBeUndefined();
    // It counted in the new window: three there now weigh with the old window's one over the limit.
    await expect(second.consume(alice, 'send', WINDOW + 60_002)).rejects.toThrow(RateLimitedError);
  });
});
