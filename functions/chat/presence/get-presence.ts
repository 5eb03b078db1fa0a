import type { Presence } from '../../../shared/protocol/resources';
import type { ConnectionStore } from '../../ports/connection-store';
import type { ConversationStore } from '../../ports/conversation-store';
import type { RelationshipStore } from '../../ports/relationship-store';
import { iso } from '../views';
import { presenceAudience } from './audience';

/**
 * Presence of the asked users the caller may see (friends and co-members, not
 * blocked either way, and the caller themself); the rest are left out.
 */
export function getPresence(deps: {
  connections: ConnectionStore;
  conversations: ConversationStore;
  relationships: RelationshipStore;
  clock: () => number;
}) {
  return async (caller: { userId: string }, userIds: readonly string[]): Promise<Presence[]> => {
    // Visibility is symmetric: those who may see the caller are those the caller may see.
    const visible = await presenceAudience(deps, caller.userId);
    visible.add(caller.userId);
    const asked = [...new Set(userIds)].filter((id) => visible.has(id));
    const states = await deps.connections.presenceOf(asked, deps.clock());
    return asked.map((userId) => {
      const state = states.get(userId);
      return {
        userId,
        online: (state?.openConnections ?? 0) > 0,
        ...(state?.lastSeenAt !== undefined && (state.openConnections ?? 0) === 0
          ? { lastSeenAt: iso(state.lastSeenAt) }
          : {}),
      };
    });
  };
}
