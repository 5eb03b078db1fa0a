import { ForbiddenError } from '../errors';
import type { ConversationStore, Membership } from '../ports/conversation-store';

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
