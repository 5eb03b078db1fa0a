import type { ConnectionStore } from '../../ports/connection-store';
import type { FanoutQueue } from '../../ports/fanout-queue';

/**
 * Forgets a connection that closed (`$disconnect`); when it was the user's
 * last, announces them offline with the time they were last seen.
 */
export function closeConnection(deps: {
  connections: ConnectionStore;
  fanout: FanoutQueue;
  clock: () => number;
}) {
  return async (command: { connectionId: string; userId: string; correlationId: string }): Promise<void> => {
    const now = deps.clock();
    const change = await deps.connections.delete(command.userId, command.connectionId, now);
    if (change.openConnections === 0) {
      await deps.fanout.enqueue({
        kind: 'presence',
        userId: command.userId,
        online: false,
        lastSeenAt: change.lastSeenAt ?? now,
        correlationId: command.correlationId,
      });
    }
  };
}
