import { createHash } from 'node:crypto';
import { NotFoundError, ValidationError } from '../../errors';
import type { Conversation, ConversationStore } from '../../ports/conversation-store';
import type { UserRegistry } from '../../ports/user-directory';

/**
 * The id of the direct conversation between two users: the same whoever asks,
 * so it can be created on first use without a lookup.
 *
 * @example
 * directConversationId(alice, bob) === directConversationId(bob, alice) // true
 */
export function directConversationId(userA: string, userB: string): string {
  const [first, second] = [userA, userB].sort();
  const digest = createHash('sha256').update(`${first}\n${second}`).digest('base64url');
  return `d_${digest.slice(0, 32)}`;
}

export interface OpenDirectDeps {
  readonly conversations: ConversationStore;
  readonly users: UserRegistry;
  readonly clock: () => number;
}

/**
 * Returns the direct conversation of two users, creating it on first use.
 * 1. Refuse a conversation with oneself and with an unknown user.
 * 2. Create the conversation and both memberships (a repeat is a no-op).
 */
export function openDirectConversation(deps: OpenDirectDeps) {
  return async (command: { userId: string; peerId: string }): Promise<Conversation> => {
    if (command.userId === command.peerId) throw new ValidationError('recipientId must be another user');
    const peer = await deps.users.get(command.peerId);
    if (!peer) throw new NotFoundError('No such recipient');
    return deps.conversations.createIfAbsent({
      conversationId: directConversationId(command.userId, command.peerId),
      kind: 'direct',
      memberIds: [command.userId, command.peerId].sort(),
      createdAt: deps.clock(),
    });
  };
}
