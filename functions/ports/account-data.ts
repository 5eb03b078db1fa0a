/** What an erasure left in place on purpose, to say so in the logs and tests. */
export interface ErasedAccountData {
  /** Items deleted, the reverse side of the user's friendships and blocks included. */
  readonly deletedItems: number;
}

/**
 * Everything the table keeps under a user's own keys, for deleting an account once the steps that tell
 * other people (leaving conversations, ending friendships) are done.
 */
export interface AccountData {
  /**
   * Deletes every item under the user's own keys but their presence item (the sign-out mark lives there:
   * see `ConnectionStore.entomb`): profile, devices and their push subscriptions, key packages, Welcomes,
   * pins, send records, rate counters, quota counters, and the other side of each friendship, request and
   * block still stored. Releases the email claim, and holds the username claim for nobody until
   * `usernameHeldUntil` (epoch ms), so nobody can pass for the person at once. Repeatable: what is already
   * gone is no error.
   */
  eraseOwnItems(
    userId: string,
    claims: { readonly email?: string; readonly username?: string; readonly usernameHeldUntil: number },
  ): Promise<ErasedAccountData>;
}
