import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DailyBytesCap, dailyBytesRefused, nextUtcMidnight, utcDayOf } from '../../caps';
import type { BlobQuota } from '../../ports/blob-quota';
import { keys, ttlFromMs, updateIf } from './keys';

/** A day's count outlives its day by one more, so that no reader near midnight sees it swept early. */
const COUNT_GRACE_IN_MS = 24 * 60 * 60 * 1000;

/**
 * One item per user, cap and UTC day holding the bytes written that day. Each use is one UpdateItem,
 * `ADD bytes :n`, conditional on the sum staying within the cap: concurrent commits each add their
 * own bytes, and no two pass the cap together. The item expires by TTL the day after its own.
 */
export class DynamoDbBlobQuota implements BlobQuota {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly caps: Readonly<Record<DailyBytesCap, number>>,
    private readonly cap: DailyBytesCap,
  ) {}

  async use(userId: string, bytes: number, now: number): Promise<void> {
    const limit = this.caps[this.cap];
    // More than a whole day's allowance is refused without a write.
    const counted =
      bytes <= limit &&
      (await updateIf(this.client, {
        TableName: this.tableName,
        Key: keys.dailyBytes(userId, this.cap, utcDayOf(now)),
        UpdateExpression: 'ADD #bytes :bytes SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#bytes) OR #bytes <= :room',
        ExpressionAttributeNames: { '#bytes': 'bytes', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':bytes': bytes,
          ':room': limit - bytes,
          ':ttl': ttlFromMs(nextUtcMidnight(now) + COUNT_GRACE_IN_MS),
        },
      }));
    if (!counted) throw dailyBytesRefused(this.cap, limit, bytes, now);
  }
}
