import type {
  Connection,
  ConnectionRemoval,
  ConnectionStore,
  PresenceChange,
  Reach,
} from '../../ports/connection-store';

interface Cached {
  readonly reach: Reach;
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
    return (await this.reachOf(userIds, now, options)).flatMap((reach) => reach.connections);
  }

  async reachOf(
    userIds: readonly string[],
    now: number,
    options: { maxAgeInMs?: number } = {},
  ): Promise<Reach[]> {
    const unique = [...new Set(userIds)];
    const maxAge = options.maxAgeInMs ?? 0;
    const missing = unique.filter((userId) => {
      const cached = this.byUser.get(userId);
      return cached === undefined || now - cached.readAt >= maxAge;
    });
    if (missing.length > 0) {
      for (const reach of await this.store.reachOf(missing, now)) this.remember(reach, now);
    }
    return unique.map(
      (userId) => this.byUser.get(userId)?.reach ?? { userId, connections: [], pushDevices: [] },
    );
  }

  setPushDevice(userId: string, deviceId: string, subscribed: boolean): Promise<void> {
    this.byUser.delete(userId);
    return this.store.setPushDevice(userId, deviceId, subscribed);
  }

  clearPushDevices(userId: string): Promise<void> {
    this.byUser.delete(userId);
    return this.store.clearPushDevices(userId);
  }

  async delete(userId: string, connectionId: string, now: number): Promise<ConnectionRemoval> {
    const cached = this.byUser.get(userId);
    if (cached) {
      const connections = cached.reach.connections.filter(
        (connection) => connection.connectionId !== connectionId,
      );
      this.byUser.set(userId, { ...cached, reach: { ...cached.reach, connections } });
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

  private remember(reach: Reach, now: number) {
    // Re-inserted at the end: the map's order is the order of reads, oldest first.
    this.byUser.delete(reach.userId);
    this.byUser.set(reach.userId, { reach, readAt: now });
    for (const oldest of this.byUser.keys()) {
      if (this.byUser.size <= this.maxUsers) break;
      this.byUser.delete(oldest);
    }
  }
}
