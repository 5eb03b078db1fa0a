import { createHash } from 'node:crypto';

/**
 * The Web Push `Topic` (RFC 8030 §5.4) of a conversation's pushes: a push service holding an undelivered
 * push with the same topic replaces it, so a device that was offline gets one per conversation. At most
 * 32 URL-safe base64 characters, so a hash of the id: 24 bytes of SHA-256.
 */
export function pushTopicOf(conversationId: string): string {
  return createHash('sha256').update(conversationId).digest().subarray(0, 24).toString('base64url');
}
