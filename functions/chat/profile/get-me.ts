import { nameProblem, normaliseName } from '../../../shared/protocol/ids';
import type { Me } from '../../../shared/protocol/resources';
import { NotFoundError } from '../../errors';
import type { DeletionMarks } from '../../ports/connection-store';
import type { Profile, ProfileStore } from '../../ports/profile-store';
import type { AccountDirectory } from '../../ports/user-directory';
import { meView } from '../views';

export interface GetMeDeps {
  readonly profiles: ProfileStore;
  readonly accounts: AccountDirectory;
  /** An account being deleted gets no new profile, whatever its tokens still allow. */
  readonly marks: Pick<DeletionMarks, 'deletingAt'>;
  readonly clock: () => number;
}

/** Tries before falling back to a username made from the user id. */
const USERNAME_ATTEMPTS = 5;

/**
 * The caller's profile, created on the first call after sign-up.
 * 1. Return the stored profile.
 * 2. Else read the account's email from the identity provider (and refuse an account being deleted).
 * 3. Claim a username derived from the email (with a numeric suffix when taken).
 */
export function getMe(deps: GetMeDeps) {
  return async (caller: { userId: string; username: string }): Promise<Me> => {
    const stored = await deps.profiles.get(caller.userId);
    if (stored) return meView(stored);

    const [account, deletingAt] = await Promise.all([
      deps.accounts.getByUsername(caller.username),
      deps.marks.deletingAt(caller.userId),
    ]);
    if (!account || account.userId !== caller.userId || deletingAt !== undefined)
      throw new NotFoundError('No such account');
    const email = account.email.toLowerCase();
    const base = usernameFromEmail(email);
    const now = deps.clock();
    for (let attempt = 0; attempt <= USERNAME_ATTEMPTS; attempt += 1) {
      const username =
        attempt === 0
          ? base
          : attempt < USERNAME_ATTEMPTS
            ? `${base.slice(0, 27)}${Math.floor(1000 + Math.random() * 9000)}`
            : `user_${caller.userId.replaceAll('-', '').slice(0, 20).toLowerCase()}`;
      const profile: Profile = {
        userId: caller.userId,
        username,
        displayName: displayNameFromEmail(account.email),
        email,
        createdAt: now,
      };
      if ((await deps.profiles.create(profile)) === 'created') {
        return meView((await deps.profiles.get(caller.userId)) ?? profile);
      }
    }
    throw new Error('Could not find a free username');
  };
}

/** `Ada.Lovelace+chat@example.com` → `ada.lovelace`; padded to the 3-character minimum. */
export function usernameFromEmail(email: string): string {
  const local = (email.split('@')[0] ?? '').split('+')[0] ?? '';
  const cleaned = local
    .toLowerCase()
    .replace(/[^a-z0-9_.]/g, '')
    .slice(0, 24);
  return cleaned.length >= 3 ? cleaned : `${cleaned}user`.slice(0, 24);
}

function displayNameFromEmail(email: string): string {
  const local = (email.split('@')[0] ?? '').split('+')[0] ?? '';
  const name = normaliseName(local).slice(0, 64).trim();
  return name && nameProblem(name) === undefined ? name : 'New user';
}
