import type {
  Connection,
  ConnectionRemoval,
  ConnectionStore,
  PresenceChange,
} from '../../ports/connection-store';

interface Cached {
  readonly connections: Connection[];
  readonly readAt: number;
}

/**
 * The fan-out's view of open connections: each user's connections as last read, kept in memory per
 * execution environment for at most `maxUsers` users (the longest kept go first). A caller that accepts
 * a view up to `maxAgeInMs` old gets it from here, so a large busy conversation does not read every
 * member's connections for every message (a read per member costs half a read unit however small the
 * item); any other read goes to the store, and refreshes the view. A connection found gone is dropped
 * at once.
 */
export class CachedConnectionStore implements ConnectionStore {
  private readonly byUser = new Map<string, Cached>();

  constructor(
    private readonly store: ConnectionStore,
    private readonly maxUsers: number,
  ) {}

  async listByUsers(
    userIds: readonly string[],
    now: number,
    options: { maxAgeInMs?: number } = {},
  ): Promise<Connection[]> {
    const unique = [...new Set(userIds)];
    const maxAge = options.maxAgeInMs ?? 0;
    const missing = unique.filter((userId) => {
      const cached = this.byUser.get(userId);
      return cached === undefined || now - cached.readAt >= maxAge;
    });
    if (missing.length > 0) {
      const read = await this.store.listByUsers(missing, now);
      for (const userId of missing) {
        this.remember(
          userId,
          read.filter((connection) => connection.userId === userId),
          now,
        );
      }
    }
    return unique.flatMap((userId) => this.byUser.get(userId)?.connections ?? []);
  }

  async delete(userId: string, connectionId: string, now: number): Promise<ConnectionRemoval> {
    const cached = this.byUser.get(userId);
    if (cached) {
      this.byUser.set(userId, {
        ...cached,
        connections: cached.connections.filter((connection) => connection.connectionId !== connectionId),
      });
    }
    return this.store.delete(userId, connectionId, now);
  }

  put(
    connection: Connection,
    expiresAt: number,
    options?: { tokenIssuedAt?: number },
  ): Promise<PresenceChange> {
    this.byUser.delete(connection.userId);
    return this.store.put(connection, expiresAt, options);
  }

  signedOutAt(userId: string): Promise<number | undefined> {
    return this.store.signedOutAt(userId);
  }

  signOut(userId: string, signedOutAt: number, now: number): Promise<Connection[]> {
    this.byUser.delete(userId);
    return this.store.signOut(userId, signedOutAt, now);
  }

  listByUser(userId: string, now: number): Promise<Connection[]> {
    return this.store.listByUser(userId, now);
  }

  presenceOf(userIds: readonly string[], now: number): Promise<Map<string, PresenceChange>> {
    return this.store.presenceOf(userIds, now);
  }

  private remember(userId: string, connections: Connection[], now: number) {
    // Re-inserted at the end: the map's order is the order of reads, oldest first.
    this.byUser.delete(userId);
    this.byUser.set(userId, { connections, readAt: now });
    for (const oldest of this.byUser.keys()) {
      if (this.byUser.size <= this.maxUsers) break;
      this.byUser.delete(oldest);
    }
  }
}
