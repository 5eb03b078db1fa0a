import { MAX_PAGE_BODIES_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import type { MessageEnvelope, Page, Receipt } from '../../../shared/protocol/resources';
import { decodeCursor, encodeCursor } from '../../cursor';
import { type BlobStore, base64Size, takeWithinBudget } from '../../ports/blob-store';
import type { ConversationStore } from '../../ports/conversation-store';
import type { MessageLog, StoredMessage } from '../../ports/message-log';
import { requireMembership } from '../access';
import { SeqCursorSchema } from '../cursor';
import { requireBytes } from '../mls/mls-bytes';
import { envelope, marksSeenBy } from '../views';

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
 * A page stops early (`next` continues) before its bodies pass `MAX_PAGE_BODIES_SIZE_IN_BYTES`
 * as base64, keeping the messages nearest the starting point; bodies in the blob store are
 * read from it.
 */
export function listHistory(deps: {
  conversations: ConversationStore;
  messages: MessageLog;
  blobs: BlobStore;
  clock: () => number;
}) {
  return async (
    caller: { userId: string },
    conversationId: string,
    request: HistoryRequest,
  ): Promise<Page<MessageEnvelope> & { receipts: Receipt[] }> => {
    const position = request.cursor
      ? decodeCursor(request.cursor, SeqCursorSchema)
      : request.after !== undefined
        ? { after: request.after }
        : request.before !== undefined
          ? { before: request.before }
          : {};
    // Checked first: reading may fill an abandoned seq, a write no non-member may cause.
    await requireMembership(deps.conversations, conversationId, caller.userId);
    const [listed, members] = await Promise.all([
      deps.messages.list(conversationId, { ...position, limit: request.limit }, deps.clock()),
      deps.conversations.listMembers(conversationId),
    ]);
    const forward = 'after' in position;
    // Backward pages keep the newest: the ones next to where the client stands.
    const inReadingOrder = forward ? listed.messages : [...listed.messages].reverse();
    const kept = takeWithinBudget(inReadingOrder, bodySize, MAX_PAGE_BODIES_SIZE_IN_BYTES);
    const messages = forward ? kept : kept.reverse();
    const more = listed.more || kept.length < listed.messages.length;
    const edge = forward ? messages.at(-1) : messages[0];
    return {
      items: await Promise.all(messages.map(withBody)),
      receipts: members.map((m) => ({ conversationId, userId: m.userId, ...marksSeenBy(caller.userId, m) })),
      ...(more && edge ? { next: encodeCursor(forward ? { after: edge.seq } : { before: edge.seq }) } : {}),
    };
  };

  /** The envelope, with a body kept in the blob store read back into it. */
  async function withBody(message: StoredMessage): Promise<MessageEnvelope> {
    if (!message.bodyRef || message.deletedAt !== undefined) return envelope(message);
    return envelope({ ...message, body: await requireBytes(deps.blobs, { ref: message.bodyRef }) });
  }
}

/** What a message's body weighs in a page, as base64. */
function bodySize(message: StoredMessage): number {
  if (message.deletedAt !== undefined) return 0;
  return base64Size(message.bodyRef?.size ?? message.body?.byteLength ?? 0);
}
