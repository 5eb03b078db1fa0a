import { describe, expect, it } from 'vitest';
import { applySettings, chatListOf, isMuted, type ListedConversation, matchesSearch } from './chat-list';

const at = (minute: number) => `2025-03-01T12:${String(minute).padStart(2, '0')}:00.000Z`;

describe('chat list', () => {
  it('puts pinned conversations on top, keeps archived ones out of the main list but not out of a search', () => {
    const conversations = [
      { conversationId: 'a', lastActivityAt: at(5) },
      { conversationId: 'b', lastActivityAt: at(4), pinned: true },
      { conversationId: 'c', lastActivityAt: at(3), archived: true },
      { conversationId: 'd', lastActivityAt: at(2), pinned: true },
    ];

    const main = chatListOf(conversations, { view: 'main', matches: () => true });
    const archive = chatListOf(conversations, { view: 'archived', matches: () => true });
    const search = chatListOf(conversations, { view: 'all', matches: (c) => c.conversationId !== 'a' });

    expect(main.rows.map((c) => c.conversationId)).toEqual(['b', 'd', 'a']);
    expect(main.archivedCount).toBe(1);
    expect(archive.rows.map((c) => c.conversationId)).toEqual(['c']);
    expect(search.rows.map((c) => c.conversationId)).toEqual(['b', 'd', 'c']);
  });

  it('matches every word of a search in any case and without accents', () => {
    expect(matchesSearch('Zoë Müller', 'zoe mul')).toBe(true);
    expect(matchesSearch('Climbing trip', 'TRIP')).toBe(true);
    expect(matchesSearch('Climbing trip', 'trip bob')).toBe(false);
    expect(matchesSearch('Anything', '  ')).toBe(true);
  });

  it('takes settings in, unsetting what the server no longer names', () => {
    const conversation: ListedConversation = {
      conversationId: 'a',
      lastActivityAt: at(1),
      pinned: true,
      markedUnread: true,
    };

    applySettings(conversation, {
      conversationId: 'a',
      pinned: false,
      archived: true,
      mutedUntil: at(30),
      markedUnread: false,
    });

    expect(conversation).toEqual({
      conversationId: 'a',
      lastActivityAt: at(1),
      pinned: undefined,
      archived: true,
      mutedUntil: at(30),
      markedUnread: undefined,
    });
    expect(isMuted(conversation, Date.parse(at(29)))).toBe(true);
    expect(isMuted(conversation, Date.parse(at(31)))).toBe(false);
  });
});
