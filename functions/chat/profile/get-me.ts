import { NotFoundError } from '../../errors';
import type { AccountDirectory } from '../../ports/user-directory';

export interface Me {
  readonly userId: string;
  readonly email: string;
}

/** The caller's own account, as the identity provider knows it. */
export function getMe(deps: { accounts: AccountDirectory }) {
  return async (caller: { userId: string; username: string }): Promise<Me> => {
    const account = await deps.accounts.getByUsername(caller.username);
    if (!account || account.userId !== caller.userId) throw new NotFoundError('No such account');
    return { userId: account.userId, email: account.email };
  };
}
