import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RateLimitedError } from '../../errors';
import type { RateLimit, RateLimitedAction, RateLimiter } from '../../ports/rate-limiter';
import { isConditionFailed, keys, ttlFromMs } from './keys';

/** Buckets outlive their window a little, so a late reader never sees a half-swept one. */
const BUCKET_GRACE_IN_MS = 60_000;

/**
 * Fixed-window counters, one item per user, action and window. The count and
 * the check are one conditional UpdateItem, so concurrent requests cannot both
 * take the last slot; a refused request does not count.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly limits: Record<RateLimitedAction, RateLimit>,
  ) {}

  async consume(userId: string, action: RateLimitedAction, now: number): Promise<void> {
    const { limit, windowSeconds } = this.limits[action];
    const windowInMs = windowSeconds * 1000;
    const windowStart = Math.floor(now / windowInMs) * windowInMs;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.rateBucket(userId, action, windowStart),
          UpdateExpression: 'ADD #count :one SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': limit,
            ':ttl': ttlFromMs(windowStart + windowInMs + BUCKET_GRACE_IN_MS),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new RateLimitedError(retryAfterSeconds(windowStart + windowInMs, now), { cause: error });
    }
  }
}

/** Whole seconds until the window ends; at least 1, so a client never retries at once. */
function retryAfterSeconds(windowEnd: number, now: number): number {
  return Math.max(1, Math.ceil((windowEnd - now) / 1000));
}
