import { describe, expect, it } from 'vitest';
import { memoryDeps } from '../../../test/support/fixtures';
import { ReauthenticationRequiredError } from '../../errors';
import { conversations } from '../conversation/conversations';
import { friends } from '../friend/friends';
import { signOutEverywhere } from '../session/sign-out-everywhere';
import { deleteAccount, REAUTHENTICATION_WINDOW_IN_SECONDS } from './delete-account';

const alice = { userId: 'alice-sub', username: 'cognito-alice', correlationId: 'request-1' };

/** The whole deletion runs against the local stack (test/integration/delete-account.test.ts); here, its gate. */
describe('deleteAccount: a recent sign-in first', () => {
  const setUp = () => {
    const deps = memoryDeps({
      accounts: { 'cognito-alice': { userId: 'alice-sub', email: 'alice@example.com' } },
    });
    const erased: string[] = [];
    const remove = deleteAccount({
      ...deps,
      accountData: {
        eraseOwnItems: async (userId) => {
          erased.push(userId);
          return { deletedItems: 0 };
        },
      },
      conversations: conversations(deps),
      friends: friends(deps),
      signOutEverywhere: signOutEverywhere({ ...deps, devices: { removePushSubscriptions: async () => {} } }),
    });
    return { deps, erased, remove };
  };

  it('refuses a session renewed from a sign-in older than the window, and changes nothing', async () => {
    const { deps, erased, remove } = setUp();
    const signedInAt = Math.floor(Date.now() / 1000) - REAUTHENTICATION_WINDOW_IN_SECONDS - 5;
    await expect(remove({ ...alice, signedInAt })).rejects.toBeInstanceOf(ReauthenticationRequiredError);
    await expect(remove(alice)).rejects.toBeInstanceOf(ReauthenticationRequiredError);
    expect(erased).toEqual([]);
    expect(await deps.marks.deletingAt(alice.userId)).toBeUndefined();
    expect(await deps.accounts.getByUsername('cognito-alice')).toBeDefined();
  });

  it('deletes with a sign-in from within the window, the account at the identity provider last but one', async () => {
    const { deps, erased, remove } = setUp();
    await remove({ ...alice, signedInAt: Math.floor(Date.now() / 1000) - 60 });
    expect(erased).toEqual([alice.userId, alice.userId]);
    expect(await deps.accounts.getByUsername('cognito-alice')).toBeUndefined();
    expect(await deps.marks.deletingAt(alice.userId)).toEqual(expect.any(Number));
    expect(await deps.connections.signedOutAt(alice.userId)).toEqual(expect.any(Number));
  });
});
