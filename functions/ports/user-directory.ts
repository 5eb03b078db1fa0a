/** A user as Parley knows them. */
export interface UserRecord {
  readonly userId: string;
  /** Epoch ms of the first connection. */
  readonly firstSeenAt: number;
}

/** Users Parley has seen (created on first connection). */
export interface UserRegistry {
  /** Records that the user connected now; creates the record on first sight. */
  touch(userId: string, now: number): Promise<void>;
  get(userId: string): Promise<UserRecord | undefined>;
}

/** The identity provider's view of an account. */
export interface Account {
  readonly userId: string;
  readonly email: string;
}

export interface AccountDirectory {
  /** Looks an account up by its user name (Cognito: the `username` claim). */
  getByUsername(username: string): Promise<Account | undefined>;
}
