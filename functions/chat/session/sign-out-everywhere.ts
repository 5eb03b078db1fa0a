import type { ConnectionStore } from '../../ports/connection-store';
import type { DeviceDirectory } from '../../ports/device-directory';
import { type FanoutQueue, MAX_CLOSED_PER_JOB } from '../../ports/fanout-queue';
import type { AccountDirectory } from '../../ports/user-directory';
import { signOutMarkFor } from './session-mark';

export interface SignOutEverywhereDeps {
  readonly accounts: AccountDirectory;
  readonly connections: ConnectionStore;
  readonly devices: Pick<DeviceDirectory, 'removePushSubscriptions'>;
  readonly fanout: FanoutQueue;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Ends every session of the caller's account, the caller's own included.
 * 1. Revoke every refresh token at the identity provider: no session can get new tokens.
 * 2. Write the sign-out mark (the next whole second) on the user's presence item: access tokens
 *    issued before it open no connection and change nothing. The same write returns the connections
 *    open at that moment; any stored after it had a newer token.
 * 3. Queue the closing of those connections (the fan-out sender holds the right to close them).
 * 4. Remove the push subscription of every device: a signed-out browser gets no more notifications.
 * 5. Answer once the mark's second has begun, so a sign-in after the answer gets tokens that work.
 * Every step can be repeated: a retry after a failure signs out again.
 */
export function signOutEverywhere(deps: SignOutEverywhereDeps) {
  return async (caller: { userId: string; username: string; correlationId: string }): Promise<void> => {
    const mark = signOutMarkFor(deps.clock());
    await deps.accounts.signOut(caller.username);
    const open = await deps.connections.signOut(caller.userId, mark, deps.clock());
    for (let start = 0; start < open.length; start += MAX_CLOSED_PER_JOB) {
      await deps.fanout.enqueue({
        kind: 'close',
        userId: caller.userId,
        connections: open
          .slice(start, start + MAX_CLOSED_PER_JOB)
          .map(({ connectionId, connectedAt }) => ({ connectionId, connectedAt })),
        correlationId: caller.correlationId,
      });
    }
    await deps.devices.removePushSubscriptions(caller.userId);
    await deps.connections.clearPushDevices(caller.userId);
    const wait = mark * 1000 - deps.clock();
    if (wait > 0) await deps.sleep(wait);
  };
}
