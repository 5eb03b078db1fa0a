import { describe, expect, it } from 'vitest';
import type { ConversationEvent } from '../../../shared/protocol/resources';
import { groupEventText } from './group-events';

const names: Record<string, string> = { a: 'Alice', b: 'Bob', c: 'Carol', d: 'Dan' };
const asAlice = { me: 'a', nameOf: (id: string) => names[id] ?? 'Someone' };
const asCarol = { me: 'c', nameOf: asAlice.nameOf };

describe('lines about the group in the chat', () => {
  it('says who added, removed and left, with "you" for the reader', () => {
    const added = { type: 'members_added', actorId: 'a', userIds: ['c', 'd'] } satisfies ConversationEvent;
    expect(groupEventText(added, asCarol)).toBe('Alice added you and Dan');
    expect(groupEventText(added, asAlice)).toBe('You added Carol and Dan');
    expect(
      groupEventText(
        { type: 'members_added', actorId: 'a', userIds: ['b', 'c', 'd'] },
        { me: 'x', nameOf: asAlice.nameOf },
      ),
    ).toBe('Alice added Bob, Carol and Dan');
    expect(groupEventText({ type: 'member_removed', actorId: 'a', userIds: ['d'] }, asCarol)).toBe(
      'Alice removed Dan',
    );
    expect(groupEventText({ type: 'member_left', actorId: 'b', userIds: ['b'] }, asCarol)).toBe('Bob left');
  });

  it('says a member deleted their account without a name (it went with the profile), and who is admin now', () => {
    const deleted = { type: 'account_deleted', actorId: 'b', userIds: ['b'] } satisfies ConversationEvent;
    expect(groupEventText(deleted, asCarol)).toBe('A member deleted their account');
    expect(groupEventText({ ...deleted, admins: ['c'] }, asCarol)).toBe(
      'A member deleted their account. You are now an admin.',
    );
  });

  it('says who became admin when the last admin left', () => {
    const left = {
      type: 'member_left',
      actorId: 'a',
      userIds: ['a'],
      admins: ['c'],
    } satisfies ConversationEvent;
    expect(groupEventText(left, asCarol)).toBe('Alice left. You are now an admin.');
    expect(groupEventText(left, { me: 'b', nameOf: asAlice.nameOf })).toBe(
      'Alice left. Carol is now an admin.',
    );
  });

  it('quotes the new name, and says who made whom an admin or dismissed them', () => {
    expect(groupEventText({ type: 'renamed', actorId: 'a', name: 'Trip' }, asCarol)).toBe(
      'Alice renamed the group to “Trip”',
    );
    expect(
      groupEventText({ type: 'role_changed', actorId: 'a', userIds: ['b'], role: 'admin' }, asCarol),
    ).toBe('Alice made Bob an admin');
    expect(
      groupEventText({ type: 'role_changed', actorId: 'a', userIds: ['c'], role: 'admin' }, asCarol),
    ).toBe('Alice made you an admin');
    expect(
      groupEventText({ type: 'role_changed', actorId: 'a', userIds: ['b'], role: 'member' }, asCarol),
    ).toBe('Alice dismissed Bob as admin');
    expect(
      groupEventText({ type: 'role_changed', actorId: 'a', userIds: ['a'], role: 'member' }, asAlice),
    ).toBe('You are no longer an admin');
  });
});
