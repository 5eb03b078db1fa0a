import type { Page } from '../../shared/protocol/resources';

/** A user's profile as stored. Only the owner sees `email`. */
export interface Profile {
  readonly userId: string;
  readonly username: string;
  readonly displayName: string;
  readonly email: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** The object of the user's profile picture (encrypted; the key is never on the server). */
  readonly avatarId?: string;
  /** The user's newest avatar upload slot that has not become the picture yet. */
  readonly avatarUpload?: string;
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
  /**
   * Moves the profile to `email`: claims it, points the profile at it, then lets the old one go, so the
   * user is found by the new email and nobody by the old. A repeat is no error. `ConflictError` when
   * another user holds `email` (nothing changes); `NotFoundError` without a profile.
   */
  changeEmail(userId: string, email: string): Promise<Profile>;
  /**
   * Records `avatarId` as the user's newest avatar upload, in place of any earlier one that never became
   * the picture: returns that earlier one, whose object is the caller's to delete. `NotFoundError`
   * without a profile.
   */
  startAvatarUpload(userId: string, avatarId: string): Promise<string | undefined>;
  /**
   * Makes the newest avatar upload the picture, or with `undefined` removes the picture. Returns the
   * profile as it is now and the picture it replaced (whose object is the caller's to delete).
   * `NotFoundError` when `avatarId` is not the user's newest upload, or without a profile.
   */
  setAvatar(userId: string, avatarId: string | undefined): Promise<{ profile: Profile; replaced?: string }>;
  findByEmail(email: string): Promise<Profile | undefined>;
  findByUsername(username: string): Promise<Profile | undefined>;
  /** Profiles whose username starts with `prefix` (at least 2 characters), in username order. */
  searchByUsernamePrefix(prefix: string, limit: number, cursor?: string): Promise<Page<Profile>>;
}
