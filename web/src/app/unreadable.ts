import type { UndecryptableReason } from '../../../shared/e2ee/e2ee-client';
import type { MessageView } from './history';

/** One row of a conversation on screen: a message, or a run of messages this browser cannot show. */
export type TimelineRow =
  | { readonly kind: 'message'; readonly message: MessageView }
  | {
      readonly kind: 'unreadable';
      /** The first seq of the run: a stable key. */
      readonly seq: number;
      readonly reason: UndecryptableReason;
      readonly count: number;
    };

/**
 * The messages as rows, each run of consecutive unreadable messages with the same reason folded into one
 * row with a count: ten messages sent while I was out of a group are one line, not ten.
 *
 * @example
 * timeline(messages); // [{ kind: 'unreadable', reason: 'not-member', count: 2, seq: 7 }, { kind: 'message', … }]
 */
export function timeline(messages: readonly MessageView[]): TimelineRow[] {
  const rows: TimelineRow[] = [];
  for (const message of messages) {
    const reason = message.undecryptable;
    if (reason === undefined) {
      rows.push({ kind: 'message', message });
      continue;
    }
    const last = rows.at(-1);
    if (last?.kind === 'unreadable' && last.reason === reason) {
      rows[rows.length - 1] = { ...last, count: last.count + 1 };
    } else {
      rows.push({ kind: 'unreadable', seq: message.seq, reason, count: 1 });
    }
  }
  return rows;
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
