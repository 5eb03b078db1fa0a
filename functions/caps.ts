import { MAX_BACKUP_SIZE_IN_BYTES, MAX_PENDING_BACKUP_CHUNKS } from '../shared/protocol/limits';
import * as z from '../shared/zod';
import { LimitReachedError } from './errors';

/**
 * Caps on what one user may hold at once (or store in a day), so that no single account can grow
 * a request or a bill without bound. A real user never meets them; each stage may change them
 * (`-c caps='{"devicesPerUser":5}'`). Past a cap a request is refused with `LIMIT_REACHED`.
 */
export interface Caps {
  /** Groups a user is a member of: creating or being added to one more is refused. */
  readonly groupsPerUser: number;
  /** Devices a user has registered, revoked ones included (each adds a key package to every claim of the user). */
  readonly devicesPerUser: number;
  /** One-use key packages a device holds unclaimed: an upload that would pass it is refused. */
  readonly keyPackagesPerDevice: number;
  /** Bytes of commits and Welcomes a user writes to S3 in a UTC day. */
  readonly blobBytesPerUserPerDay: number;
  /** Bytes of attachments a user may upload in a UTC day (counted when the upload slot is issued). */
  readonly attachmentBytesPerUserPerDay: number;
  /** WebSocket connections a user has open at once: a `$connect` beyond it is refused. */
  readonly socketsPerUser: number;
  /**
   * Other users a user has a friend edge with: friends plus pending requests, sent or received. A request
   * that would give the sender or the recipient one more is refused.
   */
  readonly friendsPerUser: number;
  /**
   * History transfers a user has open at once (requested and not yet done, cancelled or expired): a
   * request for one more is refused. A person brings history to one new device at a time; a few allow a
   * stuck one to wait for its expiry.
   */
  readonly historyTransfersPerUser: number;
  /** Bytes of a user's encrypted backup, its listed and pending chunks together: a chunk slot past it is refused. */
  readonly backupBytesPerUser: number;
  /** Backup chunks a user has reserved and no backup lists yet: a chunk slot past it is refused. */
  readonly pendingBackupChunksPerUser: number;
}

/** The defaults: far above real use, far below what hurts (see README "Limits"). */
export const DEFAULT_CAPS: Caps = {
  groupsPerUser: 500,
  devicesPerUser: 10,
  keyPackagesPerDevice: 200,
  blobBytesPerUserPerDay: 50 * 1024 * 1024,
  // Twenty of the largest files a day, or thousands of photos: a heavy sharer, not a file host.
  attachmentBytesPerUserPerDay: 2 * 1000 * 1000 * 1000,
  socketsPerUser: 10,
  // Facebook's own friend limit, and far above any address book a chat is used with (a few hundred
  // contacts): it bounds what an export pages through and what a deletion ends one friendship at a time.
  friendsPerUser: 5000,
  historyTransfersPerUser: 3,
  backupBytesPerUser: MAX_BACKUP_SIZE_IN_BYTES,
  pendingBackupChunksPerUser: MAX_PENDING_BACKUP_CHUNKS,
};

const count = z.number().check(z.int(), z.positive());

/** Complete caps: every one present. */
export const CapsSchema = z.object({
  groupsPerUser: count,
  devicesPerUser: count,
  keyPackagesPerDevice: count,
  blobBytesPerUserPerDay: count,
  attachmentBytesPerUserPerDay: count,
  socketsPerUser: count,
  friendsPerUser: count,
  historyTransfersPerUser: count,
  backupBytesPerUser: count,
  pendingBackupChunksPerUser: count,
}) satisfies z.ZodMiniType<Caps>;

/** The defaults with a stage's overrides applied. */
export function capsWith(overrides: Partial<Caps> = {}): Caps {
  return CapsSchema.parse({ ...DEFAULT_CAPS, ...overrides });
}

const DAY_IN_MS = 24 * 60 * 60 * 1000;

/** The UTC day holding `now` (epoch ms), as `YYYY-MM-DD`: the key of a daily count. */
export function utcDayOf(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Epoch ms of the next UTC midnight after `now`, when a daily count starts again. */
export function nextUtcMidnight(now: number): number {
  return (Math.floor(now / DAY_IN_MS) + 1) * DAY_IN_MS;
}

/** Whole seconds until the next UTC midnight, at least 1: a daily cap's `Retry-After`. */
export function secondsUntilNextUtcDay(now: number): number {
  return Math.max(1, Math.ceil((nextUtcMidnight(now) - now) / 1000));
}

/** The caps that count bytes a user stores in a UTC day. */
export type DailyBytesCap = 'blobBytesPerUserPerDay' | 'attachmentBytesPerUserPerDay';

const DAILY_BYTES_WHAT: Record<DailyBytesCap, string> = {
  blobBytesPerUserPerDay: 'stored commits and Welcomes',
  attachmentBytesPerUserPerDay: 'attachment uploads',
};

/** The refusal of bytes that would take a user's UTC day past a daily bytes cap. */
export function dailyBytesRefused(
  cap: DailyBytesCap,
  limit: number,
  bytes: number,
  now: number,
): LimitReachedError {
  return new LimitReachedError(
    cap,
    limit,
    `${bytes} more bytes would pass today's allowance of ${DAILY_BYTES_WHAT[cap]} (UTC day ${utcDayOf(now)})`,
    { retryAfterSeconds: secondsUntilNextUtcDay(now) },
  );
}

/** The refusal of a group with members who are in `groupsPerUser` groups already; names them. */
export function groupsFull(limit: number, userIds: readonly string[]): LimitReachedError {
  return new LimitReachedError(
    'groupsPerUser',
    limit,
    `Already in as many groups as allowed, so not added: ${[...userIds].sort().join(', ')}`,
  );
}
