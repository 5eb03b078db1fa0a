import { describe, expect, it } from 'vitest';
import { MessageEnvelopeSchema, PublicProfileSchema } from '../../shared/protocol/resources';
import type { StoredMessage } from '../ports/message-log';
import { envelope, iso, profilesById, publicProfile, unknownProfile } from './views';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const alice = {
  userId: 'alice',
  username: 'alice',
  displayName: 'Alice',
  email: 'alice@example.com',
  createdAt: T0,
};

describe('views', () => {
  it('writes times as ISO 8601 in UTC', () => {
    expect(iso(T0 + 1)).toBe('2025-03-01T12:00:00.001Z');
  });

  it('never shows the email in a public profile', () => {
    expect(publicProfile(alice)).toEqual({ userId: 'alice', username: 'alice', displayName: 'Alice' });
  });

  it('stands in a valid placeholder for a user without a profile', () => {
    const byId = profilesById([alice]);

    expect(byId('alice')).toEqual(publicProfile(alice));
    expect(byId('ghost')).toEqual(unknownProfile('ghost'));
    expect(PublicProfileSchema.safeParse(byId('ghost')).success).toBe(true);
  });

  const stored: StoredMessage = {
    conversationId: 'g_1',
    seq: 3,
    messageId: 'm3',
    senderId: 'alice',
    sentAt: T0,
    kind: 'reply',
    refSeq: 1,
    body: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
    contentCount: 3,
  };

  it('shows a message with its body in base64 and its reference', () => {
    const shown = envelope(stored);

    expect(shown).toEqual({
      conversationId: 'g_1',
      seq: 3,
      messageId: 'm3',
      senderId: 'alice',
      sentAt: '2025-03-01T12:00:00.000Z',
      kind: 'reply',
      refSeq: 1,
      body: '3q2+7w==',
    });
    expect(MessageEnvelopeSchema.safeParse(shown).success).toBe(true);
  });

  it('shows a deleted message without a body, even one still stored', () => {
    const shown = envelope({ ...stored, deletedAt: T0 + 60_000 });

    expect(shown).not.toHaveProperty('body');
    expect(shown.deletedAt).toBe('2025-03-01T12:01:00.000Z');
  });

  it('leaves out a reference the message does not have', () => {
    const { refSeq: _refSeq, ...plain } = stored;

    expect(envelope({ ...plain, kind: 'message' })).not.toHaveProperty('refSeq');
  });
});
