import type { MessageEnvelope, Page, Receipt } from '../../../shared/protocol/resources';
import { decodeCursor, encodeCursor } from '../../cursor';
import type { ConversationStore } from '../../ports/conversation-store';
import type { MessageLog } from '../../ports/message-log';
import { requireMembership } from '../access';
import { SeqCursorSchema } from '../cursor';
import { envelope } from '../views';

export interface HistoryRequest {
  readonly after?: number;
  readonly before?: number;
  readonly cursor?: string;
  readonly limit: number;
}

/**
 * A page of a conversation's log, always in `seq` order.
 * - `after`: resume; `next` continues forward until the client has everything.
 * - `before`: scroll back; `next` continues backward.
 * - neither: the latest page; `next` continues backward.
 * Every member's receipt marks come with the page, so each message's state is known.
 */
export function listHistory(deps: { conversations: ConversationStore; messages: MessageLog }) {
  return async (
    caller: { userId: string },
    conversationId: string,
    request: HistoryRequest,
  ): Promise<Page<MessageEnvelope> & { receipts: Receipt[] }> => {
    await requireMembership(deps.conversations, conversationId, caller.userId);
    const position = request.cursor
      ? decodeCursor(request.cursor, SeqCursorSchema)
      : request.after !== undefined
        ? { after: request.after }
        : request.before !== undefined
          ? { before: request.before }
          : {};
    const [{ messages, more }, members] = await Promise.all([
      deps.messages.list(conversationId, { ...position, limit: request.limit }),
      deps.conversations.listMembers(conversationId),
    ]);
    const forward = 'after' in position;
    const edge = forward ? messages.at(-1) : messages[0];
    return {
      items: messages.map(envelope),
      receipts: members.map((m) => ({
        conversationId,
        userId: m.userId,
        delivered: m.delivered,
        read: m.read,
      })),
      ...(more && edge ? { next: encodeCursor(forward ? { after: edge.seq } : { before: edge.seq }) } : {}),
    };
  };
}
