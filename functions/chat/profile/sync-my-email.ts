import type { Me } from '../../../shared/protocol/resources';
import { NotFoundError } from '../../errors';
import type { ProfileStore } from '../../ports/profile-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { AccountDirectory } from '../../ports/user-directory';
import { meView } from '../views';

export interface SyncMyEmailDeps {
  readonly profiles: ProfileStore;
  readonly accounts: AccountDirectory;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * Makes the profile's email the account's, after the person changed it at the identity provider (the
 * user pool changes it only once the code sent to the new address is entered, so its email is always a
 * verified one). Then people find the user by the new email, and nobody by the old.
 * 1. Count the request against the caller's write allowance.
 * 2. Read the profile, and the account's email at the identity provider.
 * 3. When they differ, claim the new email (a conflict when another profile holds it), point the profile
 *    at it and let the old one go. Nothing to do is no error: the profile is answered as it is.
 */
export function syncMyEmail(deps: SyncMyEmailDeps) {
  return async (caller: { userId: string; username: string }): Promise<Me> => {
    await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
    const [profile, account] = await Promise.all([
      deps.profiles.get(caller.userId),
      deps.accounts.getByUsername(caller.username),
    ]);
    if (!profile) throw new NotFoundError('Call GET /me first to create your profile');
    if (!account || account.userId !== caller.userId) throw new NotFoundError('No such account');
    const email = account.email.toLowerCase();
    if (email === profile.email) return meView(profile);
    return meView(await deps.profiles.changeEmail(caller.userId, email));
  };
}
