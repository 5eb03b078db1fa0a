import type { ConnectionStore } from '../../ports/connection-store';
import type { FanoutQueue } from '../../ports/fanout-queue';

export interface CloseConnectionDeps {
  readonly connections: ConnectionStore;
  readonly fanout: FanoutQueue;
  readonly clock: () => number;
}

/**
 * Forgets a connection that closed: on `$disconnect`, when a post to it finds it gone, or when a liveness
 * check does. Whichever of them removes the user's last connection announces them offline, with the time
 * they were last seen; the others find nothing to remove and announce nothing, so the push goes out once.
 */
export function closeConnection(deps: CloseConnectionDeps) {
  return async (command: { connectionId: string; userId: string; correlationId: string }): Promise<void> => {
    const now = deps.clock();
    const removal = await deps.connections.delete(command.userId, command.connectionId, now);
    if (removal.removed && removal.openConnections === 0) {
      await deps.fanout.enqueue({
        kind: 'presence',
        userId: command.userId,
        online: false,
        lastSeenAt: removal.lastSeenAt ?? now,
        correlationId: command.correlationId,
      });
    }
  };
}
