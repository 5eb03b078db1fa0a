import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FriendPush } from '../../../shared/protocol/outbound';
import type { MemoryDeps } from '../../../test/support/fixtures';
import { memoryDeps, rateLimiterWith } from '../../../test/support/fixtures';
import type { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import { InMemoryRelationshipStore } from '../../adapters/memory/memory-relationship-store';
import {
  ConflictError,
  ForbiddenError,
  FriendsFullError,
  LimitReachedError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
} from '../../errors';
import { FRIENDSHIP_ENDED } from '../../ports/message-log';
import { directConversationId } from '../conversation/direct-conversation';
import { friends } from './friends';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const ISO_T0 = '2025-03-01T12:00:00.000Z';
const profile = (userId: string) => ({
  userId,
  username: userId,
  displayName: userId.toUpperCase(),
  email: `${userId}@example.com`,
  createdAt: T0,
});
const publicOf = (userId: string) => ({ userId, username: userId, displayName: userId.toUpperCase() });

const alice = { userId: 'alice', correlationId: 'req-alice' };
const bob = { userId: 'bob', correlationId: 'req-bob' };
const carol = { userId: 'carol', correlationId: 'req-carol' };
const dave = { userId: 'dave', correlationId: 'req-dave' };

describe('friends', () => {
  let deps: MemoryDeps;
  let relationships: InMemoryRelationshipStore;
  let fanout: InMemoryFanoutQueue;
  let use: ReturnType<typeof friends>;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps({ profiles: ['alice', 'bob', 'carol', 'dave'].map(profile) });
    ({ relationships, fanout } = deps);
    use = friends(deps);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** The friend pushes queued, as (recipient, event, about whom, recipient's state). */
  const pushes = () =>
    fanout.jobs.flatMap((job) => {
      if (job.kind !== 'users' || job.frame.type !== 'friend') return [];
      const frame = job.frame as FriendPush;
      return [{ to: job.userIds, event: frame.event, user: frame.user.userId, state: frame.state }];
    });

  const stateBetween = async (userId: string, otherId: string) =>
    (await relationships.relation(userId, otherId)).friend?.state;

  describe('request', () => {
    it('sends a request by user id: outgoing for the caller, incoming for the other, both told', async () => {
      const friend = await use.request(alice, { userId: 'bob' });

      expect(friend).toEqual({ user: publicOf('bob'), state: 'outgoing', since: ISO_T0 });
      expect(await stateBetween('alice', 'bob')).toBe('outgoing');
      expect(await stateBetween('bob', 'alice')).toBe('incoming');
      expect(pushes()).toEqual(
        expect.arrayContaining([
          { to: ['bob'], event: 'requested', user: 'alice', state: 'incoming' },
          { to: ['alice'], event: 'requested', user: 'bob', state: 'outgoing' },
        ]),
      );
      expect(pushes()).toHaveLength(2);
      expect(fanout.jobs.every((job) => job.correlationId === 'req-alice')).toBe(true);
    });

    it('finds the other user by username or by email, whatever the case', async () => {
      await use.request(alice, { username: 'BOB' });
      await use.request(alice, { email: 'Carol@Example.com' });

      expect(await stateBetween('bob', 'alice')).toBe('incoming');
      expect(await stateBetween('carol', 'alice')).toBe('incoming');
    });

    it('answers NOT_FOUND for a user who does not exist', async () => {
      await expect(use.request(alice, { userId: 'nobody' })).rejects.toThrow(NotFoundError);
      await expect(use.request(alice, { username: 'nobody' })).rejects.toThrow(NotFoundError);
      await expect(use.request(alice, { email: 'nobody@example.com' })).rejects.toThrow(NotFoundError);
      expect(fanout.jobs).toEqual([]);
    });

    it('refuses a request to oneself', async () => {
      await expect(use.request(alice, { username: 'alice' })).rejects.toThrow(ValidationError);
      expect(await stateBetween('alice', 'alice')).toBeUndefined();
    });

    it('answers a repeated request with the pending one, telling nobody again', async () => {
      await use.request(alice, { userId: 'bob' });
      vi.advanceTimersByTime(60_000);

      const again = await use.request(alice, { userId: 'bob' });

      expect(again).toEqual({ user: publicOf('bob'), state: 'outgoing', since: ISO_T0 });
      expect(pushes()).toHaveLength(2);
    });

    it('accepts at once when the other user already asked the caller', async () => {
      await use.request(bob, { userId: 'alice' });
      fanout.jobs.length = 0;
      vi.advanceTimersByTime(60_000);

      const friend = await use.request(alice, { userId: 'bob' });

      expect(friend).toEqual({ user: publicOf('bob'), state: 'friend', since: '2025-03-01T12:01:00.000Z' });
      expect(await stateBetween('alice', 'bob')).toBe('friend');
      expect(await stateBetween('bob', 'alice')).toBe('friend');
      expect(pushes()).toEqual(
        expect.arrayContaining([
          { to: ['bob'], event: 'accepted', user: 'alice', state: 'friend' },
          { to: ['alice'], event: 'accepted', user: 'bob', state: 'friend' },
        ]),
      );
      expect(pushes()).toHaveLength(2);
    });

    it('answers CONFLICT between friends', async () => {
      await use.request(bob, { userId: 'alice' });
      await use.accept(alice, 'bob');

      await expect(use.request(alice, { userId: 'bob' })).rejects.toThrow(ConflictError);
    });

    it('refuses a request to a user who blocked the caller as if they did not exist, or whom the caller blocked', async () => {
      await relationships.block({ userId: 'bob', blockedId: 'alice', since: T0 });
      await relationships.block({ userId: 'alice', blockedId: 'carol', since: T0 });
      const nobody = await use.request(alice, { userId: 'nobody' }).catch((error: unknown) => error);
      const blocker = await use.request(alice, { userId: 'bob' }).catch((error: unknown) => error);
      expect(blocker).toBeInstanceOf(NotFoundError);
      expect(blocker).toEqual(nobody);

      await expect(use.request(alice, { userId: 'carol' })).rejects.toThrow(ForbiddenError);
      expect(await stateBetween('bob', 'alice')).toBeUndefined();
      expect(await stateBetween('carol', 'alice')).toBeUndefined();
      expect(fanout.jobs).toEqual([]);
    });

    it("counts requests against the caller's friend-request allowance", async () => {
      const strict = friends({
        ...deps,
        rateLimiter: rateLimiterWith({ friendRequest: { limit: 1, windowSeconds: 3600 } }),
      });
      await strict.request(alice, { userId: 'bob' });

      await expect(strict.request(alice, { userId: 'carol' })).rejects.toThrow(RateLimitedError);
      expect(await stateBetween('carol', 'alice')).toBeUndefined();
    });
  });

  describe('accept, reject, cancel, unfriend', () => {
    beforeEach(async () => {
      await use.request(bob, { userId: 'alice' });
      fanout.jobs.length = 0;
      vi.advanceTimersByTime(60_000);
    });

    it('accept makes both friends and tells both', async () => {
      const friend = await use.accept(alice, 'bob');

      expect(friend).toEqual({ user: publicOf('bob'), state: 'friend', since: '2025-03-01T12:01:00.000Z' });
      expect(await stateBetween('bob', 'alice')).toBe('friend');
      expect(pushes()).toEqual(
        expect.arrayContaining([
          { to: ['bob'], event: 'accepted', user: 'alice', state: 'friend' },
          { to: ['alice'], event: 'accepted', user: 'bob', state: 'friend' },
        ]),
      );
    });

    it('accept answers NOT_FOUND to the one who asked, and without any request', async () => {
      await expect(use.accept(bob, 'alice')).rejects.toThrow(NotFoundError);
      await expect(use.accept(alice, 'carol')).rejects.toThrow(NotFoundError);
      expect(await stateBetween('bob', 'alice')).toBe('outgoing');
      expect(fanout.jobs).toEqual([]);
    });

    it('reject removes the request on both sides and tells both, with no state left', async () => {
      await use.reject(alice, 'bob');

      expect(await stateBetween('alice', 'bob')).toBeUndefined();
      expect(await stateBetween('bob', 'alice')).toBeUndefined();
      expect(pushes()).toEqual(
        expect.arrayContaining([
          { to: ['bob'], event: 'rejected', user: 'alice', state: undefined },
          { to: ['alice'], event: 'rejected', user: 'bob', state: undefined },
        ]),
      );
    });

    it('reject answers NOT_FOUND to the one who asked', async () => {
      await expect(use.reject(bob, 'alice')).rejects.toThrow(NotFoundError);
      expect(await stateBetween('bob', 'alice')).toBe('outgoing');
    });

    it("cancel withdraws the caller's own request and tells both", async () => {
      await use.cancel(bob, 'alice');

      expect(await stateBetween('alice', 'bob')).toBeUndefined();
      expect(pushes()).toEqual(
        expect.arrayContaining([
          { to: ['alice'], event: 'cancelled', user: 'bob', state: undefined },
          { to: ['bob'], event: 'cancelled', user: 'alice', state: undefined },
        ]),
      );
    });

    it('cancel answers NOT_FOUND to the one who was asked', async () => {
      await expect(use.cancel(alice, 'bob')).rejects.toThrow(NotFoundError);
      expect(await stateBetween('alice', 'bob')).toBe('incoming');
    });

    it('unfriend ends a friendship and tells both', async () => {
      await use.accept(alice, 'bob');
      fanout.jobs.length = 0;

      await use.unfriend(bob, 'alice');

      expect(await stateBetween('alice', 'bob')).toBeUndefined();
      expect(pushes()).toEqual(
        expect.arrayContaining([
          { to: ['alice'], event: 'removed', user: 'bob', state: undefined },
          { to: ['bob'], event: 'removed', user: 'alice', state: undefined },
        ]),
      );
    });

    it('unfriend answers NOT_FOUND while the request is still pending', async () => {
      await expect(use.unfriend(alice, 'bob')).rejects.toThrow(NotFoundError);
      await expect(use.unfriend(bob, 'alice')).rejects.toThrow(NotFoundError);
      expect(await stateBetween('alice', 'bob')).toBe('incoming');
    });
  });

  describe('block', () => {
    it('ends a friendship, telling both it was removed, and returns the block', async () => {
      await use.request(bob, { userId: 'alice' });
      await use.accept(alice, 'bob');
      fanout.jobs.length = 0;

      const block = await use.block(alice, 'bob');

      expect(block).toEqual({ user: publicOf('bob'), since: ISO_T0 });
      expect(await stateBetween('alice', 'bob')).toBeUndefined();
      expect(await stateBetween('bob', 'alice')).toBeUndefined();
      expect(pushes()).toEqual(
        expect.arrayContaining([
          { to: ['bob'], event: 'removed', user: 'alice', state: undefined },
          { to: ['alice'], event: 'removed', user: 'bob', state: undefined },
        ]),
      );
      await expect(use.request(bob, { userId: 'alice' })).rejects.toThrow(NotFoundError);
    });

    it('ends a pending request too', async () => {
      await use.request(bob, { userId: 'alice' });

      await use.block(alice, 'bob');

      expect(await stateBetween('bob', 'alice')).toBeUndefined();
      await expect(use.accept(alice, 'bob')).rejects.toThrow(NotFoundError);
    });

    it('tells nobody when there was nothing between them', async () => {
      await use.block(alice, 'bob');

      expect(fanout.jobs).toEqual([]);
      expect((await relationships.relation('bob', 'alice')).blockedBy).toBe(true);
    });

    it('answers a blocked user blocking back as for a user who does not exist, storing nothing', async () => {
      await use.block(alice, 'bob');
      const nobody = await use.block(bob, 'nobody').catch((error: unknown) => error);

      const back = await use.block(bob, 'alice').catch((error: unknown) => error);

      expect(back).toBeInstanceOf(NotFoundError);
      expect(back).toEqual(nobody);
      expect((await use.listBlocks(bob, 10)).items).toEqual([]);
      // Once unblocked, Bob can block Alice like anyone.
      await use.unblock(alice, 'bob');
      await expect(use.block(bob, 'alice')).resolves.toMatchObject({ user: publicOf('alice') });
    });

    it('refuses oneself and unknown users', async () => {
      await expect(use.block(alice, 'alice')).rejects.toThrow(ValidationError);
      await expect(use.block(alice, 'nobody')).rejects.toThrow(NotFoundError);
      expect((await use.listBlocks(alice, 10)).items).toEqual([]);
    });

    it('lists blocks with profiles, and unblock lets requests through again', async () => {
      await use.block(alice, 'bob');
      vi.advanceTimersByTime(1_000);
      await use.block(alice, 'carol');

      expect(await use.listBlocks(alice, 10)).toEqual({
        items: [
          { user: publicOf('bob'), since: ISO_T0 },
          { user: publicOf('carol'), since: '2025-03-01T12:00:01.000Z' },
        ],
      });

      await use.unblock(alice, 'bob');

      expect((await use.listBlocks(alice, 10)).items.map((b) => b.user.userId)).toEqual(['carol']);
      await expect(use.request(bob, { userId: 'alice' })).resolves.toMatchObject({ state: 'outgoing' });
    });
  });

  describe('list', () => {
    it('lists friends and pending requests both ways, page by page', async () => {
      await use.request(bob, { userId: 'alice' });
      await use.accept(alice, 'bob');
      await use.request(alice, { userId: 'carol' });
      await use.request(dave, { userId: 'alice' });

      const first = await use.list(alice, 2);

      expect(first.items).toEqual([
        { user: publicOf('bob'), state: 'friend', since: ISO_T0 },
        { user: publicOf('carol'), state: 'outgoing', since: ISO_T0 },
      ]);
      expect(first.next).toEqual(expect.any(String));

      const second = await use.list(alice, 2, first.next);

      expect(second).toEqual({ items: [{ user: publicOf('dave'), state: 'incoming', since: ISO_T0 }] });
    });

    it("refuses a cursor of another user's list", async () => {
      await use.request(bob, { userId: 'alice' });
      await use.request(bob, { userId: 'carol' });
      const bobs = await use.list(bob, 1);

      await expect(use.list(alice, 1, bobs.next)).rejects.toThrow(ValidationError);
    });
  });
  describe('friends per user (the friendsPerUser cap)', () => {
    let capped: ReturnType<typeof friends>;
    const erin = { userId: 'erin', correlationId: 'req-erin' };

    beforeEach(async () => {
      deps = memoryDeps({
        profiles: ['alice', 'bob', 'carol', 'dave', 'erin'].map(profile),
        caps: { friendsPerUser: 2 },
      });
      ({ relationships, fanout } = deps);
      capped = friends(deps);
      // Alice is at the cap: a friend and a request she sent.
      await capped.request(bob, { userId: 'alice' });
      await capped.accept(alice, 'bob');
      await capped.request(alice, { userId: 'carol' });
      fanout.jobs.length = 0;
    });

    const counts = () =>
      Promise.all(['alice', 'bob', 'carol', 'dave', 'erin'].map((id) => relationships.countFriendsOf(id)));

    it('refuses a request from a sender at the cap with LIMIT_REACHED naming it, storing nothing and telling nobody', async () => {
      const refused = capped.request(alice, { userId: 'dave' });

      await expect(refused).rejects.toThrow(LimitReachedError);
      await expect(refused).rejects.toMatchObject({ code: 'LIMIT_REACHED', cap: 'friendsPerUser', limit: 2 });
      await expect(refused).rejects.toThrow(
        'You have as many friends and friend requests as allowed: remove a friend, or cancel or reject a request, to make room (cap friendsPerUser: 2)',
      );
      expect(await stateBetween('dave', 'alice')).toBeUndefined();
      expect(await counts()).toEqual([2, 1, 1, 0, 0]);
      expect(fanout.jobs).toEqual([]);
    });

    it('refuses a request to a recipient at the cap as if they did not exist, as a block does, storing nothing', async () => {
      await relationships.block({ userId: 'erin', blockedId: 'dave', since: T0 });
      const blocked = await capped.request(dave, { userId: 'erin' }).catch((error: unknown) => error);

      const full = await capped.request(dave, { userId: 'alice' }).catch((error: unknown) => error);

      expect(full).toBeInstanceOf(NotFoundError);
      expect(full).toEqual(blocked);
      expect(await stateBetween('dave', 'alice')).toBeUndefined();
      expect(await counts()).toEqual([2, 1, 1, 0, 0]);
      expect(fanout.jobs).toEqual([]);
    });

    it('tells a sender at the cap of their own cap, even when the recipient is full too', async () => {
      await capped.request(bob, { userId: 'erin' });
      await capped.request(dave, { userId: 'erin' });

      await expect(capped.request(alice, { userId: 'erin' })).rejects.toThrow(LimitReachedError);
      await expect(capped.request(carol, { userId: 'erin' })).rejects.toThrow(NotFoundError);
    });

    it('accepts a request between users at the cap, by accept or by asking back: it holds its place already', async () => {
      await capped.request(dave, { userId: 'carol' });

      await expect(capped.accept(carol, 'alice')).resolves.toMatchObject({ state: 'friend' });
      await expect(capped.request(carol, { userId: 'dave' })).resolves.toMatchObject({ state: 'friend' });
      expect(await counts()).toEqual([2, 1, 2, 1, 0]);
    });

    it('words a refused acceptance for whoever accepts: their own cap, or the cap of the one who asked', async () => {
      const full = (userIds: string[]) =>
        Object.assign(new InMemoryRelationshipStore(), {
          putFriendPair: async () => {
            throw new FriendsFullError(2, userIds);
          },
          relation: relationships.relation.bind(relationships),
        });
      // Alice and Carol were friends once: their direct conversation is closed until they are again.
      const direct = directConversationId('alice', 'carol');
      await deps.messages.setClosed(direct, FRIENDSHIP_ENDED, true);
      const mine = friends({ ...deps, relationships: full(['carol']) });
      const theirs = friends({ ...deps, relationships: full(['alice']) });

      await expect(mine.accept(carol, 'alice')).rejects.toThrow(/^You have as many friends/);
      await expect(theirs.accept(carol, 'alice')).rejects.toThrow(
        'This request cannot be accepted now: the user who sent it has as many friends and friend requests as allowed (cap friendsPerUser: 2)',
      );
      await expect(theirs.request(carol, { userId: 'alice' })).rejects.toMatchObject({
        cap: 'friendsPerUser',
      });
      // A refused acceptance leaves it closed.
      expect((await deps.messages.heads([direct])).get(direct)?.closed).toBe(true);
    });

    it.each([
      ['cancel', () => capped.cancel(alice, 'carol')],
      ['reject', () => capped.reject(carol, 'alice')],
      ['unfriend', () => capped.unfriend(alice, 'bob')],
      ['block', () => capped.block(alice, 'bob')],
      ['block by the other', () => capped.block(carol, 'alice')],
    ])('frees a place on both sides by %s, so a new request goes through', async (_how, free) => {
      await free();

      expect((await counts())[0]).toBe(1);
      await expect(capped.request(alice, { userId: 'dave' })).resolves.toMatchObject({ state: 'outgoing' });
      expect((await counts())[0]).toBe(2);
    });

    it("frees the other users' places when an account's friendships are forgotten", async () => {
      await capped.request(erin, { userId: 'bob' });

      await capped.forgetAll(alice);

      expect(await counts()).toEqual([0, 1, 0, 0, 1]);
    });
  });
});
