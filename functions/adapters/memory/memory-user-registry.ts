import type { UserRecord, UserRegistry } from '../../ports/user-directory';

/** Users seen, kept in memory. */
export class InMemoryUserRegistry implements UserRegistry {
  private readonly users = new Map<string, UserRecord & { lastSeenAt: number }>();

  async touch(userId: string, now: number): Promise<void> {
    const firstSeenAt = this.users.get(userId)?.firstSeenAt ?? now;
    this.users.set(userId, { userId, firstSeenAt, lastSeenAt: now });
  }

  async get(userId: string): Promise<UserRecord | undefined> {
    const user = this.users.get(userId);
    return user ? { userId: user.userId, firstSeenAt: user.firstSeenAt } : undefined;
  }

  /** When the user last connected; for assertions. */
  lastSeenAt(userId: string): number | undefined {
    return this.users.get(userId)?.lastSeenAt;
  }
}
