import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationPush } from '../../../shared/protocol/outbound';
import { parseConversationEvent } from '../../../shared/protocol/resources';
import type { MemoryDeps } from '../../../test/support/fixtures';
import {
  befriend,
  memoryDeps,
  rateLimiterWith,
  requestFriendship,
  seedMessages,
} from '../../../test/support/fixtures';
import type { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import type { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import type { InMemoryMessageLog } from '../../adapters/memory/memory-message-log';
import type { InMemoryRelationshipStore } from '../../adapters/memory/memory-relationship-store';
import { encodeCursor } from '../../cursor';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
} from '../../errors';
import type { ConversationJob } from '../../ports/fanout-queue';
import { advanceReceipts } from '../receipt/advance-receipts';
import { conversations, MAX_GROUP_MEMBERS } from './conversations';
import { directConversationId } from './direct-conversation';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const iso = (epochMs: number) => new Date(epochMs).toISOString();
const PEOPLE = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
const profile = (userId: string) => ({
  userId,
  username: userId,
  displayName: userId.toUpperCase(),
  email: `${userId}@example.com`,
  createdAt: T0,
});
const as = (userId: string) => ({ userId, correlationId: `req-${userId}` });
const alice = as('alice');
const bob = as('bob');
const carol = as('carol');

describe('conversations', () => {
  let deps: MemoryDeps;
  let store: InMemoryConversationStore;
  let messages: InMemoryMessageLog;
  let relationships: InMemoryRelationshipStore;
  let fanout: InMemoryFanoutQueue;
  let chats: ReturnType<typeof conversations>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps({ profiles: PEOPLE.map(profile) });
    ({ conversations: store, messages, relationships, fanout } = deps);
    chats = conversations(deps);
    for (const other of PEOPLE.slice(1)) await befriend(relationships, 'alice', other, T0);
    await befriend(relationships, 'bob', 'carol', T0);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** Stores `count` messages sent now, with the bodies `hello 0`, `hello 1`, … */
  const post = (conversationId: string, senderId: string, count = 1) =>
    seedMessages(messages, conversationId, senderId, count, Date.now(), { body: (_seq, i) => `hello ${i}` });

  /** The conversation pushes queued, with who gets them beyond the members. */
  const announcements = () =>
    fanout.jobs
      .filter((job): job is ConversationJob => job.kind === 'conversation')
      .map((job) => ({ ...(job.frame as ConversationPush), alsoUserIds: job.alsoUserIds }));

  describe('openDirect', () => {
    it('creates the direct conversation with a friend and announces it to both, once', async () => {
      const conversation = await chats.openDirect(alice, 'bob');

      expect(conversation).toEqual({
        conversationId: directConversationId('alice', 'bob'),
        kind: 'direct',
        memberIds: ['alice', 'bob'],
        createdBy: 'alice',
        createdAt: T0,
        version: 1,
        membersVersion: 1,
      });
      expect((await store.listMembers(conversation.conversationId)).map((m) => [m.userId, m.role])).toEqual([
        ['alice', 'member'],
        ['bob', 'member'],
      ]);
      expect(announcements()).toEqual([
        {
          type: 'conversation',
          event: 'created',
          conversationId: conversation.conversationId,
          kind: 'direct',
          memberIds: ['alice', 'bob'],
          actorId: 'alice',
          membersVersion: 1,
          alsoUserIds: undefined,
        },
      ]);
    });

    it('returns the same conversation whoever opens it, and announces it only the first time', async () => {
      const first = await chats.openDirect(alice, 'bob');
      vi.advanceTimersByTime(1_000);

      const again = await chats.openDirect(alice, 'bob');
      const fromBob = await chats.openDirect(bob, 'alice');

      expect(again).toEqual(first);
      expect(fromBob).toEqual(first);
      expect(store.size).toBe(1);
      expect(announcements()).toHaveLength(1);
    });

    it('announces the conversation once when the same user opens it twice at the same instant', async () => {
      await Promise.all([chats.openDirect(alice, 'bob'), chats.openDirect(alice, 'bob')]);

      expect(store.size).toBe(1);
      expect(announcements()).toHaveLength(1);
    });

    it('refuses a user who is not a friend, or only asked to be one', async () => {
      await requestFriendship(relationships, 'bob', 'dave', T0);

      await expect(chats.openDirect(bob, 'dave')).rejects.toThrow(ForbiddenError);
      await expect(chats.openDirect(bob, 'erin')).rejects.toThrow(ForbiddenError);
      await expect(chats.openDirect(bob, 'nobody')).rejects.toThrow(ForbiddenError);
      expect(store.size).toBe(0);
      expect(fanout.jobs).toEqual([]);
    });

    it('refuses a conversation with oneself', async () => {
      await expect(chats.openDirect(alice, 'alice')).rejects.toThrow(ValidationError);
      expect(store.size).toBe(0);
    });

    it('refuses it, even once it exists, when either side blocked the other', async () => {
      await chats.openDirect(alice, 'bob');
      await relationships.block({ userId: 'bob', blockedId: 'alice', since: T0 });

      await expect(chats.openDirect(alice, 'bob')).rejects.toThrow(ForbiddenError);
      await expect(chats.openDirect(bob, 'alice')).rejects.toThrow(ForbiddenError);
      await relationships.block({ userId: 'alice', blockedId: 'carol', since: T0 });
      await expect(chats.openDirect(carol, 'alice')).rejects.toThrow(ForbiddenError);
    });

    it('keeps an existing direct conversation reachable after the two stop being friends', async () => {
      const first = await chats.openDirect(alice, 'bob');
      await relationships.deleteFriendPair('alice', 'bob');

      await expect(chats.openDirect(bob, 'alice')).resolves.toEqual(first);
    });
  });

  describe('createGroup', () => {
    it('creates a group of friends with the creator as admin and tells every member', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob', 'carol']);

      expect(group).toMatchObject({
        kind: 'group',
        name: 'Trip',
        memberIds: ['alice', 'bob', 'carol'],
        createdBy: 'alice',
        createdAt: T0,
      });
      expect(group.conversationId).toMatch(/^g_[A-Za-z0-9_-]+$/);
      expect((await store.listMembers(group.conversationId)).map((m) => [m.userId, m.role])).toEqual([
        ['alice', 'admin'],
        ['bob', 'member'],
        ['carol', 'member'],
      ]);
      expect(announcements()).toEqual([
        {
          type: 'conversation',
          event: 'created',
          conversationId: group.conversationId,
          kind: 'group',
          name: 'Trip',
          memberIds: ['alice', 'bob', 'carol'],
          actorId: 'alice',
          membersVersion: 1,
          alsoUserIds: undefined,
        },
      ]);
    });

    it('counts each member once and the creator once, however often they are listed', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob', 'alice', 'bob', 'carol']);

      expect(group.memberIds).toEqual(['alice', 'bob', 'carol']);
    });

    it('gives every group a new id', async () => {
      const first = await chats.createGroup(alice, 'Trip', ['bob']);
      const second = await chats.createGroup(alice, 'Trip', ['bob']);

      expect(second.conversationId).not.toBe(first.conversationId);
      expect(store.size).toBe(2);
    });

    it('refuses members who are not friends of the creator, creating nothing', async () => {
      await expect(chats.createGroup(bob, 'Mixed', ['carol', 'dave'])).rejects.toThrow(ForbiddenError);
      expect(store.size).toBe(0);
      expect(fanout.jobs).toEqual([]);
    });

    it('refuses a group with nobody but the creator', async () => {
      await expect(chats.createGroup(alice, 'Alone', [])).rejects.toThrow(ValidationError);
      await expect(chats.createGroup(alice, 'Alone', ['alice'])).rejects.toThrow(ValidationError);
    });

    it(`allows ${MAX_GROUP_MEMBERS} members, creator included, and refuses one more`, async () => {
      const many = Array.from({ length: MAX_GROUP_MEMBERS }, (_, i) => `friend-${i}`);
      for (const id of many) await befriend(relationships, 'alice', id, T0);

      const full = await chats.createGroup(alice, 'Full', many.slice(0, MAX_GROUP_MEMBERS - 1));

      expect(full.memberIds).toHaveLength(MAX_GROUP_MEMBERS);
      await expect(chats.createGroup(alice, 'Too many', many)).rejects.toThrow(ValidationError);
      expect(store.size).toBe(1);
    });

    it("counts creations against the creator's write allowance", async () => {
      const strict = conversations({
        ...deps,
        rateLimiter: rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } }),
      });
      await strict.createGroup(alice, 'One', ['bob']);

      await expect(strict.createGroup(alice, 'Two', ['bob'])).rejects.toThrow(RateLimitedError);
      expect(store.size).toBe(1);
    });
  });

  describe('groups per user', () => {
    it('refuses a group with a member who is in as many groups as the cap allows, naming them; directs do not count', async () => {
      const capped = conversations({ ...deps, caps: { groupsPerUser: 2 } });
      await capped.openDirect(alice, 'bob');
      await capped.createGroup(alice, 'One', ['bob']);
      await capped.createGroup(alice, 'Two', ['bob', 'carol']);
      const before = { size: store.size, jobs: fanout.jobs.length };

      const refused = capped.createGroup(alice, 'Three', ['carol', 'dave']);

      await expect(refused).rejects.toMatchObject({ code: 'LIMIT_REACHED', cap: 'groupsPerUser' });
      await expect(refused).rejects.toThrow(/not added: alice \(cap groupsPerUser: 2\)/);
      expect({ size: store.size, jobs: fanout.jobs.length }).toEqual(before);
      await expect(capped.createGroup(carol, 'Carol’s', ['bob'])).rejects.toThrow(/not added: bob \(/);
    });

    it('refuses adding a full user, adding nobody; one who leaves a group makes room', async () => {
      const capped = conversations({ ...deps, caps: { groupsPerUser: 1 } });
      const bobs = await capped.createGroup(bob, 'Bob’s', ['carol']);
      const mine = await capped.createGroup(alice, 'Mine', ['dave']);

      await expect(capped.addMembers(alice, mine.conversationId, ['bob', 'erin'])).rejects.toThrow(
        /not added: bob \(/,
      );
      expect((await store.get(mine.conversationId))?.memberIds).toEqual(['alice', 'dave']);
      await expect(store.countGroupsOf('erin')).resolves.toBe(0);

      await capped.removeMember(bob, bobs.conversationId, 'bob');
      await expect(capped.addMembers(alice, mine.conversationId, ['bob', 'erin'])).resolves.toMatchObject({
        members: expect.arrayContaining([
          expect.objectContaining({ user: expect.objectContaining({ userId: 'bob' }) }),
        ]),
      });
    });
  });

  describe('get', () => {
    it('shows a member the conversation with its members, their roles and marks, and the last message', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob', 'carol']);
      vi.advanceTimersByTime(60_000);
      await post(group.conversationId, 'bob', 3);
      await store.advanceMarks(group.conversationId, 'alice', { read: 1, readContentCount: 1 });
      await store.advanceMarks(group.conversationId, 'carol', { delivered: 2 });

      const detail = await chats.get(alice, group.conversationId);

      expect(detail).toMatchObject({
        conversationId: group.conversationId,
        kind: 'group',
        name: 'Trip',
        role: 'admin',
        createdAt: iso(T0),
        lastActivityAt: iso(T0 + 60_000),
        lastSeq: 3,
        unread: 2,
        delivered: 1,
        read: 1,
        lastMessage: { seq: 3, senderId: 'bob', body: Buffer.from('hello 2').toString('base64') },
      });
      expect(detail).not.toHaveProperty('memberIds');
      expect(detail.members).toEqual([
        {
          user: { userId: 'alice', username: 'alice', displayName: 'ALICE' },
          role: 'admin',
          joinedAt: iso(T0),
          delivered: 1,
          read: 1,
        },
        {
          user: { userId: 'bob', username: 'bob', displayName: 'BOB' },
          role: 'member',
          joinedAt: iso(T0),
          delivered: 0,
          read: 0,
        },
        {
          user: { userId: 'carol', username: 'carol', displayName: 'CAROL' },
          role: 'member',
          joinedAt: iso(T0),
          delivered: 2,
          read: 0,
        },
      ]);
    });

    it('shows an empty conversation with no last message and its creation as last activity', async () => {
      const direct = await chats.openDirect(alice, 'bob');

      const detail = await chats.get(bob, direct.conversationId);

      expect(detail).toMatchObject({ lastSeq: 0, unread: 0, lastActivityAt: iso(T0), role: 'member' });
      expect(detail).not.toHaveProperty('lastMessage');
      expect(detail).not.toHaveProperty('name');
    });

    it('answers a non-member exactly as for a conversation that does not exist', async () => {
      const direct = await chats.openDirect(alice, 'bob');

      const notMine = await chats.get(carol, direct.conversationId).catch((error: unknown) => error);
      const missing = await chats.get(carol, 'g_missing').catch((error: unknown) => error);

      expect(notMine).toBeInstanceOf(ForbiddenError);
      expect(missing).toBeInstanceOf(ForbiddenError);
      expect((missing as Error).message).toBe((notMine as Error).message);
    });
  });

  describe('list', () => {
    it('lists the newest activity first: the last message, or the creation of an empty one', async () => {
      const withBob = await chats.openDirect(alice, 'bob');
      vi.advanceTimersByTime(1_000);
      const withCarol = await chats.openDirect(alice, 'carol');
      vi.advanceTimersByTime(1_000);
      const group = await chats.createGroup(alice, 'Trip', ['bob', 'carol']);
      vi.advanceTimersByTime(1_000);
      await post(withBob.conversationId, 'bob');

      const page = await chats.list(alice, 10);

      expect(page.items.map((c) => c.conversationId)).toEqual([
        withBob.conversationId,
        group.conversationId,
        withCarol.conversationId,
      ]);
      expect(page.items.map((c) => c.lastActivityAt)).toEqual([
        iso(T0 + 3_000),
        iso(T0 + 2_000),
        iso(T0 + 1_000),
      ]);
      expect(page).not.toHaveProperty('next');
    });

    it("counts unread messages from the log head and the caller's read mark", async () => {
      const direct = await chats.openDirect(alice, 'bob');
      await post(direct.conversationId, 'bob', 5);
      await store.advanceMarks(direct.conversationId, 'alice', { read: 2, readContentCount: 2 });

      const [summary] = (await chats.list(alice, 10)).items;

      expect(summary).toMatchObject({
        memberIds: ['alice', 'bob'],
        role: 'member',
        lastSeq: 5,
        read: 2,
        delivered: 2,
        unread: 3,
        lastMessage: { seq: 5, senderId: 'bob', messageId: expect.any(String) },
      });
      await store.advanceMarks(direct.conversationId, 'alice', { read: 5, readContentCount: 5 });
      expect((await chats.list(alice, 10)).items[0]).toMatchObject({ unread: 0, read: 5 });
    });

    it('leaves MLS commits out of the preview, the unread count and the activity time', async () => {
      const direct = await chats.openDirect(alice, 'bob');
      vi.advanceTimersByTime(1_000);
      await post(direct.conversationId, 'bob', 2);
      vi.advanceTimersByTime(1_000);
      const commit = (epoch: number, senderId: string) =>
        messages.append({
          conversationId: direct.conversationId,
          messageId: `commit-${epoch}`,
          senderId,
          kind: 'commit',
          body: Buffer.from('c'),
          now: Date.now(),
        });
      await commit(0, 'bob');
      await commit(1, 'alice');
      const receipts = advanceReceipts(deps);

      const [before] = (await chats.list(alice, 10)).items;
      // Read up to the first message: one content message left, the commits do not count.
      await receipts({ ...alice, correlationId: 'r' }, direct.conversationId, { read: 1 });
      const [partly] = (await chats.list(alice, 10)).items;
      // Read to the end, commits included: nothing left.
      await receipts({ ...alice, correlationId: 'r' }, direct.conversationId, { read: 4 });
      const [after] = (await chats.list(alice, 10)).items;

      expect(before).toMatchObject({
        lastSeq: 4,
        unread: 2,
        lastMessage: { seq: 2, kind: 'message' },
        lastActivityAt: iso(T0 + 1_000),
      });
      expect(partly).toMatchObject({ unread: 1, read: 1 });
      expect(after).toMatchObject({ unread: 0, read: 4 });
      expect((await chats.list(bob, 10)).items[0]).toMatchObject({ unread: 2 });
    });

    it('pages in conversation-id order, each page newest activity first, each conversation exactly once', async () => {
      const active: string[] = [];
      for (const friend of ['bob', 'carol', 'dave', 'erin', 'frank']) {
        active.unshift((await chats.openDirect(alice, friend)).conversationId);
        vi.advanceTimersByTime(1_000);
      }
      const byId = [...active].sort();

      const first = await chats.list(alice, 2);
      const second = await chats.list(alice, 2, first.next);
      const third = await chats.list(alice, 2, second.next);

      const newestFirst = (ids: string[]) => active.filter((id) => ids.includes(id));
      expect(first.items.map((c) => c.conversationId)).toEqual(newestFirst(byId.slice(0, 2)));
      expect(second.items.map((c) => c.conversationId)).toEqual(newestFirst(byId.slice(2, 4)));
      expect(third.items.map((c) => c.conversationId)).toEqual(byId.slice(4));
      expect(third).not.toHaveProperty('next');
      // The whole list, sorted by activity as a client sorts it, is newest first.
      const all = [...first.items, ...second.items, ...third.items];
      expect(
        all.sort((a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt)).map((c) => c.conversationId),
      ).toEqual(active);
    });

    it('reads only the conversations of the page it answers, however many the caller has', async () => {
      for (const friend of PEOPLE.slice(1)) await chats.openDirect(alice, friend);
      const asked: number[] = [];
      const record =
        <A extends unknown[], R>(read: (ids: readonly string[], ...rest: A) => R) =>
        (ids: readonly string[], ...rest: A) => {
          asked.push(ids.length);
          return read(ids, ...rest);
        };
      const counted = conversations({
        ...deps,
        conversations: Object.assign(Object.create(store), {
          listConversationIdsOf: () => Promise.reject(new Error('reads every membership')),
          getMany: record(store.getMany.bind(store)),
          getMemberships: (userId: string, ids: readonly string[]) => {
            asked.push(ids.length);
            return store.getMemberships(userId, ids);
          },
        }),
        messages: Object.assign(Object.create(messages), { heads: record(messages.heads.bind(messages)) }),
      });

      const page = await counted.list(alice, 3);

      expect(page.items).toHaveLength(3);
      expect(page.next).toEqual(expect.any(String));
      expect(Math.max(...asked)).toBe(3);
    });

    it('goes on after a group the caller left between two pages', async () => {
      const groups = [];
      for (const name of ['A', 'B', 'C']) groups.push(await chats.createGroup(alice, name, ['bob']));
      const ids = groups.map((g) => g.conversationId).sort();
      const first = await chats.list(bob, 1);
      expect(first.items.map((c) => c.conversationId)).toEqual([ids[0]]);

      await chats.removeMember(bob, ids[0] as string, 'bob');
      const rest = await chats.list(bob, 5, first.next);

      expect(rest.items.map((c) => c.conversationId)).toEqual(ids.slice(1));
    });

    it('pages through conversations active in the same millisecond, each exactly once', async () => {
      const ids = new Set<string>();
      for (const friend of PEOPLE.slice(1)) ids.add((await chats.openDirect(alice, friend)).conversationId);

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await chats.list(alice, 2, cursor);
        seen.push(...page.items.map((c) => c.conversationId));
        cursor = page.next;
      } while (cursor && seen.length <= ids.size);

      expect(seen).toHaveLength(ids.size);
      expect(new Set(seen)).toEqual(ids);
    });

    it('no longer shows a group to a member who was removed', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob', 'carol']);
      await chats.removeMember(alice, group.conversationId, 'carol');

      expect((await chats.list(carol, 10)).items).toEqual([]);
      expect((await chats.list(bob, 10)).items.map((c) => c.memberIds)).toEqual([['alice', 'bob']]);
    });

    it('refuses a cursor it did not issue', async () => {
      await expect(chats.list(alice, 10, 'not-a-cursor')).rejects.toThrow(ValidationError);
      await expect(chats.list(alice, 10, encodeCursor({ after: 1 }))).rejects.toThrow(ValidationError);
    });

    it('lists nothing for a user without conversations', async () => {
      await expect(chats.list(as('judy'), 10)).resolves.toEqual({ items: [] });
    });
  });

  describe('rename', () => {
    it('renames a group for its admin and tells the members the new name', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);
      fanout.jobs.length = 0;

      const detail = await chats.rename(alice, group.conversationId, 'Trip 2025');

      expect(detail.name).toBe('Trip 2025');
      expect((await store.get(group.conversationId))?.name).toBe('Trip 2025');
      expect(announcements()).toEqual([
        expect.objectContaining({
          event: 'renamed',
          name: 'Trip 2025',
          actorId: 'alice',
          memberIds: ['alice', 'bob'],
        }),
      ]);
    });

    it('refuses members who are not admins, non-members and direct conversations', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);
      const direct = await chats.openDirect(alice, 'bob');

      await expect(chats.rename(bob, group.conversationId, 'Mine')).rejects.toThrow(ForbiddenError);
      await expect(chats.rename(carol, group.conversationId, 'Mine')).rejects.toThrow(ForbiddenError);
      await expect(chats.rename(alice, direct.conversationId, 'Us')).rejects.toThrow(ForbiddenError);
      expect((await store.get(group.conversationId))?.name).toBe('Trip');
    });
  });

  describe('addMembers', () => {
    it("adds the admin's friends as members and tells everyone who was added", async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);
      fanout.jobs.length = 0;
      vi.advanceTimersByTime(60_000);

      const detail = await chats.addMembers(alice, group.conversationId, ['bob', 'carol', 'dave', 'dave']);

      expect(detail.members.map((m) => [m.user.userId, m.role, m.joinedAt])).toEqual([
        ['alice', 'admin', iso(T0)],
        ['bob', 'member', iso(T0)],
        ['carol', 'member', iso(T0 + 60_000)],
        ['dave', 'member', iso(T0 + 60_000)],
      ]);
      expect(announcements()).toEqual([
        expect.objectContaining({
          event: 'members_added',
          memberIds: ['alice', 'bob', 'carol', 'dave'],
          userIds: ['carol', 'dave'],
          alsoUserIds: undefined,
        }),
      ]);
      await expect(chats.get(carol, group.conversationId)).resolves.toMatchObject({ role: 'member' });
    });

    it('announces nothing when everyone is a member already', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);
      fanout.jobs.length = 0;

      await chats.addMembers(alice, group.conversationId, ['bob', 'alice']);

      expect(fanout.jobs).toEqual([]);
      expect((await store.get(group.conversationId))?.version).toBe(group.version + 1);
    });

    it('refuses users who are not friends of the admin, and callers who are not admins', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);

      await expect(chats.addMembers(alice, group.conversationId, ['stranger'])).rejects.toThrow(
        ForbiddenError,
      );
      await expect(chats.addMembers(bob, group.conversationId, ['carol'])).rejects.toThrow(ForbiddenError);
      expect((await store.get(group.conversationId))?.memberIds).toEqual(['alice', 'bob']);
    });

    it(`refuses to grow a group past ${MAX_GROUP_MEMBERS} members`, async () => {
      const many = Array.from({ length: MAX_GROUP_MEMBERS }, (_, i) => `friend-${i}`);
      for (const id of many) await befriend(relationships, 'alice', id, T0);
      const group = await chats.createGroup(alice, 'Almost full', many.slice(0, MAX_GROUP_MEMBERS - 2));

      await chats.addMembers(alice, group.conversationId, [many[MAX_GROUP_MEMBERS - 2] as string]);

      await expect(
        chats.addMembers(alice, group.conversationId, [many[MAX_GROUP_MEMBERS - 1] as string]),
      ).rejects.toThrow(ValidationError);
      expect((await store.get(group.conversationId))?.memberIds).toHaveLength(MAX_GROUP_MEMBERS);
    });
  });

  describe('removeMember', () => {
    it('lets an admin remove a member, who loses access at once and is told too', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob', 'carol']);
      fanout.jobs.length = 0;

      await chats.removeMember(alice, group.conversationId, 'carol');

      await expect(chats.get(carol, group.conversationId)).rejects.toThrow(ForbiddenError);
      expect(announcements()).toEqual([
        {
          type: 'conversation',
          event: 'member_removed',
          conversationId: group.conversationId,
          kind: 'group',
          name: 'Trip',
          memberIds: ['alice', 'bob'],
          actorId: 'alice',
          userIds: ['carol'],
          membersVersion: 2,
          alsoUserIds: ['carol'],
        },
      ]);
    });

    it('lets a member leave, but not remove anyone else', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob', 'carol']);
      fanout.jobs.length = 0;

      await expect(chats.removeMember(bob, group.conversationId, 'carol')).rejects.toThrow(ForbiddenError);
      await chats.removeMember(bob, group.conversationId, 'bob');

      expect((await store.get(group.conversationId))?.memberIds).toEqual(['alice', 'carol']);
      expect(announcements()).toEqual([
        expect.objectContaining({
          event: 'member_left',
          actorId: 'bob',
          userIds: ['bob'],
          alsoUserIds: ['bob'],
        }),
      ]);
    });

    it('hands the admin role to the longest-standing member when the last admin leaves', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['carol']);
      vi.advanceTimersByTime(60_000);
      await chats.addMembers(alice, group.conversationId, ['bob']);

      await chats.removeMember(alice, group.conversationId, 'alice');

      expect((await store.listMembers(group.conversationId)).map((m) => [m.userId, m.role])).toEqual([
        ['bob', 'member'],
        ['carol', 'admin'],
      ]);
      await expect(chats.rename(carol, group.conversationId, 'Trip by Carol')).resolves.toBeDefined();
    });

    it('hands no role on while another admin stays', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob', 'carol']);
      const current = await store.get(group.conversationId);
      await store.change(group.conversationId, current?.version ?? 0, { roles: { carol: 'admin' } });

      await chats.removeMember(alice, group.conversationId, 'alice');

      expect((await store.listMembers(group.conversationId)).map((m) => [m.userId, m.role])).toEqual([
        ['bob', 'member'],
        ['carol', 'admin'],
      ]);
    });

    it('lets the last member leave', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);
      await chats.removeMember(bob, group.conversationId, 'bob');

      await chats.removeMember(alice, group.conversationId, 'alice');

      expect((await store.get(group.conversationId))?.memberIds).toEqual([]);
      expect((await chats.list(alice, 10)).items).toEqual([]);
    });

    it('answers NOT_FOUND for a user who is not a member, and refuses direct conversations', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);
      const direct = await chats.openDirect(alice, 'bob');

      await expect(chats.removeMember(alice, group.conversationId, 'carol')).rejects.toThrow(NotFoundError);
      await expect(chats.removeMember(alice, direct.conversationId, 'bob')).rejects.toThrow(ForbiddenError);
      await expect(chats.removeMember(alice, direct.conversationId, 'alice')).rejects.toThrow(ForbiddenError);
      await expect(chats.removeMember(carol, group.conversationId, 'bob')).rejects.toThrow(ForbiddenError);
    });
  });

  /** The group's logged events, in log order, with their seq and who the log names as their sender. */
  const loggedEvents = async (conversationId: string) =>
    (await messages.list(conversationId, { after: 0, limit: 100 }, Date.now())).messages
      .filter((m) => m.kind === 'event')
      .map((m) => ({
        seq: m.seq,
        senderId: m.senderId,
        event: parseConversationEvent(m.body ?? new Uint8Array()),
      }));

  describe('group events in the log', () => {
    it('logs additions, removals, leaving and renaming in order, each pushed to the members like a message', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);
      await post(group.conversationId, 'bob');
      fanout.jobs.length = 0;

      await chats.addMembers(alice, group.conversationId, ['carol', 'dave']);
      await chats.rename(alice, group.conversationId, 'Trip 2025');
      await chats.removeMember(alice, group.conversationId, 'dave');
      await chats.removeMember(carol, group.conversationId, 'carol');

      expect(await loggedEvents(group.conversationId)).toEqual([
        {
          seq: 2,
          senderId: 'alice',
          event: { type: 'members_added', actorId: 'alice', userIds: ['carol', 'dave'] },
        },
        { seq: 3, senderId: 'alice', event: { type: 'renamed', actorId: 'alice', name: 'Trip 2025' } },
        { seq: 4, senderId: 'alice', event: { type: 'member_removed', actorId: 'alice', userIds: ['dave'] } },
        { seq: 5, senderId: 'carol', event: { type: 'member_left', actorId: 'carol', userIds: ['carol'] } },
      ]);
      const pushed = fanout.jobs.filter((job) => job.kind === 'message');
      expect(pushed.map((job) => job.kind === 'message' && [job.seq, job.frame?.kind])).toEqual([
        [2, 'event'],
        [3, 'event'],
        [4, 'event'],
        [5, 'event'],
      ]);
    });

    it('counts no event as unread and keeps the last message as the preview', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);
      await post(group.conversationId, 'alice');

      await chats.addMembers(alice, group.conversationId, ['carol']);
      await chats.rename(alice, group.conversationId, 'Trip 2025');

      const [bobs] = (await chats.list(bob, 10)).items;
      expect(bobs).toMatchObject({ unread: 1, lastSeq: 3, lastMessage: { seq: 1, kind: 'message' } });
    });

    it('logs nothing for a rename to the same name, or when the last member leaves', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);

      await chats.rename(alice, group.conversationId, 'Trip');
      await chats.removeMember(bob, group.conversationId, 'bob');
      await chats.removeMember(alice, group.conversationId, 'alice');

      expect((await loggedEvents(group.conversationId)).map((e) => e.event?.type)).toEqual(['member_left']);
    });

    it('names the member who became admin when the last admin left', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob', 'carol']);

      await chats.removeMember(alice, group.conversationId, 'alice');

      expect((await loggedEvents(group.conversationId)).map((e) => e.event)).toEqual([
        { type: 'member_left', actorId: 'alice', userIds: ['alice'], admins: ['bob'] },
      ]);
    });
  });

  describe('setRole', () => {
    it('lets an admin make a member admin, logs it and tells everyone', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob', 'carol']);
      fanout.jobs.length = 0;

      const detail = await chats.setRole(alice, group.conversationId, 'bob', 'admin');

      expect(detail.members.map((m) => [m.user.userId, m.role])).toEqual([
        ['alice', 'admin'],
        ['bob', 'admin'],
        ['carol', 'member'],
      ]);
      expect(announcements()).toEqual([
        expect.objectContaining({ event: 'role_changed', actorId: 'alice', userIds: ['bob'], role: 'admin' }),
      ]);
      expect((await loggedEvents(group.conversationId)).map((e) => e.event)).toEqual([
        { type: 'role_changed', actorId: 'alice', userIds: ['bob'], role: 'admin' },
      ]);
      // The new admin can do what admins do.
      await expect(chats.rename(bob, group.conversationId, 'Bob’s trip')).resolves.toBeDefined();
    });

    it('lets an admin dismiss another admin, who can then no longer manage the group', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);
      await chats.setRole(alice, group.conversationId, 'bob', 'admin');

      await chats.setRole(bob, group.conversationId, 'alice', 'member');
      const detail = await chats.setRole(alice, group.conversationId, 'bob', 'member').catch((e) => e);

      expect(detail).toBeInstanceOf(ForbiddenError);
      expect((await store.listMembers(group.conversationId)).map((m) => [m.userId, m.role])).toEqual([
        ['alice', 'member'],
        ['bob', 'admin'],
      ]);
    });

    it('refuses to leave a group without an admin: the last admin cannot step down', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);

      await expect(chats.setRole(alice, group.conversationId, 'alice', 'member')).rejects.toThrow(
        ConflictError,
      );

      expect((await store.listMembers(group.conversationId)).map((m) => m.role)).toEqual(['admin', 'member']);
      expect(await loggedEvents(group.conversationId)).toEqual([]);
    });

    it('changes nothing and logs nothing when the member has that role already', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);
      fanout.jobs.length = 0;

      await chats.setRole(alice, group.conversationId, 'bob', 'member');

      expect(fanout.jobs).toEqual([]);
      expect((await store.get(group.conversationId))?.version).toBe(group.version);
    });

    it('refuses members who are not admins, non-members, unknown members and direct conversations', async () => {
      const group = await chats.createGroup(alice, 'Trip', ['bob']);
      const direct = await chats.openDirect(alice, 'bob');

      await expect(chats.setRole(bob, group.conversationId, 'bob', 'admin')).rejects.toThrow(ForbiddenError);
      await expect(chats.setRole(carol, group.conversationId, 'bob', 'admin')).rejects.toThrow(
        ForbiddenError,
      );
      await expect(chats.setRole(alice, group.conversationId, 'carol', 'admin')).rejects.toThrow(
        NotFoundError,
      );
      await expect(chats.setRole(alice, direct.conversationId, 'bob', 'admin')).rejects.toThrow(
        ForbiddenError,
      );
    });
  });
});
