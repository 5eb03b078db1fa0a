/** The identity provider's view of an account. */
export interface Account {
  readonly userId: string;
  readonly email: string;
}

export interface AccountDirectory {
  /** Looks an account up by its user name (Cognito: the `username` claim). */
  getByUsername(username: string): Promise<Account | undefined>;
}
