import type { UndecryptableReason } from '../../../shared/e2ee/e2ee-client';
import type { ConversationEvent } from '../../../shared/protocol/resources';
import type { MessageView } from './history';

/** Consecutive messages of one person closer together than this are one run: one name, one tail. */
export const RUN_GAP_IN_MS = 5 * 60 * 1000;

/** What the message list shows, top to bottom: day separators, the unread line, group events and messages. */
export type TimelineEntry =
  /** A change of the group (added, removed, left, renamed, a new admin): a line of its own, not a message. */
  | {
      readonly kind: 'event';
      readonly key: string;
      readonly seq: number;
      readonly sentAt: string;
      readonly event: ConversationEvent;
    }
  | { readonly kind: 'day'; readonly key: string; readonly label: string }
  | { readonly kind: 'unread'; readonly key: string; readonly count: number }
  /** A run of messages this browser cannot show, for one reason: ten sent while I was out are one line. */
  | {
      readonly kind: 'unreadable';
      readonly key: string;
      /** The run's first `seq`. */
      readonly seq: number;
      readonly reason: UndecryptableReason;
      readonly count: number;
    }
  | {
      readonly kind: 'message';
      readonly key: string;
      readonly message: MessageView;
      /** The first of a run of one sender's messages (the name and the tail go there). */
      readonly first: boolean;
      /** The last of such a run (the gap to the next message is wider). */
      readonly last: boolean;
    };

/**
 * The entries for `messages`: a day line where the day changes, in the viewer's time zone; an unread line
 * before `unreadFrom` (the first message after the person's read mark when they opened the chat), and runs
 * of one sender's messages on one day within five minutes of each other. A group event is a line of its own
 * in its place: it ends a run, and the messages after it start a new one.
 */
export function timeline(
  messages: readonly MessageView[],
  options: { readonly now: Date; readonly unreadFrom?: number; readonly unreadCount?: number },
): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  let day = '';
  let previous: MessageView | undefined;
  /** Where the previous message's entry is. */
  let previousAt = -1;
  for (const message of messages) {
    const reason = message.undecryptable;
    if (reason !== undefined) {
      const last = entries.at(-1);
      if (last?.kind === 'unreadable' && last.reason === reason) {
        entries[entries.length - 1] = { ...last, count: last.count + 1 };
      } else {
        endRun(entries, previousAt);
        entries.push({ kind: 'unreadable', key: `u-${message.seq}`, seq: message.seq, reason, count: 1 });
      }
      previous = undefined;
      continue;
    }
    const at = message.sentAt ? new Date(message.sentAt) : undefined;
    const today = at ? at.toDateString() : day;
    let breaks = false;
    if (at && today !== day) {
      entries.push({ kind: 'day', key: `day-${today}`, label: dayLabel(at, options.now) });
      day = today;
      breaks = true;
    }
    if (options.unreadFrom !== undefined && message.seq === options.unreadFrom) {
      entries.push({ kind: 'unread', key: 'unread', count: options.unreadCount ?? 0 });
      breaks = true;
    }
    if (message.event) {
      endRun(entries, previousAt);
      entries.push({
        kind: 'event',
        key: `e-${message.seq}`,
        seq: message.seq,
        sentAt: message.sentAt,
        event: message.event,
      });
      previous = undefined;
      continue;
    }
    const joins =
      !breaks &&
      previous !== undefined &&
      previous.senderId === message.senderId &&
      at !== undefined &&
      at.getTime() - new Date(previous.sentAt).getTime() < RUN_GAP_IN_MS;
    if (!joins) endRun(entries, previousAt);
    previousAt =
      entries.push({ kind: 'message', key: `m-${message.seq}`, message, first: !joins, last: false }) - 1;
    previous = message;
  }
  endRun(entries, previousAt);
  return entries;
}

function endRun(entries: TimelineEntry[], at: number): void {
  const entry = entries[at];
  if (entry?.kind === 'message') entries[at] = { ...entry, last: true };
}

/** "Today", "Yesterday", a weekday within the past week, else the date (with the year when not this one). */
export function dayLabel(date: Date, now: Date): string {
  const days = Math.round((startOfDay(now) - startOfDay(date)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return date.toLocaleDateString([], { weekday: 'long' });
  return date.toLocaleDateString([], {
    weekday: 'short',
    day: 'numeric',
    month: 'long',
    ...(date.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }),
  });
}

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** The full date and time, for a message's time on hover. */
export function fullDateTime(iso: string): string {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: 'full', timeStyle: 'short' }) : '';
}

/** A message's time: the clock time, whatever the day (the day line says which day). */
export function clockTime(iso: string): string {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
}

/** What a person reads for a run of `count` messages this browser cannot show, and why. */
export function unreadableText(reason: UndecryptableReason, count: number): string {
  const messages = count === 1 ? '1 message' : `${count} messages`;
  switch (reason) {
    case 'not-member':
      return `${messages} sent while you were not in the group ${count === 1 ? 'is' : 'are'} not shown here.`;
    case 'before-join':
      return `${messages} sent before this browser joined the conversation cannot be read here.`;
    default:
      return count === 1 ? 'A message could not be decrypted.' : `${count} messages could not be decrypted.`;
  }
}
