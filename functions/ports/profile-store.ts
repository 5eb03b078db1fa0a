import type { Page } from '../../shared/protocol/resources';

/** A user's profile as stored. Only the owner sees `email`. */
export interface Profile {
  readonly userId: string;
  readonly username: string;
  readonly displayName: string;
  readonly email: string;
  /** Epoch ms. */
  readonly createdAt: number;
}

export interface ProfilePatch {
  readonly username?: string;
  readonly displayName?: string;
}

/**
 * Profiles, with unique usernames and emails. Usernames and emails are
 * compared lowercased; callers pass them normalized.
 */
export interface ProfileStore {
  get(userId: string): Promise<Profile | undefined>;
  /** Profiles of the ids that have one, in no particular order. */
  getMany(userIds: readonly string[]): Promise<Profile[]>;
  /**
   * Creates the profile, claiming its username and email.
   * Returns `'username-taken'` (nothing stored) when another user holds the username.
   */
  create(profile: Profile): Promise<'created' | 'username-taken'>;
  /** Applies the patch; throws `ConflictError` when the new username is taken. */
  update(userId: string, patch: ProfilePatch): Promise<Profile>;
  findByEmail(email: string): Promise<Profile | undefined>;
  findByUsername(username: string): Promise<Profile | undefined>;
  /** Profiles whose username starts with `prefix` (at least 2 characters), in username order. */
  searchByUsernamePrefix(prefix: string, limit: number, cursor?: string): Promise<Page<Profile>>;
}
