import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import { ConflictError, LimitReachedError, NotFoundError } from '../../errors';
import type { Conversation, ConversationStore, Membership } from '../../ports/conversation-store';
import { DynamoDbConversationStore } from '../dynamodb/dynamodb-conversation-store';
import { keys } from '../dynamodb/keys';
import { InMemoryConversationStore } from '../memory/memory-conversation-store';

const table = useLocalTable();
const T0 = Date.UTC(2025, 0, 1);

interface Fixture {
  readonly store: ConversationStore;
  /** Loses a member item behind the store's back, as a crash between its writes would. */
  dropMembership(conversationId: string, userId: string): Promise<void>;
}

describe.each([
  {
    adapter: 'InMemoryConversationStore',
    make: (): Fixture => {
      const store = new InMemoryConversationStore();
      return { store, dropMembership: async (id, userId) => store.dropMembership(id, userId) };
    },
  },
  {
    adapter: 'DynamoDbConversationStore',
    make: (): Fixture => ({
      store: new DynamoDbConversationStore(table.client, table.tableName),
      dropMembership: async (id, userId) => {
        await table.client.send(
          new DeleteCommand({ TableName: table.tableName, Key: keys.member(id, userId) }),
        );
      },
    }),
  },
])('$adapter', ({ make }) => {
  let fixture: Fixture;
  let store: ConversationStore;
  let alice: string;
  let bob: string;
  let carol: string;

  const member = (
    conversationId: string,
    userId: string,
    role: Membership['role'] = 'member',
  ): Membership => ({
    conversationId,
    userId,
    role,
    joinedAt: T0,
    delivered: 0,
    read: 0,
    readContentCount: 0,
  });

  const group = (memberIds: readonly string[] = [alice, bob]): Conversation => ({
    conversationId: freshId('conv'),
    kind: 'group',
    name: 'Climbing',
    memberIds,
    createdBy: alice,
    createdAt: T0,
    version: 1,
    membersVersion: 1,
  });

  const create = async (conversation: Conversation) => {
    const members = conversation.memberIds.map((userId) =>
      member(conversation.conversationId, userId, userId === conversation.createdBy ? 'admin' : 'member'),
    );
    await store.createIfAbsent(conversation, members);
    return members;
  };

  beforeEach(() => {
    fixture = make();
    store = fixture.store;
    alice = freshId('alice');
    bob = freshId('bob');
    carol = freshId('carol');
  });

  describe('createIfAbsent', () => {
    it('stores the conversation and one membership per member', async () => {
      const conversation = group();

      const members = await create(conversation);

      expect(await store.get(conversation.conversationId)).toEqual(conversation);
      expect(await store.listMembers(conversation.conversationId)).toEqual(
        [...members].sort((a, b) => (a.userId < b.userId ? -1 : 1)),
      );
      expect(await store.getMembership(conversation.conversationId, alice)).toMatchObject({ role: 'admin' });
    });

    it('stores a direct conversation without a name', async () => {
      const direct: Conversation = { ...group(), kind: 'direct' };
      const { name: _none, ...unnamed } = direct;

      await create(unnamed);

      const stored = await store.get(unnamed.conversationId);
      expect(stored).toEqual(unnamed);
      expect(stored).not.toHaveProperty('name');
    });

    it('returns the stored conversation on a repeat, keeping members and their marks', async () => {
      const conversation = group();
      await create(conversation);
      await store.advanceMarks(conversation.conversationId, bob, { read: 4, readContentCount: 4 });

      const again = await store.createIfAbsent(
        { ...conversation, name: 'Other', createdAt: T0 + 5, memberIds: [alice, bob, carol] },
        [
          member(conversation.conversationId, alice),
          member(conversation.conversationId, bob),
          member(conversation.conversationId, carol),
        ],
      );

      expect(again).toEqual(conversation);
      expect(await store.get(conversation.conversationId)).toEqual(conversation);
      expect(await store.getMembership(conversation.conversationId, bob)).toMatchObject({
        delivered: 4,
        read: 4,
      });
      expect(await store.getMembership(conversation.conversationId, alice)).toMatchObject({ role: 'admin' });
      expect(await store.getMembership(conversation.conversationId, carol)).toBeUndefined();
    });

    it('completes on a repeat the memberships a cut-off creation missed', async () => {
      const conversation = group();
      const members = await create(conversation);
      await fixture.dropMembership(conversation.conversationId, bob);

      await store.createIfAbsent(conversation, members);

      expect(await store.getMembership(conversation.conversationId, bob)).toEqual(members[1]);
    });

    it('does not bring back a member removed since', async () => {
      const conversation = group([alice, bob, carol]);
      const members = await create(conversation);
      await store.change(conversation.conversationId, 1, { remove: [carol] });

      await store.createIfAbsent(conversation, members);

      expect(await store.getMembership(conversation.conversationId, carol)).toBeUndefined();
      expect((await store.get(conversation.conversationId))?.memberIds).toEqual([alice, bob]);
    });
  });

  describe('getMany', () => {
    it('returns the conversations that exist', async () => {
      const first = group();
      const second = group();
      await create(first);
      await create(second);

      const found = await store.getMany([first.conversationId, freshId('missing'), second.conversationId]);

      expect(found).toHaveLength(2);
      expect(found).toEqual(expect.arrayContaining([first, second]));
    });
  });

  describe('change', () => {
    it('bumps the members version only when members come or go', async () => {
      const conversation = group();
      await create(conversation);

      const renamed = await store.change(conversation.conversationId, 1, { name: 'Bouldering' });
      const same = await store.change(conversation.conversationId, 2, {
        add: [member(conversation.conversationId, bob)],
      });
      const grown = await store.change(conversation.conversationId, 3, {
        add: [member(conversation.conversationId, carol)],
      });

      expect([renamed, same, grown].map((c) => [c.version, c.membersVersion])).toEqual([
        [2, 1],
        [3, 1],
        [4, 2],
      ]);
      expect((await store.get(conversation.conversationId))?.membersVersion).toBe(2);
    });

    it('adds and removes members, renames, and bumps the version', async () => {
      const conversation = group();
      await create(conversation);
      const dave = freshId('dave');

      const changed = await store.change(conversation.conversationId, 1, {
        add: [
          { ...member(conversation.conversationId, carol), joinedAt: T0 + 10 },
          { ...member(conversation.conversationId, dave), delivered: 3, read: 2 },
        ],
        remove: [bob],
        name: 'Bouldering',
      });

      expect(changed).toEqual({
        ...conversation,
        name: 'Bouldering',
        memberIds: [alice, carol, dave],
        version: 2,
        membersVersion: 2,
      });
      expect(await store.get(conversation.conversationId)).toEqual(changed);
      expect(await store.getMembership(conversation.conversationId, bob)).toBeUndefined();
      expect(await store.getMembership(conversation.conversationId, carol)).toMatchObject({
        role: 'member',
        joinedAt: T0 + 10,
        delivered: 0,
        read: 0,
      });
      expect(await store.getMembership(conversation.conversationId, dave)).toMatchObject({
        delivered: 3,
        read: 2,
      });
      expect((await store.listMembers(conversation.conversationId)).map((m) => m.userId).sort()).toEqual(
        [alice, carol, dave].sort(),
      );
    });

    it('hands roles on to remaining members only', async () => {
      const conversation = group([alice, bob, carol]);
      await create(conversation);
      const stranger = freshId('stranger');

      await store.change(conversation.conversationId, 1, {
        remove: [alice],
        roles: { [bob]: 'admin', [alice]: 'admin', [stranger]: 'admin' },
      });

      expect(await store.getMembership(conversation.conversationId, bob)).toMatchObject({ role: 'admin' });
      expect(await store.getMembership(conversation.conversationId, stranger)).toBeUndefined();
      expect(await store.getMembership(conversation.conversationId, alice)).toBeUndefined();
      expect(await store.getMembership(conversation.conversationId, carol)).toMatchObject({ role: 'member' });
    });

    it('does not add a current member twice', async () => {
      const conversation = group();
      await create(conversation);

      const changed = await store.change(conversation.conversationId, 1, {
        add: [member(conversation.conversationId, bob), member(conversation.conversationId, carol)],
      });

      expect(changed.memberIds).toEqual([alice, bob, carol]);
    });

    it('throws ConflictError when another change came first, changing nothing', async () => {
      const conversation = group();
      await create(conversation);
      await store.change(conversation.conversationId, 1, { name: 'First' });

      await expect(
        store.change(conversation.conversationId, 1, { remove: [bob], name: 'Late' }),
      ).rejects.toThrow(ConflictError);

      expect(await store.get(conversation.conversationId)).toMatchObject({
        name: 'First',
        memberIds: [alice, bob],
        version: 2,
      });
      expect(await store.getMembership(conversation.conversationId, bob)).toBeDefined();
    });

    it('lets exactly one of two racing changes through', async () => {
      const conversation = group();
      await create(conversation);

      const results = await Promise.allSettled([
        store.change(conversation.conversationId, 1, { name: 'One' }),
        store.change(conversation.conversationId, 1, { name: 'Two' }),
      ]);

      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((result) => result.status === 'rejected');
      expect(rejected?.reason).toBeInstanceOf(ConflictError);
      expect((await store.get(conversation.conversationId))?.version).toBe(2);
    });

    it('throws NotFoundError for a missing conversation', async () => {
      await expect(store.change(freshId('missing'), 1, { name: 'x' })).rejects.toThrow(NotFoundError);
    });
  });

  describe('listConversationIdsOf and getMemberships', () => {
    it("lists the user's conversations, without those they left, and reads the memberships with marks", async () => {
      const first = group([alice, bob]);
      const second = group([carol, bob]);
      const third = group([alice, carol]);
      await create(first);
      await create(second);
      await create(third);
      await store.change(first.conversationId, 1, { remove: [bob] });
      await store.advanceMarks(second.conversationId, bob, { delivered: 4, read: 3, readContentCount: 2 });

      const ids = await store.listConversationIdsOf(bob);
      const memberships = await store.getMemberships(bob, [...ids, first.conversationId, ids[0] ?? '']);

      expect(ids).toEqual([second.conversationId]);
      expect(memberships).toEqual([
        { ...member(second.conversationId, bob), delivered: 4, read: 3, readContentCount: 2 },
      ]);
      expect((await store.listConversationIdsOf(alice)).sort()).toEqual(
        [first.conversationId, third.conversationId].sort(),
      );
    });
  });

  describe('raiseReadMark', () => {
    it('moves read forward in one write, never back, and reports delivery at least as far', async () => {
      const conversation = group();
      await create(conversation);
      const id = conversation.conversationId;
      await store.advanceMarks(id, bob, { delivered: 9 });

      const moved = await store.raiseReadMark(id, bob, 5, 4);
      const back = await store.raiseReadMark(id, bob, 3, 2);
      const further = await store.raiseReadMark(id, bob, 12, 10);

      expect([moved, back, further]).toEqual([true, false, true]);
      expect(await store.getMembership(id, bob)).toMatchObject({
        read: 12,
        readContentCount: 10,
        delivered: 12,
      });
      expect(await store.raiseReadMark(id, freshId('stranger'), 20, 20)).toBe(false);
    });
  });

  describe('advanceMarks', () => {
    it('moves marks forward and never back', async () => {
      const conversation = group();
      await create(conversation);
      const id = conversation.conversationId;

      expect(await store.advanceMarks(id, bob, { delivered: 5 })).toMatchObject({
        delivered: 5,
        read: 0,
        readContentCount: 0,
      });
      expect(await store.advanceMarks(id, bob, { delivered: 3, read: 2, readContentCount: 2 })).toMatchObject(
        {
          delivered: 5,
          read: 2,
        },
      );
      expect(await store.advanceMarks(id, bob, { read: 1, readContentCount: 1 })).toMatchObject({
        delivered: 5,
        read: 2,
      });
      expect(await store.getMembership(id, bob)).toMatchObject({ delivered: 5, read: 2 });
    });

    it('raises delivery to what was read', async () => {
      const conversation = group();
      await create(conversation);

      const marks = await store.advanceMarks(conversation.conversationId, bob, {
        read: 7,
        readContentCount: 7,
        delivered: 6,
      });

      expect(marks).toMatchObject({ userId: bob, delivered: 7, read: 7, role: 'member' });
    });

    it('keeps the highest of racing advances', async () => {
      const conversation = group();
      await create(conversation);

      await Promise.all(
        [3, 9, 1, 6].map((seq) => store.advanceMarks(conversation.conversationId, bob, { delivered: seq })),
      );

      expect(await store.getMembership(conversation.conversationId, bob)).toMatchObject({ delivered: 9 });
    });

    it('moves hidden marks for the member alone, showing others the marks from before', async () => {
      const conversation = group();
      await create(conversation);
      const id = conversation.conversationId;
      await store.advanceMarks(id, bob, { delivered: 3, read: 2, readContentCount: 2 });

      const hidden = await store.advanceMarks(id, bob, { read: 6, readContentCount: 5 }, { hidden: true });

      expect(hidden).toMatchObject({
        delivered: 6,
        read: 6,
        readContentCount: 5,
        shown: { delivered: 3, read: 2 },
      });
      expect(await store.getMembership(id, bob)).toMatchObject({ read: 6, shown: { delivered: 3, read: 2 } });
      expect((await store.listMembers(id)).find((m) => m.userId === bob)).toMatchObject({
        read: 6,
        shown: { delivered: 3, read: 2 },
      });
      // A plain move behind the member's own marks changes nothing, one past them shows them again.
      expect(await store.advanceMarks(id, bob, { read: 4, readContentCount: 4 })).toMatchObject({
        read: 6,
        readContentCount: 5,
        shown: { read: 2 },
      });
      const shownAgain = await store.advanceMarks(id, bob, { read: 8, readContentCount: 7 });
      expect(shownAgain).toMatchObject({ delivered: 8, read: 8, readContentCount: 7 });
      expect(shownAgain.shown).toBeUndefined();
    });

    it('throws NotFoundError for a non-member, storing nothing', async () => {
      const conversation = group();
      await create(conversation);

      await expect(
        store.advanceMarks(conversation.conversationId, carol, { read: 3, readContentCount: 3 }),
      ).rejects.toThrow(NotFoundError);
      expect(await store.getMembership(conversation.conversationId, carol)).toBeUndefined();
    });
  });

  describe('groups per user', () => {
    const membersOf = (conversation: Conversation) =>
      conversation.memberIds.map((userId) => member(conversation.conversationId, userId));

    it('counts each group once per member, leaves directs out, and frees a place on leaving', async () => {
      const first = group([alice, bob]);
      await store.createIfAbsent(first, membersOf(first), { groupsPerUser: 2 });
      await store.createIfAbsent({ ...first }, membersOf(first), { groupsPerUser: 2 });
      await create({ ...group([alice, carol]), kind: 'direct' });

      expect([await store.countGroupsOf(alice), await store.countGroupsOf(carol)]).toEqual([1, 0]);
      await store.change(first.conversationId, 1, { remove: [bob] });
      await expect(store.countGroupsOf(bob)).resolves.toBe(0);
      await store.change(first.conversationId, 2, {
        add: [member(first.conversationId, carol)],
        groupsPerUser: 2,
      });
      await expect(store.countGroupsOf(carol)).resolves.toBe(1);
    });

    it('refuses a group with a member at the cap, naming them, and stores none of it', async () => {
      const full = group([bob, carol]);
      await store.createIfAbsent(full, membersOf(full), { groupsPerUser: 1 });
      const refused = group([alice, bob, carol]);

      const creation = store.createIfAbsent(refused, membersOf(refused), { groupsPerUser: 1 });

      await expect(creation).rejects.toThrow(LimitReachedError);
      await expect(creation).rejects.toMatchObject({ cap: 'groupsPerUser' });
      await expect(creation).rejects.toThrow(new RegExp(`${[bob, carol].sort().join(', ')}`));
      expect(await store.get(refused.conversationId)).toBeUndefined();
      expect(await store.listMembers(refused.conversationId)).toEqual([]);
      expect(await Promise.all([alice, bob, carol].map((id) => store.countGroupsOf(id)))).toEqual([0, 1, 1]);
    });

    it('refuses adding a user at the cap, changing nothing', async () => {
      const theirs = group([carol, bob]);
      await store.createIfAbsent(theirs, membersOf(theirs), { groupsPerUser: 1 });
      const mine = group([alice]);
      await store.createIfAbsent(mine, membersOf(mine), { groupsPerUser: 1 });

      await expect(
        store.change(mine.conversationId, 1, {
          add: [member(mine.conversationId, bob), member(mine.conversationId, carol)],
          groupsPerUser: 1,
        }),
      ).rejects.toThrow(LimitReachedError);

      expect(await store.get(mine.conversationId)).toEqual(mine);
      expect(await store.getMembership(mine.conversationId, bob)).toBeUndefined();
      expect(await Promise.all([bob, carol].map((id) => store.countGroupsOf(id)))).toEqual([1, 1]);
    });

    it('lets only one of two groups racing for a user’s last place take it', async () => {
      const rivals = [group([alice, bob]), group([carol, bob])];

      const results = await Promise.allSettled(
        rivals.map((rival) => store.createIfAbsent(rival, membersOf(rival), { groupsPerUser: 1 })),
      );

      expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(
        (await Promise.all(rivals.map((rival) => store.get(rival.conversationId)))).filter(Boolean),
      ).toHaveLength(1);
      expect(await Promise.all([alice, bob, carol].map((id) => store.countGroupsOf(id)))).toEqual(
        results[0]?.status === 'fulfilled' ? [1, 1, 0] : [0, 1, 1],
      );
    });
  });

  describe('pageConversationIdsOf', () => {
    it('pages the user’s conversations in id order, each once, with a next id only when more follow', async () => {
      const conversations = [group([alice, bob]), group([alice, carol]), group([bob, carol]), group([alice])];
      for (const conversation of conversations) await create(conversation);
      const alices = conversations
        .filter((c) => c.memberIds.includes(alice))
        .map((c) => c.conversationId)
        .sort();

      const first = await store.pageConversationIdsOf(alice, 2);
      const second = await store.pageConversationIdsOf(alice, 2, first.next);

      expect(first).toEqual({ ids: alices.slice(0, 2), next: alices[1] });
      expect(second).toEqual({ ids: alices.slice(2) });
      await expect(store.pageConversationIdsOf(alice, 3)).resolves.toEqual({ ids: alices });
    });

    it('goes on after a conversation the user has left since', async () => {
      const conversations = [group([alice, bob]), group([alice, bob]), group([alice, bob])];
      for (const conversation of conversations) await create(conversation);
      const ids = conversations.map((c) => c.conversationId).sort();
      const first = await store.pageConversationIdsOf(bob, 1);

      await store.change(ids[0] as string, 1, { remove: [bob] });

      await expect(store.pageConversationIdsOf(bob, 5, first.next)).resolves.toEqual({ ids: ids.slice(1) });
    });
  });

  describe('member settings', () => {
    it('sets and unsets archived, mutedUntil and markedUnread, changing only the fields given', async () => {
      const conversation = group();
      await create(conversation);
      const id = conversation.conversationId;

      const set = await store.changeSettings(id, bob, {
        archived: true,
        mutedUntil: T0 + 3_600_000,
        markedUnread: true,
      });
      const partly = await store.changeSettings(id, bob, { markedUnread: false });
      const cleared = await store.changeSettings(id, bob, { archived: false, mutedUntil: null });

      expect(set).toMatchObject({ archived: true, mutedUntil: T0 + 3_600_000, markedUnread: true });
      expect(partly).toMatchObject({ archived: true, mutedUntil: T0 + 3_600_000 });
      expect(partly).not.toHaveProperty('markedUnread');
      expect(cleared).toEqual(member(id, bob));
      expect(await store.getMembership(id, alice)).toEqual(member(id, alice, 'admin'));
    });

    it('keeps settings when marks move, and reads them back with the membership', async () => {
      const conversation = group();
      await create(conversation);
      const id = conversation.conversationId;
      await store.changeSettings(id, bob, { archived: true });

      await store.advanceMarks(id, bob, { read: 2, readContentCount: 2 });

      expect(await store.getMembership(id, bob)).toMatchObject({ archived: true, read: 2 });
      expect(await store.getMemberships(bob, [id])).toMatchObject([{ archived: true }]);
    });

    it('changes nothing for a user who is not a member', async () => {
      const conversation = group([alice, bob]);
      await create(conversation);

      await expect(
        store.changeSettings(conversation.conversationId, carol, { archived: true }),
      ).resolves.toBeUndefined();
      expect(await store.getMembership(conversation.conversationId, carol)).toBeUndefined();
    });

    it('pins up to the limit, refuses one more, and pins again what is pinned already', async () => {
      const [a, b, c] = [freshId('conv'), freshId('conv'), freshId('conv')];

      expect(await store.pin(alice, a, 2)).toBe(true);
      expect(await store.pin(alice, b, 2)).toBe(true);
      expect(await store.pin(alice, c, 2)).toBe(false);
      expect(await store.pin(alice, a, 2)).toBe(true);
      expect((await store.listPinned(alice)).sort()).toEqual([a, b].sort());
      expect(await store.listPinned(bob)).toEqual([]);
    });

    it('makes room by unpinning, and unpinning what is not pinned is no error', async () => {
      const [a, b, c] = [freshId('conv'), freshId('conv'), freshId('conv')];
      await store.pin(alice, a, 2);
      await store.pin(alice, b, 2);

      await store.unpin(alice, [a, freshId('conv')]);
      await store.unpin(bob, [a]);

      expect(await store.pin(alice, c, 2)).toBe(true);
      expect((await store.listPinned(alice)).sort()).toEqual([b, c].sort());
    });
  });
});
