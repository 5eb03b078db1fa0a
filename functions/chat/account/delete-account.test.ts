import { describe, expect, it } from 'vitest';
import { memoryDeps, seedConversation } from '../../../test/support/fixtures';
import { ReauthenticationRequiredError } from '../../errors';
import { conversations } from '../conversation/conversations';
import { friends } from '../friend/friends';
import { signOutEverywhere } from '../session/sign-out-everywhere';
import { deleteAccount, REAUTHENTICATION_WINDOW_IN_SECONDS } from './delete-account';

const alice = { userId: 'alice-sub', username: 'cognito-alice', correlationId: 'request-1' };

/** The whole deletion runs against the local stack (test/integration/delete-account.test.ts); here, its gate. */
describe('deleteAccount: a recent sign-in first', () => {
  const setUp = (options: { failOnce?: boolean } = {}) => {
    const deps = memoryDeps({
      accounts: { 'cognito-alice': { userId: 'alice-sub', email: 'alice@example.com' } },
    });
    const erased: string[] = [];
    let failures = options.failOnce ? 1 : 0;
    const remove = deleteAccount({
      ...deps,
      accounts: {
        delete: async (username) => {
          if (failures-- > 0) throw new Error('The identity provider is down');
          await deps.accounts.delete(username);
        },
      },
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

  it('carries on where a failed attempt stopped: the group is left once, with one line', async () => {
    const { deps, remove } = setUp({ failOnce: true });
    const now = Date.now();
    await seedConversation(deps.conversations, {
      conversationId: 'g_book',
      kind: 'group',
      name: 'Book club',
      memberIds: [alice.userId, 'bob-sub', 'carol-sub'],
      admins: [alice.userId],
      now,
    });
    const signedInAt = Math.floor(now / 1000);
    await expect(remove({ ...alice, signedInAt })).rejects.toThrow('The identity provider is down');
    // The first attempt left the group already, and ended no session: the same sign-in may retry.
    expect(await deps.connections.signedOutAt(alice.userId)).toBeUndefined();
    await remove({ ...alice, signedInAt });

    const group = await deps.conversations.get('g_book');
    expect(group?.memberIds).toEqual(['bob-sub', 'carol-sub']);
    expect(group?.createdBy).toBe('deleted-account');
    const lines = (await deps.messages.list('g_book', { after: 0, limit: 10 }, Date.now())).messages.filter(
      (m) => m.kind === 'event',
    );
    expect(lines).toHaveLength(1);
    expect(JSON.parse(Buffer.from(lines[0]?.body ?? new Uint8Array()).toString('utf8'))).toMatchObject({
      type: 'account_deleted',
      actorId: alice.userId,
      admins: ['bob-sub'],
    });
    expect(await deps.accounts.getByUsername('cognito-alice')).toBeUndefined();
  });
});
