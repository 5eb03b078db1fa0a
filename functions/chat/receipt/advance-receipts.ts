import type { Receipt } from '../../../shared/protocol/resources';
import { ValidationError } from '../../errors';
import type { ConversationStore } from '../../ports/conversation-store';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { MessageLog } from '../../ports/message-log';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { RelationshipStore } from '../../ports/relationship-store';
import { requireMembership } from '../access';
import { blockedDirect } from '../message/send-message';

export interface AdvanceReceiptsDeps {
  readonly conversations: ConversationStore;
  readonly messages: MessageLog;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly relationships: RelationshipStore;
  readonly clock: () => number;
}

/**
 * Moves the caller's delivered and read marks forward (never back).
 * 1. Check membership; refuse marks beyond the log's head.
 * 2. Store the marks; when they moved, push them to the members and to the caller's other
 *    devices (so a read on one device clears the unread count on all).
 */
export function advanceReceipts(deps: AdvanceReceiptsDeps) {
  return async (
    caller: { userId: string; correlationId: string; connectionId?: string },
    conversationId: string,
    marks: { delivered?: number; read?: number },
  ): Promise<Receipt> => {
    const before = await requireMembership(deps.conversations, conversationId, caller.userId);
    await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
    const head = (await deps.messages.heads([conversationId])).get(conversationId)?.seq ?? 0;
    const highest = Math.max(marks.delivered ?? 0, marks.read ?? 0);
    if (highest > head) throw new ValidationError(`The conversation has no message ${highest} yet`);
    const after = await deps.conversations.advanceMarks(conversationId, caller.userId, marks);
    const receipt: Receipt = {
      conversationId,
      userId: caller.userId,
      delivered: after.delivered,
      read: after.read,
    };
    if (after.delivered !== before.delivered || after.read !== before.read) {
      const frame = { type: 'receipt' as const, ...receipt };
      const common = {
        correlationId: caller.correlationId,
        ...(caller.connectionId ? { excludeConnectionId: caller.connectionId } : {}),
      };
      // Across a block in a direct conversation, marks reach only the reader's own devices.
      await deps.fanout.enqueue(
        (await blockedDirect(deps, conversationId, caller.userId))
          ? { kind: 'users', userIds: [caller.userId], frame, ...common }
          : { kind: 'conversation', conversationId, frame, ...common },
      );
    }
    return receipt;
  };
}
