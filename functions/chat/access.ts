import { ConversationBlockedError, ForbiddenError } from '../errors';
import type { ConversationStore, Membership } from '../ports/conversation-store';
import type { RelationshipStore } from '../ports/relationship-store';

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

type BlockDeps = {
  conversations: Pick<ConversationStore, 'get'>;
  relationships: Pick<RelationshipStore, 'blockedEitherWay'>;
};

/**
 * Whether this is a direct conversation whose two users are blocked either way. (Sends do not
 * ask: the log itself refuses them, see `MessageLog.setBlocked`.)
 */
export async function blockedDirect(
  deps: BlockDeps,
  conversationId: string,
  userId: string,
): Promise<boolean> {
  // Direct conversation ids carry their kind: groups skip the extra reads.
  if (!conversationId.startsWith('d_')) return false;
  const conversation = await deps.conversations.get(conversationId);
  const peers = (conversation?.memberIds ?? []).filter((id) => id !== userId);
  return (await deps.relationships.blockedEitherWay(userId, peers)).size > 0;
}

/** In a direct conversation, nothing passes between users when either blocked the other. */
export async function refuseBlockedDirect(
  deps: BlockDeps,
  conversationId: string,
  userId: string,
): Promise<void> {
  if (await blockedDirect(deps, conversationId, userId)) throw new ConversationBlockedError();
}
