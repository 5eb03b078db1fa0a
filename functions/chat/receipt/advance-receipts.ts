import type { Receipt } from '../../../shared/protocol/resources';
import { ValidationError } from '../../errors';
import type { ConversationStore } from '../../ports/conversation-store';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { LogHead, MessageLog } from '../../ports/message-log';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { RelationshipStore } from '../../ports/relationship-store';
import { requireMembership } from '../access';

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
 * 2. Note how many content messages the read mark covers (the head's count when it is read
 *    to the end, else the count on the message at the mark), so unread counts skip commits.
 * 3. Store the marks; when they moved, push them to the members and to the caller's other
 *    devices (so a read on one device clears the unread count on all). In a closed direct
 *    conversation they are stored hidden and pushed to the caller's devices only.
 */
export function advanceReceipts(deps: AdvanceReceiptsDeps) {
  return async (
    caller: { userId: string; correlationId: string; connectionId?: string },
    conversationId: string,
    marks: { delivered?: number; read?: number },
  ): Promise<Receipt> => {
    const before = await requireMembership(deps.conversations, conversationId, caller.userId);
    await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
    const head = (await deps.messages.heads([conversationId])).get(conversationId);
    const highest = Math.max(marks.delivered ?? 0, marks.read ?? 0);
    if (highest > (head?.seq ?? 0))
      throw new ValidationError(`The conversation has no message ${highest} yet`);
    // What was read reached a device: delivery is raised with it.
    const delivered = highest > 0 ? { delivered: highest } : {};
    // In a closed direct conversation (a block, or no longer friends) the marks move for the reader's
    // own devices only: the other user goes on seeing them as they were when it closed.
    const after = await deps.conversations.advanceMarks(
      conversationId,
      caller.userId,
      marks.read !== undefined && marks.read > before.read
        ? {
            ...delivered,
            read: marks.read,
            readContentCount: await contentCountAt(conversationId, marks.read, head),
          }
        : delivered,
      { hidden: head?.closed === true },
    );
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
      // In a closed direct conversation (a block, or no longer friends), marks reach only the
      // reader's own devices.
      await deps.fanout.enqueue(
        head?.closed
          ? { kind: 'users', userIds: [caller.userId], frame, ...common }
          : { kind: 'conversation', conversationId, frame, ...common },
      );
    }
    return receipt;
  };

  /** Content messages up to `seq`: one read unless `seq` is the head. */
  async function contentCountAt(conversationId: string, seq: number, head: LogHead | undefined) {
    if (head && seq >= head.seq) return head.contentCount;
    return (await deps.messages.get(conversationId, seq))?.contentCount ?? seq;
  }
}
