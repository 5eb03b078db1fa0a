import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import { InMemoryRelationshipStore } from '../../adapters/memory/memory-relationship-store';
import { presenceAudience } from './audience';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

describe('presenceAudience', () => {
  let conversations: InMemoryConversationStore;
  let relationships: InMemoryRelationshipStore;

  beforeEach(async () => {
    conversations = new InMemoryConversationStore();
    relationships = new InMemoryRelationshipStore();
    await relationships.putFriendPair(
      { userId: 'alice', otherId: 'bob', state: 'friend', since: T0 },
      { userId: 'bob', otherId: 'alice', state: 'friend', since: T0 },
    );
    await relationships.putFriendPair(
      { userId: 'alice', otherId: 'dave', state: 'outgoing', since: T0 },
      { userId: 'dave', otherId: 'alice', state: 'incoming', since: T0 },
    );
    await group('g_book', ['alice', 'carol', 'erin']);
    await group('g_other', ['frank', 'grace']);
  });

  async function group(conversationId: string, memberIds: string[]) {
    await conversations.createIfAbsent(
      {
        conversationId,
        kind: 'group',
        name: 'G',
        memberIds,
        createdBy: memberIds[0] as string,
        createdAt: T0,
        version: 1,
      },
      memberIds.map((userId) => ({
        conversationId,
        userId,
        role: 'member',
        joinedAt: T0,
        delivered: 0,
        read: 0,
      })),
    );
  }

  const audienceOf = async (userId: string) =>
    [...(await presenceAudience({ conversations, relationships }, userId))].sort();

  it("is the user's friends and the members of their conversations, never the user", async () => {
    expect(await audienceOf('alice')).toEqual(['bob', 'carol', 'erin']);
  });

  it('leaves out users with only a pending request', async () => {
    expect(await audienceOf('dave')).toEqual([]);
  });

  it('leaves out friends and co-members blocked either way', async () => {
    await relationships.block({ userId: 'alice', blockedId: 'carol', since: T0 });
    await relationships.block({ userId: 'bob', blockedId: 'alice', since: T0 });

    expect(await audienceOf('alice')).toEqual(['erin']);
    expect(await audienceOf('carol')).toEqual(['erin']);
  });

  it('forgets the members of a group the user left', async () => {
    await conversations.change('g_book', 1, { remove: ['alice'] });

    expect(await audienceOf('alice')).toEqual(['bob']);
    expect(await audienceOf('carol')).toEqual(['erin']);
  });
});
