import { SessionEndedError } from '../../errors';
import type {
  Connection,
  ConnectionRemoval,
  ConnectionStore,
  DeletionMarks,
  PresenceChange,
  Reach,
} from '../../ports/connection-store';
import { byKey } from './page';

interface Entry {
  readonly connection: Connection;
  readonly expiresAt: number;
}

interface Presence {
  readonly connections: Map<string, Entry>;
  readonly pushDevices: Set<string>;
  lastSeenAt?: number;
  signedOutAt?: number;
  deletingAt?: number;
  /** Epoch ms: the record is gone after it. */
  until?: number;
}

/**
 * Connections kept in memory, one presence record per user like the table's.
 * Expired entries stay until the user's next `put` removes them, as in
 * `DynamoDbConnectionStore`, and are hidden from every read the same way.
 */
export class InMemoryConnectionStore implements ConnectionStore, DeletionMarks {
  private readonly byUser = new Map<string, Presence>();

  async put(
    connection: Connection,
    expiresAt: number,
    options: { tokenIssuedAt?: number } = {},
  ): Promise<PresenceChange> {
    const mark = this.byUser.get(connection.userId)?.signedOutAt;
    if (options.tokenIssuedAt !== undefined && mark !== undefined && options.tokenIssuedAt < mark) {
      throw new SessionEndedError();
    }
    const presence = this.presence(connection.userId);
    presence.connections.set(connection.connectionId, { connection: { ...connection }, expiresAt });
    const change = changeOf(presence, connection.connectedAt);
    for (const [connectionId, entry] of presence.connections) {
      if (entry.expiresAt <= connection.connectedAt) presence.connections.delete(connectionId);
    }
    return change;
  }

  async delete(userId: string, connectionId: string, now: number): Promise<ConnectionRemoval> {
    const presence = this.byUser.get(userId);
    if (!presence?.connections.delete(connectionId)) return { removed: false };
    presence.lastSeenAt = now;
    return { removed: true, ...changeOf(presence, now) };
  }

  async signedOutAt(userId: string): Promise<number | undefined> {
    return this.byUser.get(userId)?.signedOutAt;
  }

  async signOut(userId: string, signedOutAt: number, now: number): Promise<Connection[]> {
    const presence = this.presence(userId);
    presence.signedOutAt = Math.max(presence.signedOutAt ?? signedOutAt, signedOutAt);
    return openConnectionsOf(presence, now);
  }

  async listByUser(userId: string, now: number): Promise<Connection[]> {
    return openConnectionsOf(this.byUser.get(userId), now);
  }

  async listByUsers(userIds: readonly string[], now: number): Promise<Connection[]> {
    return [...new Set(userIds)].flatMap((userId) => openConnectionsOf(this.byUser.get(userId), now));
  }

  async reachOf(userIds: readonly string[], now: number): Promise<Reach[]> {
    return [...new Set(userIds)].map((userId) => {
      const presence = this.byUser.get(userId);
      return {
        userId,
        connections: openConnectionsOf(presence, now),
        pushDevices: [...(presence?.pushDevices ?? [])].sort(),
      };
    });
  }

  async setPushDevice(userId: string, deviceId: string, subscribed: boolean): Promise<void> {
    if (subscribed) this.presence(userId).pushDevices.add(deviceId);
    else this.byUser.get(userId)?.pushDevices.delete(deviceId);
  }

  async clearPushDevices(userId: string): Promise<void> {
    this.byUser.get(userId)?.pushDevices.clear();
  }

  async presenceOf(userIds: readonly string[], now: number): Promise<Map<string, PresenceChange>> {
    const result = new Map<string, PresenceChange>();
    for (const userId of userIds) {
      const presence = this.byUser.get(userId);
      if (presence) result.set(userId, changeOf(presence, now));
    }
    return result;
  }

  async markDeleting(userId: string, now: number): Promise<number> {
    const presence = this.presence(userId);
    presence.deletingAt ??= now;
    return presence.deletingAt;
  }

  async deletingAt(userId: string): Promise<number | undefined> {
    return this.byUser.get(userId)?.deletingAt;
  }

  async entomb(userId: string, until: number): Promise<void> {
    const presence = this.byUser.get(userId);
    if (!presence) return;
    presence.connections.clear();
    presence.pushDevices.clear();
    delete presence.lastSeenAt;
    presence.until = until;
  }

  private presence(userId: string): Presence {
    let presence = this.byUser.get(userId);
    if (!presence) {
      presence = { connections: new Map(), pushDevices: new Set() };
      this.byUser.set(userId, presence);
    }
    return presence;
  }

  /** The stored entry with its expiry, expired or not; for assertions. */
  find(userId: string, connectionId: string): Entry | undefined {
    return this.byUser.get(userId)?.connections.get(connectionId);
  }
}

function openConnectionsOf(presence: Presence | undefined, now: number): Connection[] {
  return [...(presence?.connections.values() ?? [])]
    .filter((entry) => entry.expiresAt > now)
    .map((entry) => ({ ...entry.connection }))
    .sort((a, b) => a.connectedAt - b.connectedAt || byKey((c: Connection) => c.connectionId)(a, b));
}

function changeOf(presence: Presence, now: number): PresenceChange {
  const openConnections = [...presence.connections.values()].filter((entry) => entry.expiresAt > now).length;
  return openConnections === 0 && presence.lastSeenAt !== undefined
    ? { openConnections, lastSeenAt: presence.lastSeenAt }
    : { openConnections };
}
