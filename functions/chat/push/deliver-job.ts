import { messageFrame, type OutboundFrame } from '../../../shared/protocol/outbound';
import type { ConnectionStore } from '../../ports/connection-store';
import type { ConversationStore } from '../../ports/conversation-store';
import type { FanoutJob } from '../../ports/fanout-queue';
import type { MessageLog } from '../../ports/message-log';
import type { Notifier } from '../../ports/notifier';
import type { RelationshipStore } from '../../ports/relationship-store';
import { presenceAudience } from '../presence/audience';
import { envelope, iso } from '../views';
import { type PostReport, postAll } from './post-all';

/**
 * Receipts of groups larger than this reach only the reader's own devices:
 * pushing every mark to every member grows with the square of the group.
 * Members of large groups read receipts with `GET /conversations/{id}`.
 */
export const RECEIPT_PUSH_MAX_MEMBERS = 32;

export interface DeliverJobDeps {
  readonly conversations: ConversationStore;
  readonly connections: ConnectionStore;
  readonly messages: MessageLog;
  readonly relationships: RelationshipStore;
  readonly notifier: Notifier;
  readonly clock: () => number;
}

const NOTHING: PostReport = { recipients: 0, delivered: 0, gone: 0 };

/**
 * Delivers one fan-out job.
 * 1. Work out the audience: the conversation's current members (read now, so a removed
 *    member gets nothing more), the listed users, or a user's presence audience.
 * 2. Look up their open connections in one batch and post the frame to each, except the
 *    connection that caused it; forget connections that are gone.
 * Any other failure throws, so the queue retries the job (clients dedupe).
 */
export function deliverJob(deps: DeliverJobDeps) {
  return async (job: FanoutJob): Promise<PostReport> => {
    const target = await audienceOf(job);
    if (!target) return NOTHING;
    const connections = await deps.connections.listByUsers([...target.userIds], deps.clock());
    const targets = connections.filter((c) => c.connectionId !== job.excludeConnectionId);
    return postAll(deps, targets, target.frame);
  };

  async function audienceOf(
    job: FanoutJob,
  ): Promise<{ userIds: Iterable<string>; frame: OutboundFrame } | undefined> {
    switch (job.kind) {
      case 'message': {
        const [conversation, frame] = await Promise.all([
          deps.conversations.get(job.conversationId),
          job.frame ?? readFrame(job.conversationId, job.seq),
        ]);
        if (!conversation || !frame) return undefined;
        // Sending implies reading what came before: the sender's unread count stays honest.
        if (conversation.memberIds.includes(frame.senderId)) {
          await deps.conversations.advanceMarks(job.conversationId, frame.senderId, { read: frame.seq });
        }
        return { userIds: conversation.memberIds, frame };
      }
      case 'conversation': {
        const conversation = await deps.conversations.get(job.conversationId);
        const members = conversation?.memberIds ?? [];
        if (job.frame.type === 'receipt' && members.length > RECEIPT_PUSH_MAX_MEMBERS) {
          return { userIds: [job.frame.userId], frame: job.frame };
        }
        return { userIds: new Set([...members, ...(job.alsoUserIds ?? [])]), frame: job.frame };
      }
      case 'users':
        return { userIds: job.userIds, frame: job.frame };
      case 'presence': {
        const audience = await presenceAudience(deps, job.userId);
        return {
          userIds: audience,
          frame: {
            type: 'presence',
            userId: job.userId,
            online: job.online,
            ...(job.lastSeenAt !== undefined ? { lastSeenAt: iso(job.lastSeenAt) } : {}),
          },
        };
      }
    }
  }

  async function readFrame(conversationId: string, seq: number) {
    const message = await deps.messages.get(conversationId, seq);
    return message ? messageFrame(envelope(message)) : undefined;
  }
}
