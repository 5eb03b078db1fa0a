import type { ChatEvent } from '../../../shared/e2ee/e2ee-client';
import type { ConversationEvent } from '../../../shared/protocol/resources';
import type { MessageView } from './history';

/** How a logged group event is kept in the history: in its place, with no text of its own. */
export function groupEventView(event: Extract<ChatEvent, { kind: 'group-event' }>): MessageView {
  return {
    seq: event.seq,
    messageId: event.messageId,
    senderId: event.senderId,
    sentAt: event.sentAt,
    text: '',
    reactions: {},
    event: event.event,
  };
}

/** Who reads the line, and how everyone else is called. */
export interface Reader {
  readonly me: string;
  readonly nameOf: (userId: string) => string;
}

/**
 * The line a group's change shows in the chat, as the reader reads it ("you" for themself): "Alice added
 * Carol and Dave", "Bob left. Carol is now an admin.", "You renamed the group to “Trip”".
 */
export function groupEventText(event: ConversationEvent, reader: Reader): string {
  const who = (userId: string, start = false) =>
    userId === reader.me ? (start ? 'You' : 'you') : reader.nameOf(userId);
  const actor = who(event.actorId, true);
  const targets = listOf((event.userIds ?? []).map((id) => who(id)));
  const admins = event.admins ?? [];
  const heirs =
    admins.length === 0
      ? ''
      : ` ${capitalize(listOf(admins.map((id) => who(id))))} ${
          admins.length === 1 && admins[0] === reader.me ? 'are' : admins.length === 1 ? 'is' : 'are'
        } now ${admins.length === 1 ? 'an admin' : 'admins'}.`;
  switch (event.type) {
    case 'members_added':
      return `${actor} added ${targets}`;
    case 'member_removed':
      return `${actor} removed ${targets}${heirs ? `.${heirs}` : ''}`;
    case 'member_left':
      return `${actor} left${heirs ? `.${heirs}` : ''}`;
    case 'account_deleted':
      // Their name is gone with their profile: the messages above say "Deleted account".
      return `A member deleted their account${heirs ? `.${heirs}` : ''}`;
    case 'renamed':
      return `${actor} renamed the group to “${event.name ?? ''}”`;
    case 'role_changed': {
      const self = event.userIds?.length === 1 && event.userIds[0] === event.actorId;
      if (event.role === 'admin') return `${actor} made ${targets} ${plural(event) ? 'admins' : 'an admin'}`;
      if (self) return `${actor} ${event.actorId === reader.me ? 'are' : 'is'} no longer an admin`;
      return `${actor} dismissed ${targets} as admin`;
    }
  }
}

function plural(event: ConversationEvent): boolean {
  return (event.userIds?.length ?? 0) > 1;
}

/** "Carol", "Carol and Dave", "Carol, Dave and Erin". */
function listOf(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
