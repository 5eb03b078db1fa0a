import { describe, expect, it } from 'vitest';
import type { ConversationEvent } from '../../../shared/protocol/resources';
import type { MessageView } from './history';
import { dayLabel, timeline, unreadableText } from './timeline';

const now = new Date(2026, 11, 4, 15, 0);
const at = (day: number, hour: number, minute = 0) => new Date(2026, 11, day, hour, minute).toISOString();
let seq = 0;
const message = (senderId: string, sentAt: string, extra: Partial<MessageView> = {}): MessageView => ({
  seq: ++seq,
  messageId: `m${seq}`,
  senderId,
  sentAt,
  text: 'x',
  reactions: {},
  ...extra,
});

describe('the message list over time', () => {
  it('names the day above its first message, in words near today', () => {
    expect(dayLabel(new Date(2026, 11, 4, 9), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 11, 3, 23), now)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 10, 30, 9), now)).toBe(
      new Date(2026, 10, 30).toLocaleDateString([], { weekday: 'long' }),
    );
    expect(dayLabel(new Date(2026, 10, 20), now)).not.toMatch(/2026/);
    expect(dayLabel(new Date(2025, 10, 20), now)).toMatch(/2025/);
  });

  it('puts a day line where the day changes, and only there', () => {
    const entries = timeline(
      [
        message('a', at(3, 10)),
        message('a', at(3, 23, 58)),
        message('b', at(4, 0, 1)),
        message('b', at(4, 9)),
      ],
      { now },
    );
    expect(entries.map((e) => (e.kind === 'day' ? e.label : e.kind))).toEqual([
      'Yesterday',
      'message',
      'message',
      'Today',
      'message',
      'message',
    ]);
  });

  it('groups one sender within five minutes into a run, and breaks it on another sender, a gap or a new day', () => {
    const entries = timeline(
      [
        message('a', at(4, 10, 0)),
        message('a', at(4, 10, 4)),
        message('b', at(4, 10, 5)),
        message('b', at(4, 10, 20)),
        message('b', at(4, 10, 21)),
      ],
      { now },
    ).filter((e) => e.kind === 'message');
    expect(entries.map((e) => [e.first, e.last])).toEqual([
      [true, false],
      [false, true],
      [true, true],
      [true, false],
      [false, true],
    ]);
  });

  it('puts the unread line before the first unread message, and starts a run there', () => {
    const messages = [message('a', at(4, 10, 0)), message('a', at(4, 10, 1)), message('a', at(4, 10, 2))];
    const entries = timeline(messages, { now, unreadFrom: messages[1]?.seq, unreadCount: 2 });
    expect(entries.map((e) => e.kind)).toEqual(['day', 'message', 'unread', 'message', 'message']);
    expect(entries[2]).toMatchObject({ count: 2 });
    expect(entries[3]).toMatchObject({ first: true });
    expect(entries[1]).toMatchObject({ last: true });
  });

  it('folds each run of unreadable messages with one reason into one line with a count, outside any run', () => {
    const entries = timeline(
      [
        message('a', at(4, 10)),
        message('a', '', { undecryptable: 'before-join' }),
        message('a', '', { undecryptable: 'before-join' }),
        message('a', '', { undecryptable: 'not-member' }),
        message('a', '', { undecryptable: 'rejected' }),
        message('a', at(4, 10, 1)),
      ],
      { now },
    );
    expect(
      entries.map((e) =>
        e.kind === 'unreadable'
          ? `${e.reason}×${e.count}`
          : e.kind === 'message'
            ? `first:${e.first}`
            : e.kind,
      ),
    ).toEqual(['day', 'first:true', 'before-join×2', 'not-member×1', 'rejected×1', 'first:true']);
    expect(entries[1]).toMatchObject({ last: true });
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

  it('shows a group event as a line of its own in its place, ending a run, under the day it happened', () => {
    const added = { type: 'members_added', actorId: 'a', userIds: ['c'] } satisfies ConversationEvent;
    const entries = timeline(
      [
        message('a', at(3, 10, 0)),
        message('a', at(4, 10, 0), { text: '', event: added }),
        message('b', at(4, 10, 1)),
        message('b', at(4, 10, 2), {
          text: '',
          event: { type: 'member_left', actorId: 'b', userIds: ['b'] },
        }),
        message('b', at(4, 10, 3)),
      ],
      { now },
    );
    expect(entries.map((e) => (e.kind === 'message' ? [e.kind, e.first, e.last] : e.kind))).toEqual([
      'day',
      ['message', true, true],
      'day',
      'event',
      ['message', true, true],
      'event',
      ['message', true, true],
    ]);
    expect(entries[3]).toMatchObject({ kind: 'event', event: added });
  });
});
