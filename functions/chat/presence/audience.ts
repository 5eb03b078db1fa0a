import type { ConversationStore } from '../../ports/conversation-store';
import type { RelationshipStore } from '../../ports/relationship-store';
import { isDirectConversationId } from '../access';

/**
 * Who may see a user's presence (and claim their key packages): their friends and the members of
 * their groups, never anyone blocked either way. A direct conversation adds no one: its other user
 * is there while a friend, and keeps nothing of this once no longer one.
 */
export async function presenceAudience(
  deps: {
    relationships: Pick<RelationshipStore, 'listFriendIds' | 'blockedEitherWay'>;
    conversations: Pick<ConversationStore, 'listConversationIdsOf' | 'getMany'>;
  },
  userId: string,
): Promise<Set<string>> {
  const [friends, conversationIds] = await Promise.all([
    deps.relationships.listFriendIds(userId),
    deps.conversations.listConversationIdsOf(userId),
  ]);
  const conversations = await deps.conversations.getMany(
    conversationIds.filter((conversationId) => !isDirectConversationId(conversationId)),
  );
  const audience = new Set([...friends, ...conversations.flatMap((c) => c.memberIds)]);
  audience.delete(userId);
  for (const blocked of await deps.relationships.blockedEitherWay(userId, [...audience]))
    audience.delete(blocked);
  return audience;
}
