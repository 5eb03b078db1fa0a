import type { CommitAccepted } from '../../../shared/protocol/resources';
import { ConflictError, SendInProgressError, ValidationError } from '../../errors';
import type { BlobQuota } from '../../ports/blob-quota';
import type { BlobStore } from '../../ports/blob-store';
import type { CommitLog, CommitRecord, WelcomeRecipient } from '../../ports/commit-log';
import type { Conversation, ConversationStore } from '../../ports/conversation-store';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { MessageLog } from '../../ports/message-log';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { RelationshipStore } from '../../ports/relationship-store';
import type { WelcomeStore } from '../../ports/welcome-store';
import { refuseClosedDirect, requireMembership } from '../access';
import { iso } from '../views';
import { blobKeys } from './blob-keys';
import { type FinishableRecord, finishCommit, isUnfinished } from './finish-commit';
import { blobSizeOf, discardUnused, sha256, storeBytes } from './mls-bytes';

export interface PostCommitDeps {
  readonly conversations: ConversationStore;
  readonly relationships: RelationshipStore;
  readonly devices: DeviceDirectory;
  readonly commits: CommitLog;
  readonly messages: MessageLog;
  readonly welcomes: WelcomeStore;
  readonly blobs: BlobStore;
  readonly blobQuota: BlobQuota;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
  /** Waits, between looks at a commit another member is finishing (a timer by default). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** How long the author waits, in all, for a rival member finishing the author's own commit. */
const RIVAL_FINISH_WAITS_IN_MS = [50, 100, 200, 400, 800, 1600];

export interface PostCommitRequest {
  readonly epoch: number;
  /** Base64, already checked for size. */
  readonly commit: string;
  readonly welcome?: string | undefined;
  readonly welcomeRecipients?: ReadonlyArray<WelcomeRecipient> | undefined;
  /** The member list version the commit brings the group in line with. */
  readonly membersVersion?: number | undefined;
}

/**
 * Accepts the one MLS commit of the conversation's current epoch.
 * 1. Count against the caller's `send` allowance; check membership (and, in a direct
 *    conversation, that neither side blocked the other).
 * 2. Refuse a `membersVersion` ahead of the conversation's (a conflict); check the Welcome's
 *    recipients are current devices of current members, before anything is stored.
 * 3. Put a commit or Welcome too large for an item in the blob store, under keys of this
 *    sender and these bytes, once their size is counted against the sender's bytes of the
 *    UTC day (`blobBytesPerUserPerDay`: past it, `LIMIT_REACHED` and nothing stored).
 * 4. Claim the epoch with a record holding everything needed to finish the commit. A rival
 *    commit for a taken epoch, or one for any other epoch than the current, is a conflict
 *    naming the current epoch: its blobs are deleted, and when the epoch's owner never
 *    finished, the rival finishes the owner's commit first. The same commit from the same
 *    sender again is a retry: it resumes below.
 * 5. Finish the commit (`finishCommit`): epoch, log, Welcomes, record, pushes.
 * Each step is repeatable, so a request cut off anywhere is finished by its retry, or by
 * the next member who posts a commit or reads the epoch.
 */
export function postCommit(deps: PostCommitDeps) {
  const finish = finishCommit(deps);
  return async (
    caller: { userId: string; correlationId: string },
    conversationId: string,
    request: PostCommitRequest,
  ): Promise<CommitAccepted> => {
    await deps.rateLimiter.consume(caller.userId, 'send', deps.clock());
    await requireMembership(deps.conversations, conversationId, caller.userId);
    const conversation = await deps.conversations.get(conversationId);
    // Nothing passes between the two users of a closed direct conversation. One whose other user deleted
    // their account has nobody to pass anything to: its last member's commit removing the deleted devices
    // from the MLS group goes through.
    if ((conversation?.memberIds.length ?? 0) > 1) await refuseClosedDirect(deps, conversationId);
    const membersVersion = conversation?.membersVersion ?? 1;
    if (request.membersVersion !== undefined && request.membersVersion > membersVersion) {
      throw new ConflictError(
        `Members version ${request.membersVersion} is ahead of the conversation's (${membersVersion})`,
      );
    }
    const recipients = await checkRecipients(conversation, request.welcomeRecipients ?? []);

    const { epoch } = request;
    const commitBytes = Buffer.from(request.commit, 'base64');
    const commitHash = sha256(commitBytes);
    const current = await deps.commits.currentEpoch(conversationId);
    if (epoch > current) throw conflict(epoch, current);

    const welcomeBytes =
      request.welcome !== undefined && recipients.length > 0
        ? Buffer.from(request.welcome, 'base64')
        : undefined;
    // One write, for what goes to the blob store only: bytes kept inline cost no object.
    const blobBytes = blobSizeOf(commitBytes) + blobSizeOf(welcomeBytes);
    if (blobBytes > 0) await deps.blobQuota.use(caller.userId, blobBytes, deps.clock());
    const [commit, welcome] = await Promise.all([
      storeBytes(
        deps.blobs,
        blobKeys.commit(conversationId, epoch, caller.userId, commitHash.toString('hex')),
        commitBytes,
      ),
      welcomeBytes &&
        storeBytes(
          deps.blobs,
          blobKeys.welcome(conversationId, epoch + 1, caller.userId, sha256(welcomeBytes).toString('hex')),
          welcomeBytes,
        ),
    ]);
    const record = await deps.commits.claim({
      conversationId,
      epoch,
      senderId: caller.userId,
      hash: commitHash.toString('base64'),
      claimedAt: deps.clock(),
      commit,
      ...(welcome ? { welcome, welcomeRecipients: recipients } : {}),
      ...(request.membersVersion === undefined ? {} : { membersVersion: request.membersVersion }),
    });
    const ours =
      !record.created && record.hash === commitHash.toString('base64') && record.senderId === caller.userId;
    if (!record.created && !ours) {
      await discardUnused(deps.blobs, [commit, welcome], [record.commit, record.welcome]);
      await finishAbandoned(record, caller.correlationId);
      // The epoch's owner moves it on, if it has not yet: the group is at least one past it.
      throw conflict(epoch, Math.max(current, epoch + 1));
    }
    // A retry finishes what the first attempt stored (records from before takeover hold no bytes).
    if (ours) await discardUnused(deps.blobs, [commit, welcome], [record.commit, record.welcome]);
    const stored = await finishAsAuthor(
      { ...record, commit: record.commit ?? commit },
      {
        correlationId: caller.correlationId,
        commitBase64: request.commit,
      },
    );
    return { conversationId, epoch: epoch + 1, seq: stored.seq, sentAt: iso(stored.sentAt) };
  };

  /**
   * Finishes the caller's own commit. A rival member who lost the epoch finishes it too (the record
   * holds its bytes), and may hold its place in the log for a moment: the author waits for that rather
   * than answer `SEND_IN_PROGRESS` for the commit it won; finishing again then finds it placed.
   */
  async function finishAsAuthor(record: FinishableRecord, context: Parameters<typeof finish>[1]) {
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    for (const wait of [...RIVAL_FINISH_WAITS_IN_MS, undefined]) {
      try {
        return await finish(record, context);
      } catch (error) {
        if (!(error instanceof SendInProgressError) || wait === undefined) throw error;
        await sleep(wait);
      }
    }
    throw new SendInProgressError();
  }

  /** Finishes a rival's claimed commit whose request died; one still running is left to finish. */
  async function finishAbandoned(record: CommitRecord, correlationId: string) {
    if (!isUnfinished(record)) return;
    try {
      await finish(record, { correlationId });
    } catch (error) {
      if (!(error instanceof SendInProgressError)) throw error;
    }
  }

  async function checkRecipients(
    conversation: Conversation | undefined,
    requested: ReadonlyArray<WelcomeRecipient>,
  ): Promise<WelcomeRecipient[]> {
    if (requested.length === 0) return [];
    const unique = [
      ...new Map(
        requested.map(
          (r) => [`${r.userId}/${r.deviceId}`, { userId: r.userId, deviceId: r.deviceId }] as const,
        ),
      ).values(),
    ];
    const members = new Set(conversation?.memberIds ?? []);
    const stranger = unique.find(({ userId }) => !members.has(userId));
    if (stranger) throw new ValidationError(`Welcome recipient ${stranger.userId} is not a member`);
    const userIds = [...new Set(unique.map(({ userId }) => userId))];
    const lists = await Promise.all(userIds.map((userId) => deps.devices.list(userId)));
    const current = new Set(
      lists
        .flat()
        .filter((device) => device.revokedAt === undefined)
        .map((device) => `${device.userId}/${device.deviceId}`),
    );
    const unknown = unique.find(({ userId, deviceId }) => !current.has(`${userId}/${deviceId}`));
    if (unknown) {
      throw new ValidationError(`Welcome recipient device ${unknown.deviceId} is not a current device`);
    }
    return unique;
  }
}

function conflict(epoch: number, current: number): ConflictError {
  return new ConflictError(
    `Epoch ${epoch} is not open for a commit: the conversation is at epoch ${current}; apply the commits before it and retry`,
  );
}
