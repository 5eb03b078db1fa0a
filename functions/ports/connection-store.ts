/** An open WebSocket connection of a user's device. */
export interface Connection {
  readonly connectionId: string;
  readonly userId: string;
  /** Epoch ms. */
  readonly connectedAt: number;
}

/** Where open connections are kept, by user (to reach every device) and by id. */
export interface ConnectionStore {
  /** Stores a connection; it expires by itself after `expiresAt` (epoch ms) if `$disconnect` is missed. */
  put(connection: Connection, expiresAt: number): Promise<void>;
  /** Deletes one connection by its own id. Deleting a missing connection is not an error. */
  delete(userId: string, connectionId: string): Promise<void>;
  /** Open connections of a user, excluding expired ones. */
  listByUser(userId: string, now: number): Promise<Connection[]>;
}
