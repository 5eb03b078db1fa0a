import { beforeEach, describe, expect, it } from 'vitest';
import { befriend, memoryDeps, requestFriendship, seedConversation } from '../../../test/support/fixtures';
import type { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import type { InMemoryRelationshipStore } from '../../adapters/memory/memory-relationship-store';
import { presenceAudience } from './audience';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

describe('presenceAudience', () => {
  let conversations: InMemoryConversationStore;
  let relationships: InMemoryRelationshipStore;

  beforeEach(async () => {
    ({ conversations, relationships } = memoryDeps());
    await befriend(relationships, 'alice', 'bob', T0);
    await requestFriendship(relationships, 'alice', 'dave', T0);
    await group('g_book', ['alice', 'carol', 'erin']);
    await group('g_other', ['frank', 'grace']);
  });

  /** A group created by its first member. */
  const group = (conversationId: string, memberIds: string[]) =>
    seedConversation(conversations, { conversationId, kind: 'group', name: 'G', memberIds, now: T0 });

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
