import { describe, expect, it } from 'vitest';
import { InMemoryAccountDirectory } from '../../adapters/memory/memory-account-directory';
import { NotFoundError } from '../../errors';
import { getMe } from './get-me';

const accounts = new InMemoryAccountDirectory({
  alice: { userId: 'alice-sub', email: 'alice@example.com' },
});
const me = getMe({ accounts });

describe('getMe', () => {
  it("returns the caller's own account", async () => {
    await expect(me({ userId: 'alice-sub', username: 'alice' })).resolves.toEqual({
      userId: 'alice-sub',
      email: 'alice@example.com',
    });
  });

  it('answers NOT_FOUND for a user name the identity provider does not know', async () => {
    await expect(me({ userId: 'ghost-sub', username: 'ghost' })).rejects.toThrow(NotFoundError);
  });

  it('answers NOT_FOUND when the user name belongs to another user id (a reused name)', async () => {
    await expect(me({ userId: 'mallory-sub', username: 'alice' })).rejects.toThrow(NotFoundError);
  });
});
