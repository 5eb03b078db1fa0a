import { describe, expect, it } from 'vitest';
import { noticeOf, parsePushPayload } from './payload';

describe('parsePushPayload', () => {
  it('reads a payload of this version, keeping only the fields it knows', () => {
    expect(
      parsePushPayload({ v: 1, conversationId: 'c1', seq: 3, count: 1, from: 'Alice', text: 'x' }),
    ).toEqual({
      v: 1,
      conversationId: 'c1',
      seq: 3,
      count: 1,
      from: 'Alice',
    });
  });

  it.each([
    ['not an object', 'hello'],
    ['another version', { v: 2, conversationId: 'c1', seq: 1, count: 1 }],
    ['no conversation', { v: 1, seq: 1, count: 1 }],
    ['a seq below 1', { v: 1, conversationId: 'c1', seq: 0, count: 1 }],
    ['a count that is no integer', { v: 1, conversationId: 'c1', seq: 1, count: 1.5 }],
    ['a name that is no text', { v: 1, conversationId: 'c1', seq: 1, count: 1, from: 7 }],
  ])('refuses %s', (_, value) => {
    expect(parsePushPayload(value)).toBeUndefined();
  });
});

describe('noticeOf', () => {
  it('names the sender of a direct message, and counts coalesced messages', () => {
    expect(noticeOf({ v: 1, conversationId: 'c1', seq: 4, count: 1, from: 'Alice' })).toEqual({
      title: 'Alice',
      body: 'New message',
      tag: 'c1',
    });
    expect(noticeOf({ v: 1, conversationId: 'c1', seq: 4, count: 3, from: 'Alice' }).body).toBe(
      '3 new messages',
    );
  });

  it('titles a group message with the group, the sender under it', () => {
    expect(noticeOf({ v: 1, conversationId: 'g', seq: 9, count: 2, from: 'Bob', group: 'Climbing' })).toEqual(
      {
        title: 'Climbing',
        body: '2 new messages from Bob',
        tag: 'g',
      },
    );
  });

  it('says only that a message came when names may not show', () => {
    expect(noticeOf({ v: 1, conversationId: 'c1', seq: 1, count: 1 })).toEqual({
      title: 'Parley',
      body: 'New message',
      tag: 'c1',
    });
  });
});
