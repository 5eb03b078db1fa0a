import { describe, expect, it } from 'vitest';
import type { MessageView } from './history';
import { timeline, unreadableText } from './unreadable';

const message = (seq: number, undecryptable?: MessageView['undecryptable']): MessageView => ({
  seq,
  messageId: `m${seq}`,
  senderId: 'alice',
  sentAt: '',
  text: undecryptable ? '' : `text ${seq}`,
  reactions: {},
  ...(undecryptable ? { undecryptable } : {}),
});

describe('timeline', () => {
  it('folds each run of unreadable messages with one reason into one row with a count', () => {
    const rows = timeline([
      message(1, 'before-join'),
      message(2, 'before-join'),
      message(3),
      message(4, 'not-member'),
      message(5, 'not-member'),
      message(6, 'rejected'),
      message(7),
    ]);
    expect(
      rows.map((r) => (r.kind === 'message' ? r.message.seq : `${r.reason}×${r.count}@${r.seq}`)),
    ).toEqual(['before-join×2@1', 3, 'not-member×2@4', 'rejected×1@6', 7]);
  });

  it('keeps readable messages as they are', () => {
    const messages = [message(1), message(2)];
    expect(timeline(messages)).toEqual(messages.map((m) => ({ kind: 'message', message: m })));
  });
});

describe('unreadableText', () => {
  it('says why, in the singular and the plural', () => {
    expect(unreadableText('not-member', 1)).toBe(
      '1 message sent while you were not in the group is not shown here.',
    );
    expect(unreadableText('not-member', 2)).toBe(
      '2 messages sent while you were not in the group are not shown here.',
    );
    expect(unreadableText('before-join', 3)).toContain('before this browser joined');
    expect(unreadableText('rejected', 1)).toBe('A message could not be decrypted.');
  });
});
