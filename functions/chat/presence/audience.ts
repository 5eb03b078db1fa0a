import type { ConversationStore } from '../../ports/conversation-store';
import type { RelationshipStore } from '../../ports/relationship-store';

/**
 * Who may see a user's presence: their friends and the members of their
 * conversations, never anyone blocked either way.
 */
export async function presenceAudience(
  deps: {
    relationships: Pick<RelationshipStore, 'listFriendIds' | 'blockedEitherWay'>;
    conversations: Pick<ConversationStore, 'listMembershipsOf' | 'getMany'>;
  },
  userId: string,
): Promise<Set<string>> {
  const [friends, memberships] = await Promise.all([
    deps.relationships.listFriendIds(userId),
    deps.conversations.listMembershipsOf(userId),
  ]);
  const conversations = await deps.conversations.getMany(memberships.map((m) => m.conversationId));
  const audience = new Set([...friends, ...conversations.flatMap((c) => c.memberIds)]);
  audience.delete(userId);
  for (const blocked of await deps.relationships.blockedEitherWay(userId, [...audience]))
    audience.delete(blocked);
  return audience;
}
