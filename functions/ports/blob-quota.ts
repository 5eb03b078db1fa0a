/**
 * Bytes each user writes to the blob bucket in a UTC day, held to one daily cap: commits and Welcomes
 * (`blobBytesPerUserPerDay`) or attachments (`attachmentBytesPerUserPerDay`), each counted apart.
 * Counted before the bytes are written, so that what the cap refuses is never stored.
 */
export interface BlobQuota {
  /**
   * Counts `bytes` against the user's day at `now` (epoch ms). Throws `LimitReachedError`, with
   * `retryAfterSeconds` up to the next UTC midnight, when they would take the day past the cap;
   * refused bytes are not counted.
   */
  use(userId: string, bytes: number, now: number): Promise<void>;
}
