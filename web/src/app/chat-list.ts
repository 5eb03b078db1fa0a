import type { ConversationSettings } from '../../../shared/protocol/resources';

/** What the chat list reads of a conversation. */
export interface ListedConversation {
  readonly conversationId: string;
  readonly lastActivityAt: string;
  pinned?: boolean;
  archived?: boolean;
  mutedUntil?: string;
  markedUnread?: boolean;
}

/** The settings a conversation has when the server names none: each one unset. */
export const UNSET_SETTINGS = {
  pinned: undefined,
  archived: undefined,
  mutedUntil: undefined,
  markedUnread: undefined,
} as const;

/**
 * Takes a member's settings as the server sent them (an answer or a `settings` push) into a listed
 * conversation, leaving unset ones absent as the list from the server does.
 *
 * @example
 * applySettings(conversation, { conversationId, pinned: true, archived: false, markedUnread: false });
 */
export function applySettings(conversation: ListedConversation, settings: ConversationSettings): void {
  Object.assign(conversation, UNSET_SETTINGS, {
    ...(settings.pinned ? { pinned: true } : {}),
    ...(settings.archived ? { archived: true } : {}),
    ...(settings.mutedUntil !== undefined ? { mutedUntil: settings.mutedUntil } : {}),
    ...(settings.markedUnread ? { markedUnread: true } : {}),
  });
}

/** Whether the conversation is muted at `now` (epoch ms). */
export function isMuted(conversation: Pick<ListedConversation, 'mutedUntil'>, now = Date.now()): boolean {
  return conversation.mutedUntil !== undefined && Date.parse(conversation.mutedUntil) > now;
}

/** Whether a title matches what was typed in the list's search: every word, in any case and accent. */
export function matchesSearch(title: string, query: string): boolean {
  const fold = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase();
  const haystack = fold(title);
  return fold(query)
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word));
}

/**
 * The rows of the chat list, from conversations already sorted newest first: the pinned ones on top
 * (newest first among themselves), then the rest. The main list leaves archived ones out (the archive
 * shows only them, and `archivedCount` says how many for its entry); a search (`all`) looks through both.
 *
 * @example
 * const { rows, archivedCount } = chatListOf(state.conversations, { view: 'main', matches: () => true });
 */
export function chatListOf<T extends ListedConversation>(
  conversations: readonly T[],
  options: { readonly view: 'main' | 'archived' | 'all'; readonly matches: (conversation: T) => boolean },
): { rows: T[]; archivedCount: number } {
  const archivedCount = conversations.filter((c) => c.archived).length;
  const inView = (c: T) => options.view === 'all' || (c.archived === true) === (options.view === 'archived');
  const shown = conversations.filter((c) => inView(c) && options.matches(c));
  return {
    rows: [...shown.filter((c) => c.pinned), ...shown.filter((c) => !c.pinned)],
    archivedCount,
  };
}
