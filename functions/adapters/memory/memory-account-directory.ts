import type { Account, AccountDirectory } from '../../ports/user-directory';

/** Accounts of an identity provider, by user name, kept in memory. */
export class InMemoryAccountDirectory implements AccountDirectory {
  private readonly byUsername = new Map<string, Account>();
  /** User names signed out everywhere, in order. */
  readonly signedOut: string[] = [];

  constructor(accounts: Readonly<Record<string, Account>> = {}) {
    for (const [username, account] of Object.entries(accounts)) this.add(username, account);
  }

  add(username: string, account: Account): void {
    this.byUsername.set(username, { ...account });
  }

  async getByUsername(username: string): Promise<Account | undefined> {
    return this.byUsername.get(username);
  }

  async signOut(username: string): Promise<void> {
    this.signedOut.push(username);
  }

  async delete(username: string): Promise<void> {
    this.byUsername.delete(username);
  }
}
