/** An open WebSocket connection of a user's device. */
export interface Connection {
  readonly connectionId: string;
  readonly userId: string;
  /** Epoch ms. */
  readonly connectedAt: number;
  /** The device the connection said it belongs to (`?deviceId=` at `$connect`), when it said. */
  readonly deviceId?: string;
}

/**
 * How a user can be reached: their open connections and, beside them, the devices that take Web Push
 * (a summary kept on the same record, so fan-out learns both in the one read it makes anyway).
 */
export interface Reach {
  readonly userId: string;
  readonly connections: readonly Connection[];
  /**
   * Devices with a push subscription, by id. A summary: it may name a device whose subscription was just
   * removed (the push path checks the subscription itself, and drops the name when it finds none).
   */
  readonly pushDevices: readonly string[];
}

/** A user's connections as seen at a change: how many are open after it. */
export interface PresenceChange {
  readonly openConnections: number;
  /** Epoch ms the user was last seen, when they have no open connection. */
  readonly lastSeenAt?: number;
}

/**
/**
 * What deleting a connection did: whether this call removed it (a second delete of the same connection, by
 * `$disconnect` after a fan-out found it gone, removes nothing) and, when it did, how many are left.
 */
export type ConnectionRemoval = { readonly removed: false } | ({ readonly removed: true } & PresenceChange);

/**
 * Where open connections are kept, per user (to reach every device), with the user's sign-out mark beside
 * them: a sign-out and a connection opened at the same moment are decided by one write each on the same
 * record, so the connection is either refused or among those the sign-out closes.
 */
export interface ConnectionStore {
  /**
   * Stores a connection; it expires by itself after `expiresAt` (epoch ms) if `$disconnect` is missed.
   * With `tokenIssuedAt` (epoch s, the `iat` of the token that opened it), throws `SessionEndedError`
   * and stores nothing when the user signed out everywhere after that token was issued.
   */
  put(
    connection: Connection,
    expiresAt: number,
    options?: { tokenIssuedAt?: number },
  ): Promise<PresenceChange>;
  /**
   * The user's sign-out mark (epoch s): access tokens issued before it are refused. `undefined` when
   * the user never signed out everywhere. Read strongly consistent: a mark just written counts.
   */
  signedOutAt(userId: string): Promise<number | undefined>;
  /**
   * Records a sign-out mark (epoch s; an earlier one is replaced, a later one kept) and returns the
   * user's open connections as of that write: any connection stored after it had a newer token.
   */
  signOut(userId: string, signedOutAt: number, now: number): Promise<Connection[]>;
  /**
   * Deletes one connection by its own id, noting `now` as when the user was last seen. Deleting a missing
   * connection is not an error: it changes nothing and says `removed: false`.
   */
  delete(userId: string, connectionId: string, now: number): Promise<ConnectionRemoval>;
  /** Open connections of a user, excluding expired ones. */
  listByUser(userId: string, now: number): Promise<Connection[]>;
  /**
   * Open connections of many users at once. With `maxAgeInMs`, a view read up to that long ago will do
   * (a store that keeps one may answer from it; a connection opened since may be missing).
   */
  listByUsers(
    userIds: readonly string[],
    now: number,
    options?: { maxAgeInMs?: number },
  ): Promise<Connection[]>;
  /**
   * How each user can be reached, in the order asked (each once; a user with no record has empty lists).
   * `maxAgeInMs` as for `listByUsers`.
   */
  reachOf(userIds: readonly string[], now: number, options?: { maxAgeInMs?: number }): Promise<Reach[]>;
  /** Notes that a device takes Web Push (`true`) or no longer does (`false`); either is idempotent. */
  setPushDevice(userId: string, deviceId: string, subscribed: boolean): Promise<void>;
  /** Notes that none of the user's devices takes Web Push (sign-out everywhere). */
  clearPushDevices(userId: string): Promise<void>;
  /** Whether each user is online, and when they were last seen. */
  presenceOf(userIds: readonly string[], now: number): Promise<Map<string, PresenceChange>>;
}

/**
 * A deleted account's marks, kept on the user's presence item beside the sign-out mark (the store that
 * keeps connections keeps these).
 */
export interface DeletionMarks {
  /**
   * Notes that the user's account is being deleted (from `now`, epoch ms; an earlier note stays) and
   * returns when that began: no profile may be made for the user from then on.
   */
  markDeleting(userId: string, now: number): Promise<number>;
  /** When the deletion of the user's account began (epoch ms), if it did. Strongly consistent. */
  deletingAt(userId: string): Promise<number | undefined>;
  /**
   * Reduces the user's presence item to what a deleted account needs while its last access tokens live:
   * the sign-out mark and the deletion note, gone by itself after `until` (epoch ms). Connections, push
   * devices and the last-seen time go.
   */
  entomb(userId: string, until: number): Promise<void>;
}
