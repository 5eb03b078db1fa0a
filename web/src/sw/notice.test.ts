import { describe, expect, it } from 'vitest';
import { planNotice, readPush, UNREADABLE_TAG } from './notice';

const push = (fields: Record<string, unknown>) => readPush(() => JSON.stringify({ v: 1, ...fields }));

describe('what a push shows', () => {
  it('says who wrote and that a message came, tagged with its conversation', () => {
    expect(planNotice(push({ conversationId: 'c1', seq: 4, count: 1, from: 'Bob' }), undefined)).toEqual({
      title: 'Bob',
      body: 'New message',
      tag: 'c1',
      data: { conversationId: 'c1', seq: 4, count: 1 },
    });
  });

  it('replaces the conversation’s notification with one counting both', () => {
    const shown = { conversationId: 'c1', seq: 4, count: 2 };
    expect(planNotice(push({ conversationId: 'c1', seq: 6, count: 1, from: 'Bob' }), shown)).toEqual({
      title: 'Bob',
      body: '3 new messages',
      tag: 'c1',
      data: { conversationId: 'c1', seq: 6, count: 3 },
    });
  });

  it('shows nothing new for a push the shown notification already covers', () => {
    const shown = { conversationId: 'c1', seq: 6, count: 3 };
    expect(planNotice(push({ conversationId: 'c1', seq: 6, count: 1 }), shown)).toBeUndefined();
    expect(planNotice(push({ conversationId: 'c1', seq: 5, count: 1 }), shown)).toBeUndefined();
  });

  it('starts counting again when what is shown is not this worker’s', () => {
    const notice = planNotice(push({ conversationId: 'c1', seq: 2, count: 1 }), { seq: 'x' });
    expect(notice?.data).toEqual({ conversationId: 'c1', seq: 2, count: 1 });
  });

  it('names a group, and only says a message came with the private setting', () => {
    expect(
      planNotice(push({ conversationId: 'g', seq: 1, count: 2, from: 'Bob', group: 'Trip' }), undefined),
    ).toMatchObject({ title: 'Trip', body: '2 new messages from Bob' });
    expect(planNotice(push({ conversationId: 'c2', seq: 1, count: 1 }), undefined)).toMatchObject({
      title: 'Parley',
      body: 'New message',
      tag: 'c2',
    });
  });

  it.each([
    ['no payload', undefined],
    ['one that is not JSON', () => 'garbled'],
    ['an unknown version', () => JSON.stringify({ v: 2, conversationId: 'c1', seq: 1, count: 1 })],
  ])('shows a plain notice for %s, which Chrome requires', (_, text) => {
    expect(planNotice(readPush(text), undefined)).toEqual({
      title: 'Parley',
      body: 'New message',
      tag: UNREADABLE_TAG,
    });
  });
});
