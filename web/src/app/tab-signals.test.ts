import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { faviconHref, tabTitle, unreadTotal } from './tab-signals';

const NOW = Date.parse('2026-12-05T10:00:00.000Z');

describe('the tab: unread count in its title and icon', () => {
  it('counts every unread message but a muted chat’s, and a chat marked unread as one', () => {
    expect(
      unreadTotal(
        [
          { unread: 2 },
          { unread: 5, mutedUntil: '2026-12-05T11:00:00.000Z' },
          // Muted until a time gone by: counted again.
          { unread: 1, mutedUntil: '2026-12-05T09:00:00.000Z' },
          { unread: 0, markedUnread: true },
          { unread: 0 },
        ],
        NOW,
      ),
    ).toBe(4);
    expect(unreadTotal([], NOW)).toBe(0);
  });

  it('puts the count before the name, and nothing when all is read', () => {
    expect(tabTitle(0)).toBe('Parley');
    expect(tabTitle(3)).toBe('(3) Parley');
    expect(tabTitle(250)).toBe('(99+) Parley');
  });

  it('draws a red dot with the count on the icon only when something is unread', () => {
    const svg = (total: number) => decodeURIComponent(faviconHref(total).replace('data:image/svg+xml,', ''));
    expect(faviconHref(0)).toMatch(/^data:image\/svg\+xml,/);
    expect(svg(0)).not.toContain('<circle');
    expect(svg(3)).toContain('<circle');
    expect(svg(3)).toContain('>3</text>');
    expect(svg(12)).toContain('>9+</text>');
  });

  it('gives the page the same icon before the app starts, so no tab is blank', () => {
    const html = readFileSync(new URL('../../index.html', import.meta.url), 'utf8');
    expect(html).toContain(`<link rel="icon" type="image/svg+xml" href="${faviconHref(0)}" />`);
  });
});
