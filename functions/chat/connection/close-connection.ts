import type { ConnectionStore } from '../../ports/connection-store';

/** Forgets a connection that closed (`$disconnect`) or is gone (410 on a push). */
export function closeConnection(deps: { connections: ConnectionStore }) {
  return async (command: { connectionId: string; userId: string }): Promise<void> => {
    await deps.connections.delete(command.userId, command.connectionId);
  };
}
