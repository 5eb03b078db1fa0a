import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type MemoryDeps, memoryDeps, rateLimiterWith } from '../../../test/support/fixtures';
import { ConflictError, NotFoundError, RateLimitedError } from '../../errors';
import { syncMyEmail } from './sync-my-email';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const profile = (userId: string, email: string) => ({
  userId,
  username: userId,
  displayName: userId,
  email,
  createdAt: T0,
});
const alice = { userId: 'alice-id', username: 'alice-sub' };

describe('syncMyEmail', () => {
  let deps: MemoryDeps;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps({
      profiles: [profile('alice-id', 'alice@example.com'), profile('bob-id', 'bob@example.com')],
      accounts: { 'alice-sub': { userId: 'alice-id', email: 'Alice.New@Example.com' } },
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes the account’s email, lowercased: found by it, and by the old one nobody', async () => {
    const me = await syncMyEmail(deps)(alice);

    expect(me).toMatchObject({ userId: 'alice-id', email: 'alice.new@example.com' });
    expect((await deps.profiles.findByEmail('alice.new@example.com'))?.userId).toBe('alice-id');
    expect(await deps.profiles.findByEmail('alice@example.com')).toBeUndefined();
  });

  it('answers the profile as it is when the email did not change, and again when repeated', async () => {
    deps.accounts.add('alice-sub', { userId: 'alice-id', email: 'alice@example.com' });
    await expect(syncMyEmail(deps)(alice)).resolves.toMatchObject({ email: 'alice@example.com' });

    deps.accounts.add('alice-sub', { userId: 'alice-id', email: 'alice.new@example.com' });
    await syncMyEmail(deps)(alice);
    await expect(syncMyEmail(deps)(alice)).resolves.toMatchObject({ email: 'alice.new@example.com' });
  });

  it('refuses an email another profile holds, changing nothing', async () => {
    deps.accounts.add('alice-sub', { userId: 'alice-id', email: 'bob@example.com' });

    await expect(syncMyEmail(deps)(alice)).rejects.toThrow(ConflictError);

    expect((await deps.profiles.get('alice-id'))?.email).toBe('alice@example.com');
    expect((await deps.profiles.findByEmail('bob@example.com'))?.userId).toBe('bob-id');
  });

  it('needs a profile, and an account that is the caller’s', async () => {
    await expect(syncMyEmail(deps)({ userId: 'carol-id', username: 'carol-sub' })).rejects.toThrow(
      NotFoundError,
    );
    deps.accounts.add('alice-sub', { userId: 'someone-else', email: 'x@example.com' });
    await expect(syncMyEmail(deps)(alice)).rejects.toThrow(NotFoundError);
  });

  it('counts against the write allowance', async () => {
    const strict = syncMyEmail({
      ...deps,
      rateLimiter: rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } }),
    });
    await strict(alice);
    await expect(strict(alice)).rejects.toThrow(RateLimitedError);
  });
});
