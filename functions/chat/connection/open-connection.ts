import { MAX_CONNECTION_DURATION_IN_SECONDS } from '../../../shared/protocol/limits';
import type { ConnectionStore } from '../../ports/connection-store';
import type { UserRegistry } from '../../ports/user-directory';

/** Grace past API Gateway's hard cap before a connection missed by `$disconnect` expires. */
const EXPIRY_GRACE_IN_MS = 5 * 60 * 1000;

export interface OpenConnectionDeps {
  readonly connections: ConnectionStore;
  readonly users: UserRegistry;
  readonly clock: () => number;
}

/**
 * Records a connection that passed the authorizer.
 * 1. Store it under its user, expiring after the longest life API Gateway allows.
 * 2. Record that the user has been seen (creates the user on first connection).
 */
export function openConnection(deps: OpenConnectionDeps) {
  return async (command: { connectionId: string; userId: string }): Promise<void> => {
    const now = deps.clock();
    const expiresAt = now + MAX_CONNECTION_DURATION_IN_SECONDS * 1000 + EXPIRY_GRACE_IN_MS;
    await Promise.all([
      deps.connections.put(
        { connectionId: command.connectionId, userId: command.userId, connectedAt: now },
        expiresAt,
      ),
      deps.users.touch(command.userId, now),
    ]);
  };
}
