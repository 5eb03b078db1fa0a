import { createHash } from 'node:crypto';

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
