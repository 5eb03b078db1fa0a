import { type DailyBytesCap, dailyBytesRefused, utcDayOf } from '../../caps';
import type { BlobQuota } from '../../ports/blob-quota';

/** Daily byte counts kept in memory, with `DynamoDbBlobQuota`'s days and refusals. */
export class InMemoryBlobQuota implements BlobQuota {
  private readonly used = new Map<string, number>();

  constructor(
    private readonly caps: Readonly<Record<DailyBytesCap, number>>,
    private readonly cap: DailyBytesCap,
  ) {}

  async use(userId: string, bytes: number, now: number): Promise<void> {
    const key = JSON.stringify([userId, utcDayOf(now)]);
    const used = this.used.get(key) ?? 0;
    const limit = this.caps[this.cap];
    if (used + bytes > limit) throw dailyBytesRefused(this.cap, limit, bytes, now);
    this.used.set(key, used + bytes);
  }

  /** Bytes counted for a user on the UTC day holding `now`; for assertions. */
  usedOn(userId: string, now: number): number {
    return this.used.get(JSON.stringify([userId, utcDayOf(now)])) ?? 0;
  }
}
