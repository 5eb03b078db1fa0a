import { ForbiddenError } from '../errors';
import type { ConversationStore, Membership } from '../ports/conversation-store';

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
