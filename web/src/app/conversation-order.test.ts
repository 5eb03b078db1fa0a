import { describe, expect, it } from 'vitest';
import { newestFirst } from './conversation-order';

const at = (conversationId: string, minute: number) => ({
  conversationId,
  lastActivityAt: new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString(),
});

describe('newestFirst', () => {
  it('orders pages that came in id order newest activity first across pages', () => {
    // Two pages as the server sends them: by id across pages, newest first within each.
    const pages = [
      [at('d_b', 30), at('d_a', 5)],
      [at('g_c', 45), at('g_d', 1)],
    ];

    expect(newestFirst(pages.flat()).map((c) => c.conversationId)).toEqual(['g_c', 'd_b', 'd_a', 'g_d']);
  });

  it('breaks ties by id, so the order stays put between reloads', () => {
    expect(newestFirst([at('g_b', 1), at('g_a', 1)]).map((c) => c.conversationId)).toEqual(['g_a', 'g_b']);
  });
});
