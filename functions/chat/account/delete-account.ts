import { ReauthenticationRequiredError } from '../../errors';
import type { AccountData } from '../../ports/account-data';
import type { AvatarObjects } from '../../ports/attachment-objects';
import type { DeletionMarks } from '../../ports/connection-store';
import type { ProfileStore } from '../../ports/profile-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { AccountDirectory } from '../../ports/user-directory';
import type { Caller } from '../access';
import { type EraseBackupDeps, eraseBackup } from '../backup/delete-backup';
import type { conversations } from '../conversation/conversations';
import type { friends } from '../friend/friends';
import type { signOutEverywhere } from '../session/sign-out-everywhere';

/** How recent the sign-in behind a deletion must be: the person typed their password just now. */
export const REAUTHENTICATION_WINDOW_IN_SECONDS = 5 * 60;
/** How long a deleted account's username stays held for nobody, so nobody passes for the person at once. */
export const USERNAME_HELD_FOR_IN_DAYS = 30;
/**
 * How long a deleted account's presence item outlives it: the sign-out mark there refuses the account's
 * last access tokens until they expire (one hour), with a margin.
 */
export const TOMBSTONE_KEPT_FOR_IN_MS = 2 * 60 * 60 * 1000;

export interface DeleteAccountDeps extends EraseBackupDeps {
  readonly profiles: Pick<ProfileStore, 'get'>;
  readonly marks: DeletionMarks;
  readonly accountData: AccountData;
  readonly accounts: Pick<AccountDirectory, 'delete'>;
  readonly avatarObjects: Pick<AvatarObjects, 'delete'>;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
  /** The steps that tell other people, from their own use cases. */
  readonly conversations: Pick<ReturnType<typeof conversations>, 'departAll'>;
  readonly friends: Pick<ReturnType<typeof friends>, 'forgetAll'>;
  readonly signOutEverywhere: ReturnType<typeof signOutEverywhere>;
}

/** What a deletion did, for the function's log (counts only). */
export interface DeletionSummary {
  readonly conversationsLeft: number;
  readonly relationsEnded: number;
  readonly itemsDeleted: number;
}

/**
 * Deletes the caller's account: what others need of it (the messages it sent, as ciphertext, and the lines
 * saying it left) stays; the rest goes.
 * 1. Refuse a session renewed from a sign-in older than a few minutes (the token's `auth_time`): whoever
 *    deletes an account has just typed its password (and second factor).
 * 2. Note the deletion on the presence item: no profile is made for the user from then on.
 * 3. Leave every conversation (members read that the user left; a direct conversation closes) and end
 *    every friendship, request and block (friends are told).
 * 4. Delete the encrypted backup (its chunks' objects, then its items), everything under the user's own
 *    keys, the profile picture's objects, and the account at the identity provider.
 * 5. End every session (refresh tokens, the sign-out mark against the access tokens still alive, open
 *    sockets closed), then delete under the user's keys once more: what another session of theirs wrote
 *    before the mark goes too. The presence item stays as a tombstone with the mark for two hours.
 * Every step is repeatable, and no step before the last ends the caller's session: a retry with the same
 * token after a failure carries on where the first stopped.
 */
export function deleteAccount(deps: DeleteAccountDeps) {
  const erase = eraseBackup(deps);
  return async (caller: Caller & { username: string; signedInAt?: number }): Promise<DeletionSummary> => {
    const now = deps.clock();
    const signedInAt = caller.signedInAt ?? 0;
    if (now / 1000 - signedInAt > REAUTHENTICATION_WINDOW_IN_SECONDS) {
      throw new ReauthenticationRequiredError(
        `Deleting an account needs a sign-in from the last ${REAUTHENTICATION_WINDOW_IN_SECONDS / 60} minutes: sign in again, then retry.`,
      );
    }
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const profile = await deps.profiles.get(caller.userId);
    await deps.marks.markDeleting(caller.userId, now);

    const conversationsLeft = await deps.conversations.departAll(caller);
    const relationsEnded = await deps.friends.forgetAll(caller);

    const claims = {
      ...(profile ? { email: profile.email, username: profile.username } : {}),
      usernameHeldUntil: now + USERNAME_HELD_FOR_IN_DAYS * 24 * 60 * 60 * 1000,
    };
    // Before the user's own items: the chunk records name the objects to delete.
    await erase(caller.userId, now);
    const first = await deps.accountData.eraseOwnItems(caller.userId, claims);
    const pictures = [profile?.avatarId, profile?.avatarUpload].filter(
      (id): id is string => id !== undefined,
    );
    if (pictures.length > 0) await deps.avatarObjects.delete(pictures);
    await deps.accounts.delete(caller.username);

    await deps.signOutEverywhere(caller);
    const second = await deps.accountData.eraseOwnItems(caller.userId, claims);
    await deps.marks.entomb(caller.userId, deps.clock() + TOMBSTONE_KEPT_FOR_IN_MS);
    return {
      conversationsLeft,
      relationsEnded,
      itemsDeleted: first.deletedItems + second.deletedItems,
    };
  };
}
