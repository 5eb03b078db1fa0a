import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MUTED_FOREVER } from '../../../shared/protocol/limits';
import {
  type MemoryDeps,
  memoryDeps,
  rateLimiterWith,
  seedConversation,
} from '../../../test/support/fixtures';
import type { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import type { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import { ForbiddenError, LimitReachedError, RateLimitedError } from '../../errors';
import { conversations as conversationsOf } from './conversations';
import { updateSettings } from './update-settings';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const HOUR_IN_MS = 60 * 60 * 1000;
const alice = { userId: 'alice', correlationId: 'req-alice' };
const groupId = (n: number) => `g_group${n}`;

describe('updateSettings', () => {
  let deps: MemoryDeps;
  let store: InMemoryConversationStore;
  let fanout: InMemoryFanoutQueue;
  let update: ReturnType<typeof updateSettings>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps();
    ({ conversations: store, fanout } = deps);
    update = updateSettings({ ...deps, maxPinned: 2 });
    for (const n of [1, 2, 3]) {
      await seedConversation(store, {
        conversationId: groupId(n),
        kind: 'group',
        name: `G${n}`,
        memberIds: ['alice', 'bob'],
        now: T0,
      });
    }
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("sets the caller's settings, answers them all and pushes them to the caller's devices only", async () => {
    const until = new Date(T0 + HOUR_IN_MS).toISOString();

    const settings = await update(alice, groupId(1), {
      pinned: true,
      archived: true,
      mutedUntil: until,
      markedUnread: true,
    });

    const expected = {
      conversationId: groupId(1),
      pinned: true,
      archived: true,
      mutedUntil: until,
      markedUnread: true,
    };
    expect(settings).toEqual(expected);
    expect(fanout.jobs).toEqual([
      {
        kind: 'users',
        userIds: ['alice'],
        frame: { type: 'settings', ...expected },
        correlationId: 'req-alice',
      },
    ]);
    const [listed] = (await conversationsOf(deps).list(alice, 20)).items.filter(
      (c) => c.conversationId === groupId(1),
    );
    expect(listed).toMatchObject({ pinned: true, archived: true, mutedUntil: until, markedUnread: true });
    const [bobs] = (await conversationsOf(deps).list({ userId: 'bob', correlationId: 'b' }, 20)).items;
    expect(bobs).not.toHaveProperty('pinned');
    expect(bobs).not.toHaveProperty('archived');
  });

  it('changes only the fields given, and unsets with false and null', async () => {
    await update(alice, groupId(1), { pinned: true, archived: true, mutedUntil: MUTED_FOREVER });

    const settings = await update(alice, groupId(1), { archived: false, mutedUntil: null });

    expect(settings).toEqual({
      conversationId: groupId(1),
      pinned: true,
      archived: false,
      markedUnread: false,
    });
  });

  it('takes a mute that has run out, or a time already past, as no mute', async () => {
    await update(alice, groupId(1), { mutedUntil: new Date(T0 + HOUR_IN_MS).toISOString() });
    vi.setSystemTime(T0 + 2 * HOUR_IN_MS);

    const [listed] = (await conversationsOf(deps).list(alice, 20)).items.filter(
      (c) => c.conversationId === groupId(1),
    );
    const past = await update(alice, groupId(2), { mutedUntil: new Date(T0).toISOString() });

    expect(listed).not.toHaveProperty('mutedUntil');
    expect(past).not.toHaveProperty('mutedUntil');
    expect((await store.getMembership(groupId(2), 'alice'))?.mutedUntil).toBeUndefined();
  });

  it('refuses a pin past the cap, storing nothing, until one is unpinned', async () => {
    await update(alice, groupId(1), { pinned: true });
    await update(alice, groupId(2), { pinned: true });

    await expect(update(alice, groupId(3), { pinned: true, archived: true })).rejects.toThrow(
      LimitReachedError,
    );
    expect(await store.getMembership(groupId(3), 'alice')).not.toHaveProperty('archived');
    await update(alice, groupId(1), { pinned: false });
    await expect(update(alice, groupId(3), { pinned: true })).resolves.toMatchObject({ pinned: true });
  });

  it('does not count the pins of conversations the caller has left', async () => {
    await update(alice, groupId(1), { pinned: true });
    await update(alice, groupId(2), { pinned: true });
    await store.change(groupId(1), 1, { remove: ['alice'] });

    await expect(update(alice, groupId(3), { pinned: true })).resolves.toMatchObject({ pinned: true });
    expect((await store.listPinned('alice')).sort()).toEqual([groupId(2), groupId(3)]);
  });

  it('counts each change against the write allowance', async () => {
    update = updateSettings({
      ...deps,
      rateLimiter: rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } }),
      maxPinned: 2,
    });
    await update(alice, groupId(1), { archived: true });

    await expect(update(alice, groupId(1), { archived: false })).rejects.toThrow(RateLimitedError);
  });

  it('refuses a non-member', async () => {
    await expect(
      update({ userId: 'carol', correlationId: 'c' }, groupId(1), { archived: true }),
    ).rejects.toThrow(ForbiddenError);
    expect(fanout.jobs).toEqual([]);
  });
});
