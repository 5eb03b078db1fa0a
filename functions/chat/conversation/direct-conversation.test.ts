import { describe, expect, it } from 'vitest';
import { ConversationIdSchema } from '../../../shared/protocol/ids';
import { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import { InMemoryUserRegistry } from '../../adapters/memory/memory-user-registry';
import { NotFoundError, ValidationError } from '../../errors';
import { directConversationId, openDirectConversation } from './direct-conversation';

const alice = '0b1e7a52-3c1d-4a8e-9f00-6d5c2a1b9e01';
const bob = '7f3c9d10-8e2b-4c61-a7d4-2b9e5f0c1a22';
const carol = 'c4a1e8f2-5b3d-4e70-8c19-9a6f2d7e3b44';

describe('directConversationId', () => {
  it('is the same whichever of the two users asks', () => {
    expect(directConversationId(alice, bob)).toBe(directConversationId(bob, alice));
  });

  it('is stable across calls', () => {
    expect(directConversationId(alice, bob)).toBe(directConversationId(alice, bob));
  });

  it('differs for every other pair of users', () => {
    const ids = new Set([
      directConversationId(alice, bob),
      directConversationId(alice, carol),
      directConversationId(bob, carol),
      // No pair can collide by shifting characters across the boundary.
      directConversationId('ab', 'c'),
      directConversationId('a', 'bc'),
    ]);

    expect(ids.size).toBe(5);
  });

  it('is a valid conversation id on the wire', () => {
    for (const [a, b] of [
      [alice, bob],
      [bob, carol],
      ['a', 'b'],
      ['x'.repeat(128), 'y'.repeat(128)],
    ] as const) {
      expect(ConversationIdSchema.safeParse(directConversationId(a, b)).success).toBe(true);
    }
  });
});

describe('openDirectConversation', () => {
  const T0 = Date.parse('2025-03-01T12:00:00.000Z');

  async function setup() {
    const conversations = new InMemoryConversationStore();
    const users = new InMemoryUserRegistry();
    for (const user of [alice, bob]) await users.touch(user, T0);
    let now = T0;
    const openDirect = openDirectConversation({ conversations, users, clock: () => now });
    return { conversations, openDirect, later: () => (now += 1000) };
  }

  it('creates the conversation on first use with both users as members', async () => {
    const { conversations, openDirect } = await setup();

    const conversation = await openDirect({ userId: alice, peerId: bob });

    expect(conversation).toEqual({
      conversationId: directConversationId(alice, bob),
      kind: 'direct',
      memberIds: [alice, bob].sort(),
      createdAt: T0,
    });
    expect(await conversations.isMember(conversation.conversationId, alice)).toBe(true);
    expect(await conversations.isMember(conversation.conversationId, bob)).toBe(true);
  });

  it('returns the existing conversation when the other user opens it later', async () => {
    const { conversations, openDirect, later } = await setup();
    const first = await openDirect({ userId: alice, peerId: bob });
    later();

    const again = await openDirect({ userId: bob, peerId: alice });

    expect(again).toEqual(first);
    expect(conversations.size).toBe(1);
  });

  it('refuses a conversation with oneself', async () => {
    const { openDirect } = await setup();

    await expect(openDirect({ userId: alice, peerId: alice })).rejects.toThrow(ValidationError);
  });

  it('refuses a conversation with a user Parley has never seen', async () => {
    const { conversations, openDirect } = await setup();

    await expect(openDirect({ userId: alice, peerId: carol })).rejects.toThrow(NotFoundError);
    expect(conversations.size).toBe(0);
  });
});
