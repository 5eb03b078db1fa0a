import type { Connection, ConnectionStore } from '../../ports/connection-store';

interface Entry {
  readonly connection: Connection;
  readonly expiresAt: number;
}

/**
 * Connections kept in memory, keyed like the table (user, then connection id).
 * Expired entries stay until deleted, as DynamoDB keeps them until its TTL sweep,
 * and are hidden from `listByUser` the same way.
 */
export class InMemoryConnectionStore implements ConnectionStore {
  private readonly byUser = new Map<string, Map<string, Entry>>();

  async put(connection: Connection, expiresAt: number): Promise<void> {
    let connections = this.byUser.get(connection.userId);
    if (!connections) {
      connections = new Map();
      this.byUser.set(connection.userId, connections);
    }
    connections.set(connection.connectionId, { connection: { ...connection }, expiresAt });
  }

  async delete(userId: string, connectionId: string): Promise<void> {
    this.byUser.get(userId)?.delete(connectionId);
  }

  async listByUser(userId: string, now: number): Promise<Connection[]> {
    const connections = this.byUser.get(userId)?.values() ?? [];
    return [...connections].filter((entry) => entry.expiresAt > now).map((entry) => entry.connection);
  }

  /** The stored entry with its expiry, expired or not; for assertions. */
  find(userId: string, connectionId: string): Entry | undefined {
    return this.byUser.get(userId)?.get(connectionId);
  }
}
