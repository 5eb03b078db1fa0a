/** The identity provider's view of an account. */
export interface Account {
  readonly userId: string;
  readonly email: string;
}

export interface AccountDirectory {
  /** Looks an account up by its user name (Cognito: the `username` claim). */
  getByUsername(username: string): Promise<Account | undefined>;
  /** Ends every session of the account at the identity provider: none of its refresh tokens works again. */
  signOut(username: string): Promise<void>;
  /** Deletes the account: it can no longer sign in, and its email may sign up again. Deleting a missing one is no error. */
  delete(username: string): Promise<void>;
}
