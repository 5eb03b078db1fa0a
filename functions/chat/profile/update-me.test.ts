import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MemoryDeps } from '../../../test/support/fixtures';
import { memoryDeps, rateLimiterWith } from '../../../test/support/fixtures';
import type { InMemoryProfileStore } from '../../adapters/memory/memory-profile-store';
import { ConflictError, NotFoundError, RateLimitedError } from '../../errors';
import { updateMe } from './update-me';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const profile = (userId: string, username: string) => ({
  userId,
  username,
  displayName: username,
  email: `${username}@example.com`,
  createdAt: T0,
});

describe('updateMe', () => {
  let deps: MemoryDeps;
  let profiles: InMemoryProfileStore;
  let update: ReturnType<typeof updateMe>;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps({ profiles: [profile('alice', 'alice'), profile('bob', 'bob')] });
    ({ profiles } = deps);
    update = updateMe(deps);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('changes the display name and keeps the rest', async () => {
    await expect(
      update({ userId: 'alice', correlationId: 'req-1' }, { displayName: 'Alice A.' }),
    ).resolves.toEqual({
      userId: 'alice',
      username: 'alice',
      displayName: 'Alice A.',
      email: 'alice@example.com',
      createdAt: '2025-03-01T12:00:00.000Z',
    });
  });

  it('moves the user to a new username and frees the old one', async () => {
    const updated = await update({ userId: 'alice', correlationId: 'req-1' }, { username: 'alice2' });

    expect(updated.username).toBe('alice2');
    expect(profiles.usernameOwner('alice2')).toBe('alice');
    expect(profiles.usernameOwner('alice')).toBeUndefined();
    expect((await profiles.findByUsername('alice2'))?.userId).toBe('alice');
  });

  it("refuses another user's username as a conflict, changing nothing", async () => {
    await expect(
      update({ userId: 'alice', correlationId: 'req-1' }, { username: 'bob', displayName: 'Bob?' }),
    ).rejects.toThrow(ConflictError);

    expect(await profiles.get('alice')).toEqual(profile('alice', 'alice'));
    expect(profiles.usernameOwner('bob')).toBe('bob');
  });

  it('answers NOT_FOUND to a user who has no profile yet', async () => {
    await expect(
      update({ userId: 'carol', correlationId: 'req-1' }, { displayName: 'Carol' }),
    ).rejects.toThrow(NotFoundError);
    expect(profiles.size).toBe(2);
  });

  it('pushes a changed name to whoever shows it, and nothing when it did not change', async () => {
    await update({ userId: 'alice', correlationId: 'req-1' }, { displayName: 'Alice A.' });
    await update({ userId: 'alice', correlationId: 'req-2' }, { displayName: 'Alice A.' });
    expect(deps.fanout.jobs).toEqual([
      {
        kind: 'profile',
        user: { userId: 'alice', username: 'alice', displayName: 'Alice A.' },
        correlationId: 'req-1',
      },
    ]);
  });

  it("counts each change against the caller's write allowance", async () => {
    const strict = updateMe({
      ...deps,
      rateLimiter: rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } }),
    });
    await strict({ userId: 'alice', correlationId: 'req-1' }, { displayName: 'One' });

    await expect(strict({ userId: 'alice', correlationId: 'req-1' }, { displayName: 'Two' })).rejects.toThrow(
      RateLimitedError,
    );
    expect((await profiles.get('alice'))?.displayName).toBe('One');
    await expect(
      strict({ userId: 'bob', correlationId: 'req-1' }, { displayName: 'Bobby' }),
    ).resolves.toMatchObject({
      displayName: 'Bobby',
    });
  });
});
