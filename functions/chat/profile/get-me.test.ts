import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MeSchema } from '../../../shared/protocol/resources';
import { memoryDeps } from '../../../test/support/fixtures';
import type { InMemoryProfileStore } from '../../adapters/memory/memory-profile-store';
import { ConflictError, NotFoundError } from '../../errors';
import { getMe, usernameFromEmail } from './get-me';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const alice = { userId: 'alice-sub', username: 'cognito-alice' };

describe('getMe', () => {
  let profiles: InMemoryProfileStore;
  let me: ReturnType<typeof getMe>;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    const deps = memoryDeps({
      accounts: { 'cognito-alice': { userId: 'alice-sub', email: 'Alice.Smith+parley@Example.com' } },
    });
    ({ profiles } = deps);
    me = getMe(deps);
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('creates the profile on the first call, named after the email as the user typed it', async () => {
    const created = await me(alice);

    expect(created).toEqual({
      userId: 'alice-sub',
      username: 'alice.smith',
      displayName: 'Alice.Smith',
      email: 'alice.smith+parley@example.com',
      createdAt: '2025-03-01T12:00:00.000Z',
    });
    expect(MeSchema.safeParse(created).success).toBe(true);
    expect(profiles.usernameOwner('alice.smith')).toBe('alice-sub');
  });

  it('returns the stored profile on later calls, unchanged', async () => {
    const first = await me(alice);
    await profiles.update('alice-sub', { displayName: 'Alice' });
    vi.advanceTimersByTime(86_400_000);

    const later = await me(alice);

    expect(later).toEqual({ ...first, displayName: 'Alice' });
    expect(profiles.size).toBe(1);
  });

  it('adds a numeric suffix when the username from the email is taken', async () => {
    profiles.add({
      userId: 'other-sub',
      username: 'alice.smith',
      displayName: 'Another Alice',
      email: 'alice.smith@elsewhere.org',
      createdAt: T0,
    });
    vi.spyOn(Math, 'random').mockReturnValue(0.5);

    const created = await me(alice);

    expect(created.username).toBe('alice.smith5500');
    expect(profiles.usernameOwner('alice.smith')).toBe('other-sub');
  });

  it('falls back to a username made from the user id when every suffix is taken', async () => {
    for (const username of ['alice.smith', 'alice.smith5500']) {
      profiles.add({
        userId: `holder-of-${username.replaceAll('.', '-')}`,
        username,
        displayName: 'x',
        email: `${username}@x.org`,
        createdAt: T0,
      });
    }
    vi.spyOn(Math, 'random').mockReturnValue(0.5);

    const created = await me(alice);

    expect(created.username).toBe('user_alicesub');
  });

  it('refuses to create a second profile for an email another user already holds', async () => {
    profiles.add({
      userId: 'other-sub',
      username: 'someone',
      displayName: 'x',
      email: 'alice.smith+parley@example.com',
      createdAt: T0,
    });

    await expect(me(alice)).rejects.toThrow(ConflictError);
    expect(await profiles.get('alice-sub')).toBeUndefined();
  });

  it('answers NOT_FOUND for a user name the identity provider does not know, creating nothing', async () => {
    await expect(me({ userId: 'ghost-sub', username: 'ghost' })).rejects.toThrow(NotFoundError);
    expect(profiles.size).toBe(0);
  });

  it('answers NOT_FOUND when the user name belongs to another user id (a reused name)', async () => {
    await expect(me({ userId: 'mallory-sub', username: 'cognito-alice' })).rejects.toThrow(NotFoundError);
    expect(profiles.size).toBe(0);
  });
});

describe('usernameFromEmail', () => {
  it.each([
    ['Ada.Lovelace+chat@example.com', 'ada.lovelace'],
    ["o'brien-jr@example.com", 'obrienjr'],
    ['jo@example.com', 'jouser'],
    ['+tag@example.com', 'user'],
    ['a_very_long_local_part_of_an_address@example.com', 'a_very_long_local_part_o'],
  ])('makes %s into %s', (email, username) => {
    expect(usernameFromEmail(email)).toBe(username);
  });
});
