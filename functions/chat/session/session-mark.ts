import { SessionEndedError } from '../../errors';
import type { ConnectionStore } from '../../ports/connection-store';

/**
 * The rule of a sign-out everywhere: an access token issued before the user's mark (both epoch
 * seconds, the token's `iat`) no longer works. Tokens carry whole seconds, so the mark is the first
 * whole second after the sign-out began (see {@link signOutMarkFor}).
 */
export function assertSessionCurrent(signedOutAt: number | undefined, issuedAt: number): void {
  if (signedOutAt !== undefined && issuedAt < signedOutAt) throw new SessionEndedError();
}

/**
 * The mark a sign-out beginning at `nowInMs` writes: the next whole second. Every token issued so far,
 * in this second included, has an `iat` below it; a token issued once that second has begun is
 * accepted, which is why the sign-out answers only then.
 *
 * @example
 * signOutMarkFor(Date.parse('2025-01-01T00:00:00.400Z')); // 1735689601
 */
export function signOutMarkFor(nowInMs: number): number {
  return Math.floor(nowInMs / 1000) + 1;
}

/**
 * Refuses a request made with a token issued before its user signed out everywhere: one strongly
 * consistent read of the user's presence item (one read unit for an item under 4 KB, a few
 * milliseconds), so a mark written a moment ago counts.
 */
export function checkSession(deps: { connections: Pick<ConnectionStore, 'signedOutAt'> }) {
  return async (caller: { userId: string; issuedAt: number }): Promise<void> => {
    assertSessionCurrent(await deps.connections.signedOutAt(caller.userId), caller.issuedAt);
  };
}
