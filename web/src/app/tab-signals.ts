import { isMuted } from './chat-list';

/** What the tab's title and icon count of a conversation. */
export interface CountedConversation {
  readonly unread: number;
  readonly markedUnread?: boolean;
  readonly mutedUntil?: string;
}

/**
 * The unread messages the tab shows, as WhatsApp Web's title does: every conversation's, but a muted one's
 * (its badge in the list still counts them); a chat marked unread counts one.
 */
export function unreadTotal(conversations: readonly CountedConversation[], now = Date.now()): number {
  let total = 0;
  for (const c of conversations) {
    if (isMuted(c, now)) continue;
    total += c.unread > 0 ? c.unread : c.markedUnread ? 1 : 0;
  }
  return total;
}

/** "(3) Parley", or "Parley" with nothing unread. */
export function tabTitle(total: number): string {
  return total > 0 ? `(${total > 99 ? '99+' : total}) Parley` : 'Parley';
}

const ACCENT = '#2f5fd0';
const BADGE = '#d92d20';

/**
 * The tab's icon as an SVG data URL (the Content-Security-Policy allows `data:` images): a speech bubble
 * on the accent, and with something unread a red dot with the count, as a phone's app icon has.
 */
export function faviconHref(total: number): string {
  const label = total > 9 ? '9+' : String(total);
  const badge =
    total > 0
      ? `<circle cx="23" cy="9" r="9" fill="${BADGE}" stroke="#fff" stroke-width="1.5"/>` +
        `<text x="23" y="13" font-family="Arial,sans-serif" font-size="${label.length > 1 ? 10 : 12}" font-weight="700" fill="#fff" text-anchor="middle">${label}</text>`
      : '';
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
    `<rect x="1" y="3" width="28" height="28" rx="7" fill="${ACCENT}"/>` +
    `<path d="M8 11.5h14a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2h-8l-4 3.5v-3.5H8a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2z" fill="#fff"/>` +
    badge +
    `</svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/** Puts the count in the tab's title and icon. */
export function showInTab(total: number, doc: Document = document): void {
  const title = tabTitle(total);
  if (doc.title !== title) doc.title = title;
  let icon = doc.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!icon) {
    icon = doc.createElement('link');
    icon.rel = 'icon';
    doc.head.append(icon);
  }
  const href = faviconHref(total);
  if (icon.getAttribute('href') !== href) {
    icon.type = 'image/svg+xml';
    icon.setAttribute('href', href);
  }
}
