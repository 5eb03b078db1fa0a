import { createHash } from 'node:crypto';
import { messageFrame, welcomePush } from '../../../shared/protocol/outbound';
import type { CommitAccepted } from '../../../shared/protocol/resources';
import { ConflictError, ValidationError } from '../../errors';
import type { CommitLog } from '../../ports/commit-log';
import type { ConversationStore } from '../../ports/conversation-store';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { MessageLog } from '../../ports/message-log';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { RelationshipStore } from '../../ports/relationship-store';
import type { WelcomeStore } from '../../ports/welcome-store';
import { requireMembership } from '../access';
import { COMMIT_MESSAGE_ID_PREFIX, refuseBlockedDirect } from '../message/send-message';
import { notifyUsers } from '../push/notify';
import { iso } from '../views';

export interface PostCommitDeps {
  readonly conversations: ConversationStore;
  readonly relationships: RelationshipStore;
  readonly devices: DeviceDirectory;
  readonly commits: CommitLog;
  readonly messages: MessageLog;
  readonly welcomes: WelcomeStore;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

export interface PostCommitRequest {
  readonly epoch: number;
  /** Base64, already checked for size. */
  readonly commit: string;
  readonly welcome?: string | undefined;
  readonly welcomeRecipients?: ReadonlyArray<{ userId: string; deviceId: string }> | undefined;
}

/** The log's message id of an epoch's commit: one per epoch, so appending it again is a retry. */
export const commitMessageId = (epoch: number) => `${COMMIT_MESSAGE_ID_PREFIX}${epoch}`;

/**
 * Accepts the one MLS commit of the conversation's current epoch.
 * 1. Count against the caller's `send` allowance; check membership (and, in a direct
 *    conversation, that neither side blocked the other).
 * 2. Check the Welcome's recipients are current devices of current members, before anything is stored.
 * 3. Claim the epoch with a commit record (the commit's hash). A rival commit for a taken epoch,
 *    or one for any other epoch than the current, is a conflict naming the current epoch.
 *    The same commit from the same sender again is a retry: it resumes below.
 * 4. Move the conversation's epoch on (conditional on it; a retry finds it moved already).
 * 5. Append the commit to the log as `commit-{epoch}` (a retry gets the first seq), store the
 *    Welcomes, note the seq in the record.
 * 6. Push the commit to every member and a `welcome` to each recipient's user, also on a retry
 *    (the first attempt may have died before it).
 * Each step is repeatable, so a request cut off anywhere is finished by its retry.
 */
export function postCommit(deps: PostCommitDeps) {
  return async (
    caller: { userId: string; correlationId: string },
    conversationId: string,
    request: PostCommitRequest,
  ): Promise<CommitAccepted> => {
    await deps.rateLimiter.consume(caller.userId, 'send', deps.clock());
    await requireMembership(deps.conversations, conversationId, caller.userId);
    await refuseBlockedDirect(deps, conversationId, caller.userId);
    const recipients = await checkRecipients(conversationId, request.welcomeRecipients ?? []);

    const { epoch } = request;
    const hash = createHash('sha256').update(Buffer.from(request.commit, 'base64')).digest('base64');
    const current = await deps.commits.currentEpoch(conversationId);
    if (epoch > current) throw conflict(epoch, current);
    const now = deps.clock();
    const record = await deps.commits.claim({
      conversationId,
      epoch,
      senderId: caller.userId,
      hash,
      claimedAt: now,
    });
    if (!record.created && (record.hash !== hash || record.senderId !== caller.userId)) {
      // The epoch's owner moves it on, if it has not yet: the group is at least one past it.
      throw conflict(epoch, Math.max(current, epoch + 1));
    }

    await deps.commits.advance(conversationId, epoch);
    const stored = await deps.messages.append({
      conversationId,
      messageId: commitMessageId(epoch),
      senderId: caller.userId,
      kind: 'commit',
      body: Buffer.from(request.commit, 'base64'),
      now,
    });
    if (request.welcome !== undefined && recipients.length > 0) {
      const welcome = Buffer.from(request.welcome, 'base64');
      await deps.welcomes.put(
        recipients.map(({ userId, deviceId }) => ({
          userId,
          deviceId,
          conversationId,
          epoch: epoch + 1,
          welcome,
          createdAt: now,
        })),
      );
    }
    await deps.commits.complete(conversationId, epoch, { seq: stored.seq, sentAt: stored.sentAt });

    const sentAt = iso(stored.sentAt);
    await deps.fanout.enqueue({
      kind: 'message',
      conversationId,
      seq: stored.seq,
      correlationId: caller.correlationId,
      // A retry's frame is read from the log: what is stored is the truth.
      ...(stored.duplicate
        ? {}
        : {
            frame: messageFrame({
              conversationId,
              seq: stored.seq,
              messageId: commitMessageId(epoch),
              senderId: caller.userId,
              sentAt,
              kind: 'commit',
              body: request.commit,
            }),
          }),
    });
    await Promise.all(
      recipients.map(({ userId, deviceId }) =>
        notifyUsers(
          deps.fanout,
          [userId],
          welcomePush({ conversationId, epoch: epoch + 1, deviceId }),
          caller.correlationId,
        ),
      ),
    );
    return { conversationId, epoch: epoch + 1, seq: stored.seq, sentAt };
  };

  async function checkRecipients(
    conversationId: string,
    requested: ReadonlyArray<{ userId: string; deviceId: string }>,
  ): Promise<Array<{ userId: string; deviceId: string }>> {
    if (requested.length === 0) return [];
    const unique = [
      ...new Map(requested.map((r) => [`${r.userId}/${r.deviceId}`, { ...r }] as const)).values(),
    ];
    const conversation = await deps.conversations.get(conversationId);
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
