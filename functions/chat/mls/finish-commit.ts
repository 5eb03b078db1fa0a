import { commitMessageId } from '../../../shared/protocol/ids';
import { messageFrame, welcomePush } from '../../../shared/protocol/outbound';
import type { StoredBytes } from '../../ports/blob-store';
import type { CommitLog, CommitRecord } from '../../ports/commit-log';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { AppendResult, MessageLog } from '../../ports/message-log';
import type { WelcomeStore } from '../../ports/welcome-store';
import { messageJobOf } from '../message/message-job';
import { fitsOneFrame } from '../push/deliver-job';
import { notifyUsers } from '../push/notify';
import { iso } from '../views';

export interface FinishCommitDeps {
  readonly commits: CommitLog;
  readonly messages: MessageLog;
  readonly welcomes: WelcomeStore;
  readonly fanout: FanoutQueue;
  readonly clock: () => number;
}

/** A claimed epoch's record that holds its commit: enough for anyone to finish it. */
export type FinishableRecord = CommitRecord & { readonly commit: StoredBytes };

/** Whether a record's commit can be finished from the record alone, and is not finished yet. */
export function isUnfinished(record: CommitRecord | undefined): record is FinishableRecord {
  return record !== undefined && record.seq === undefined && record.commit !== undefined;
}

/**
 * Finishes a claimed commit from its record, whoever calls it: its author, the
 * author's retry, or a member who found the author's request died half-way.
 * 1. Move the epoch on (conditional on it), raising the committed members version with it.
 * 2. Append the commit to the log as the author's `commit-{epoch}` (a repeat gets the first seq),
 *    queuing its push between taking the seq and placing it (whole when it fits a frame and the
 *    bytes are at hand, else read from the log: by reference when large), so a commit in the log
 *    is a commit on its way to every member.
 * 3. Store a Welcome item per recipient, all pointing at the record's one Welcome.
 * 4. Mark the record complete with the commit's place.
 * 5. Push a `welcome` to each recipient.
 * Every step is repeatable, so racing finishers and retries end in the same state.
 */
export function finishCommit(deps: FinishCommitDeps) {
  return async (
    record: FinishableRecord,
    context: { correlationId: string; commitBase64?: string },
  ): Promise<AppendResult> => {
    const { conversationId, epoch } = record;
    const now = deps.clock();
    const messageId = commitMessageId(epoch);
    await deps.commits.advance(conversationId, epoch, record.membersVersion);
    const body =
      'bytes' in record.commit ? Buffer.from(record.commit.bytes).toString('base64') : context.commitBase64;
    const beforePlace = async (placed: AppendResult) => {
      const frame =
        body === undefined
          ? undefined
          : messageFrame({
              conversationId,
              seq: placed.seq,
              messageId,
              senderId: record.senderId,
              sentAt: iso(placed.sentAt),
              kind: 'commit',
              body,
            });
      const origin = {
        conversationId,
        senderId: record.senderId,
        messageId,
        correlationId: context.correlationId,
      };
      await deps.fanout.enqueue(
        messageJobOf(origin, placed, frame && fitsOneFrame(frame) ? frame : undefined),
      );
    };
    const stored = await deps.messages.append(
      {
        conversationId,
        messageId,
        senderId: record.senderId,
        kind: 'commit',
        ...('ref' in record.commit ? { bodyRef: record.commit.ref } : { body: record.commit.bytes }),
        now,
      },
      { beforePlace },
    );
    const recipients = record.welcomeRecipients ?? [];
    const { welcome } = record;
    if (welcome && recipients.length > 0) {
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
    await Promise.all(
      recipients.map(({ userId, deviceId }) =>
        notifyUsers(
          deps.fanout,
          [userId],
          welcomePush({ conversationId, epoch: epoch + 1, deviceId }),
          context.correlationId,
        ),
      ),
    );
    return stored;
  };
}
