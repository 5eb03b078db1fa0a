import type { ConversationStore } from '../../ports/conversation-store';
import type { RelationshipStore } from '../../ports/relationship-store';

/**
 * Who may see a user's presence: their friends and the members of their
 * conversations, never anyone blocked either way.
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
  const conversations = await deps.conversations.getMany(conversationIds);
  const audience = new Set([...friends, ...conversations.flatMap((c) => c.memberIds)]);
  audience.delete(userId);
  for (const blocked of await deps.relationships.blockedEitherWay(userId, [...audience]))
    audience.delete(blocked);
  return audience;
}
