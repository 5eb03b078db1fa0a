import type { ConnectionStore } from '../../ports/connection-store';
import type { ConversationStore } from '../../ports/conversation-store';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { MessageLog } from '../../ports/message-log';
import type { Notifier } from '../../ports/notifier';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { RelationshipStore } from '../../ports/relationship-store';
import { inOrder, isDirectConversationId, refuseClosedDirect, requireMembership } from '../access';
import { type PostReport, postAll } from '../push/post-all';

export interface RelayTypingDeps {
  readonly conversations: ConversationStore;
  readonly relationships: RelationshipStore;
  readonly messages: Pick<MessageLog, 'heads'>;
  readonly connections: ConnectionStore;
  readonly notifier: Notifier;
  /** Where the `offline` push of a user whose last connection is found gone is queued. */
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * Relays "typing" to the other members' open connections, straight away and
 * never stored (no queue, no table item).
 * 1. Check membership and blocks; count it against the typing allowance.
 * 2. Post to the other members' connections (not the typist's own devices), but in a group never to a
 *    member the typist blocked or who blocked the typist: to them the typist is no one. One Query of the
 *    typist's own blocks (both directions live there), almost always empty, whatever the group's size.
 */
export function relayTyping(deps: RelayTypingDeps) {
  return async (
    caller: { userId: string; correlationId: string },
    conversationId: string,
    state: 'start' | 'stop',
  ): Promise<PostReport> => {
    // The checks and the reads go at once: one round trip where there were four. Whatever the reads
    // found is dropped when a check fails, first in this order (a non-member learns nothing more).
    const [, conversation, blocked] = await Promise.all([
      inOrder([
        requireMembership(deps.conversations, conversationId, caller.userId),
        deps.rateLimiter.consume(caller.userId, 'typing', deps.clock()),
        refuseClosedDirect(deps, conversationId),
      ]),
      deps.conversations.get(conversationId),
      // A closed direct conversation was refused above, and an open one has no block on it.
      isDirectConversationId(conversationId)
        ? new Set<string>()
        : deps.relationships.blockedEitherWayOf(caller.userId),
    ]);
    const others = (conversation?.memberIds ?? []).filter((id) => id !== caller.userId && !blocked.has(id));
    const targets = await deps.connections.listByUsers(others, deps.clock());
    return postAll(
      deps,
      targets,
      { type: 'typing', conversationId, userId: caller.userId, state },
      caller.correlationId,
    );
  };
}
