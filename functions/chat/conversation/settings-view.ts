import type { ConversationSettings } from '../../../shared/protocol/resources';
import type { Membership } from '../../ports/conversation-store';
import { iso } from '../views';

/**
 * A member's own settings of a conversation as they go on the wire. A mute whose time has passed is no
 * mute: it is left out rather than sent as a time in the past.
 */
export function settingsOf(membership: Membership, pinned: boolean, now: number): ConversationSettings {
  return {
    conversationId: membership.conversationId,
    pinned,
    archived: membership.archived === true,
    ...(membership.mutedUntil !== undefined && membership.mutedUntil > now
      ? { mutedUntil: iso(membership.mutedUntil) }
      : {}),
    markedUnread: membership.markedUnread === true,
  };
}

/** The same settings as fields of a summary: each present only when set. */
export function settingsFields(membership: Membership, pinned: boolean, now: number) {
  const { pinned: isPinned, archived, mutedUntil, markedUnread } = settingsOf(membership, pinned, now);
  return {
    ...(isPinned ? { pinned: true } : {}),
    ...(archived ? { archived: true } : {}),
    ...(mutedUntil !== undefined ? { mutedUntil } : {}),
    ...(markedUnread ? { markedUnread: true } : {}),
  };
}
