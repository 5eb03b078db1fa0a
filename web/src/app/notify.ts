/**
 * System notifications while Parley is open in a tab that is not in view. What this browser chose is kept
 * in `localStorage` (it is about this browser, as the permission is). The permission is asked only when the
 * person turns notifications on, never at start.
 *
 * A notification never holds a message's words: it says who wrote, or, with the private setting, only that
 * something came, as a push from the server will (the server never has the words).
 */

export const NOTIFICATIONS_KEY = 'parley.notifications';

/** `name`: who wrote it ("Bob", "Trip: Bob"); `none`: only "New message". */
export type NotificationPreview = 'name' | 'none';

export interface NotificationSettings {
  readonly enabled: boolean;
  readonly preview: NotificationPreview;
}

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = { enabled: false, preview: 'name' };

export function readNotificationSettings(
  storage: Pick<Storage, 'getItem'> = localStorage,
): NotificationSettings {
  try {
    const stored = JSON.parse(
      storage.getItem(NOTIFICATIONS_KEY) ?? 'null',
    ) as Partial<NotificationSettings> | null;
    return {
      enabled: stored?.enabled === true,
      preview: stored?.preview === 'none' ? 'none' : 'name',
    };
  } catch {
    return DEFAULT_NOTIFICATION_SETTINGS;
  }
}

export function saveNotificationSettings(
  settings: NotificationSettings,
  storage: Pick<Storage, 'setItem'> = localStorage,
): void {
  storage.setItem(NOTIFICATIONS_KEY, JSON.stringify(settings));
}

/** What one conversation's notification says: one per conversation, replaced as more come. */
export function notificationText(
  conversation: { readonly title: string; readonly unread: number },
  preview: NotificationPreview,
): { title: string; body: string } {
  const count = Math.max(1, conversation.unread);
  const body = count === 1 ? 'New message' : `${count > 99 ? '99+' : count} new messages`;
  return preview === 'none' ? { title: 'Parley', body } : { title: conversation.title, body };
}

/**
 * What a person has just been sent, per conversation: those whose unread count went up since the last look,
 * a conversation new since then included (someone wrote to me first). The caller takes its first look
 * without notifying: what was unread at start is not news.
 */
export function arrivals(
  before: ReadonlyMap<string, number>,
  now: ReadonlyArray<{ readonly conversationId: string; readonly unread: number }>,
): string[] {
  return now.filter((c) => c.unread > (before.get(c.conversationId) ?? 0)).map((c) => c.conversationId);
}
