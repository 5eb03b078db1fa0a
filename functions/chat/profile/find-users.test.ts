import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MemoryDeps } from '../../../test/support/fixtures';
import { memoryDeps, rateLimiterWith } from '../../../test/support/fixtures';
import type { InMemoryRelationshipStore } from '../../adapters/memory/memory-relationship-store';
import { NotFoundError, RateLimitedError, ValidationError } from '../../errors';
import { findUsers, getUser } from './find-users';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const profile = (userId: string, username: string) => ({
  userId,
  username,
  displayName: `${username[0]?.toUpperCase()}${username.slice(1)}`,
  email: `${username}@example.com`,
  createdAt: T0,
});
const publicOf = (userId: string, username: string) => {
  const { email: _email, createdAt: _createdAt, ...rest } = profile(userId, username);
  return rest;
};

describe('findUsers', () => {
  let deps: MemoryDeps;
  let relationships: InMemoryRelationshipStore;
  let find: ReturnType<typeof findUsers>;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps({
      profiles: [
        profile('alice', 'alice'),
        profile('bob', 'bob'),
        profile('bo', 'bobby'),
        profile('bea', 'bobcat'),
        profile('carol', 'carol'),
      ],
    });
    ({ relationships } = deps);
    find = findUsers(deps);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('finds a user by exact email, whatever its case, and shows only the public profile', async () => {
    const page = await find({ userId: 'alice' }, { email: 'Carol@Example.COM', limit: 10 });

    expect(page).toEqual({ items: [publicOf('carol', 'carol')] });
  });

  it('finds nobody for an unknown email or a partial one', async () => {
    expect(await find({ userId: 'alice' }, { email: 'nobody@example.com', limit: 10 })).toEqual({
      items: [],
    });
    expect(await find({ userId: 'alice' }, { email: 'carol@example', limit: 10 })).toEqual({ items: [] });
  });

  it('lists the first usernames starting with a prefix in username order, and no further page', async () => {
    const first = await find({ userId: 'alice' }, { prefix: 'BOB', limit: 2 });

    expect(first).toEqual({ items: [publicOf('bob', 'bob'), publicOf('bo', 'bobby')] });
  });

  it('refuses a prefix shorter than three characters', async () => {
    await expect(find({ userId: 'alice' }, { prefix: 'bo', limit: 10 })).rejects.toThrow(ValidationError);
    await expect(find({ userId: 'alice' }, { prefix: 'b', limit: 10 })).rejects.toThrow(ValidationError);
  });

  it('hides users who blocked the caller and users the caller blocked', async () => {
    await relationships.block({ userId: 'bob', blockedId: 'alice', since: T0 });
    await relationships.block({ userId: 'alice', blockedId: 'bea', since: T0 });

    const page = await find({ userId: 'alice' }, { prefix: 'bob', limit: 10 });

    expect(page.items.map((user) => user.userId)).toEqual(['bo']);
    expect(await find({ userId: 'alice' }, { email: 'bob@example.com', limit: 10 })).toEqual({ items: [] });
    expect((await find({ userId: 'carol' }, { prefix: 'bob', limit: 10 })).items).toHaveLength(3);
  });

  it("counts every search against the caller's allowance", async () => {
    const strict = findUsers({
      ...deps,
      rateLimiter: rateLimiterWith({ search: { limit: 1, windowSeconds: 60 } }),
    });
    await strict({ userId: 'alice' }, { email: 'nobody@example.com', limit: 10 });

    await expect(strict({ userId: 'alice' }, { prefix: 'bob', limit: 10 })).rejects.toThrow(RateLimitedError);
    await expect(strict({ userId: 'carol' }, { prefix: 'bob', limit: 10 })).resolves.toBeDefined();
    // The sliding window: a search at the end of one minute still weighs at the start of the next.
    vi.advanceTimersByTime(60_000);
    await expect(strict({ userId: 'alice' }, { prefix: 'bob', limit: 10 })).rejects.toThrow(RateLimitedError);
    vi.advanceTimersByTime(60_000);
    await expect(strict({ userId: 'alice' }, { prefix: 'bob', limit: 10 })).resolves.toBeDefined();
  });
});

describe('getUser', () => {
  let relationships: InMemoryRelationshipStore;
  let get: ReturnType<typeof getUser>;

  beforeEach(() => {
    const deps = memoryDeps({ profiles: [profile('alice', 'alice'), profile('bob', 'bob')] });
    ({ relationships } = deps);
    get = getUser(deps);
  });

  it("returns a user's public profile", async () => {
    await expect(get({ userId: 'alice' }, 'bob')).resolves.toEqual(publicOf('bob', 'bob'));
  });

  it('answers NOT_FOUND for an unknown user', async () => {
    await expect(get({ userId: 'alice' }, 'nobody')).rejects.toThrow(NotFoundError);
  });

  it('answers NOT_FOUND to a caller the user blocked, as if they did not exist', async () => {
    await relationships.block({ userId: 'bob', blockedId: 'alice', since: T0 });

    await expect(get({ userId: 'alice' }, 'bob')).rejects.toThrow(NotFoundError);
  });

  it('still shows a user the caller blocked, so they can be unblocked', async () => {
    await relationships.block({ userId: 'alice', blockedId: 'bob', since: T0 });

    await expect(get({ userId: 'alice' }, 'bob')).resolves.toEqual(publicOf('bob', 'bob'));
  });
});
