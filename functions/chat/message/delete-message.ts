import { ForbiddenError, ImmutableMessageError, NotFoundError } from '../../errors';
import type { AttachmentStore } from '../../ports/attachment-store';
import type { ConversationStore } from '../../ports/conversation-store';
import type { FanoutQueue } from '../../ports/fanout-queue';
import { isContent, type MessageLog } from '../../ports/message-log';
import type { RateLimiter } from '../../ports/rate-limiter';
import { requireMembership } from '../access';
import { iso } from '../views';

export interface DeleteMessageDeps {
  readonly conversations: ConversationStore;
  readonly attachments: Pick<AttachmentStore, 'discard'>;
  readonly messages: MessageLog;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * Deletes the caller's own message.
 * 1. Check membership; count it against the write allowance.
 * 2. Remove the body, keeping a tombstone at its `seq` (only the author's own message, and only content:
 *    a commit is the group's history; deleting it would fork the devices that read it after).
 * 3. Push the tombstone to every member's devices, and mark the message's attachments due for
 *    deletion: no link is given for them again, and the sweep deletes their objects.
 */
export function deleteMessage(deps: DeleteMessageDeps) {
  return async (
    caller: { userId: string; correlationId: string; connectionId?: string },
    conversationId: string,
    seq: number,
  ): Promise<void> => {
    await requireMembership(deps.conversations, conversationId, caller.userId);
    await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
    const tombstone = await deps.messages.markDeleted(conversationId, seq, caller.userId, deps.clock());
    if (!tombstone) {
      const message = await deps.messages.get(conversationId, seq);
      if (!message || message.kind === 'skipped')
        throw new NotFoundError(`No message ${seq} in this conversation`);
      if (!isContent(message.kind)) throw new ImmutableMessageError(seq);
      throw new ForbiddenError('Only the author may delete a message');
    }
    // A repeat finds the tombstone again, and does both again: each is repeatable.
    await Promise.all([
      deps.fanout.enqueue({
        kind: 'conversation',
        conversationId,
        correlationId: caller.correlationId,
        ...(caller.connectionId ? { excludeConnectionId: caller.connectionId } : {}),
        frame: { type: 'deleted', conversationId, seq, deletedAt: iso(tombstone.deletedAt ?? deps.clock()) },
      }),
      tombstone.attachmentIds === undefined
        ? undefined
        : deps.attachments.discard(conversationId, seq, tombstone.attachmentIds, deps.clock()),
    ]);
  };
}
