import { ConversationBlockedError, ForbiddenError } from '../errors';
import type { ConversationStore, Membership } from '../ports/conversation-store';
import type { MessageLog } from '../ports/message-log';

/** Who makes a request, and the id that follows it into the logs and pushes it causes. */
export interface Caller {
  readonly userId: string;
  readonly correlationId: string;
}

/**
 * The caller's membership, or `ForbiddenError`: checked on every action, so a
 * removed member loses access at once. Whether the conversation exists is not
 * revealed to non-members.
 */
export async function requireMembership(
  conversations: Pick<ConversationStore, 'getMembership'>,
  conversationId: string,
  userId: string,
): Promise<Membership> {
  const membership = await conversations.getMembership(conversationId, userId);
  if (!membership) throw new ForbiddenError('You are not a member of this conversation');
  return membership;
}

/** Direct conversation ids carry their kind: `d_…`. */
export function isDirectConversationId(conversationId: string): boolean {
  return conversationId.startsWith('d_');
}

/**
 * Whether this is a direct conversation closed to content: either user blocks the other, or they
 * are no longer friends (see `MessageLog.setClosed`; sends do not ask, the log refuses them).
 */
export async function closedDirect(
  deps: { messages: Pick<MessageLog, 'heads'> },
  conversationId: string,
): Promise<boolean> {
  // Groups skip the read.
  if (!isDirectConversationId(conversationId)) return false;
  return (await deps.messages.heads([conversationId])).get(conversationId)?.closed === true;
}

/** In a closed direct conversation, nothing passes between the two users. */
export async function refuseClosedDirect(
  deps: { messages: Pick<MessageLog, 'heads'> },
  conversationId: string,
): Promise<void> {
  if (await closedDirect(deps, conversationId)) throw new ConversationBlockedError();
}

/**
 * Checks run at once, failing with the first failure in the order given, whichever came first:
 * a non-member learns nothing of the conversation from which check failed.
 */
export async function inOrder(checks: ReadonlyArray<Promise<unknown> | undefined>): Promise<void> {
  for (const result of await Promise.allSettled(checks)) {
    if (result.status === 'rejected') throw result.reason;
  }
}
