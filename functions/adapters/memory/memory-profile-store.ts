import type { Page } from '../../../shared/protocol/resources';
import { ConflictError, NotFoundError, ValidationError } from '../../errors';
import type { Profile, ProfilePatch, ProfileStore } from '../../ports/profile-store';
import { byKey, pageOf } from './page';

const MIN_SEARCH_PREFIX_LENGTH = 2;

/** Profiles kept in memory, with the claims of `DynamoDbProfileStore`: a username or email has one owner. */
export class InMemoryProfileStore implements ProfileStore {
  private readonly profiles = new Map<string, Profile>();
  private readonly usernames = new Map<string, string>();
  private readonly emails = new Map<string, string>();

  constructor(profiles: readonly Profile[] = []) {
    for (const profile of profiles) this.add(profile);
  }

  /** Stores a profile and its claims as is, replacing any; for arranging a test. */
  add(profile: Profile): void {
    this.profiles.set(profile.userId, { ...profile });
    this.usernames.set(profile.username, profile.userId);
    this.emails.set(profile.email, profile.userId);
  }

  /** Who holds a username, if anyone; for assertions. */
  usernameOwner(username: string): string | undefined {
    return this.usernames.get(username);
  }

  /** How many profiles exist; for assertions. */
  get size(): number {
    return this.profiles.size;
  }

  async get(userId: string): Promise<Profile | undefined> {
    const profile = this.profiles.get(userId);
    return profile && { ...profile };
  }

  async getMany(userIds: readonly string[]): Promise<Profile[]> {
    return [...new Set(userIds)].flatMap((userId) => {
      const profile = this.profiles.get(userId);
      return profile ? [{ ...profile }] : [];
    });
  }

  async create(profile: Profile): Promise<'created' | 'username-taken'> {
    const usernameOwner = this.usernames.get(profile.username);
    if (usernameOwner !== undefined && usernameOwner !== profile.userId) return 'username-taken';
    const emailOwner = this.emails.get(profile.email);
    if (emailOwner !== undefined && emailOwner !== profile.userId) {
      throw new ConflictError('The email address belongs to another user');
    }
    if (!this.profiles.has(profile.userId)) this.add(profile);
    return 'created';
  }

  async update(userId: string, patch: ProfilePatch): Promise<Profile> {
    const current = this.profiles.get(userId);
    if (!current) throw new NotFoundError('No profile for this user');
    const username = patch.username ?? current.username;
    const owner = this.usernames.get(username);
    if (owner !== undefined && owner !== userId) throw new ConflictError('The username is taken');
    const updated = { ...current, username, displayName: patch.displayName ?? current.displayName };
    this.profiles.set(userId, updated);
    if (username !== current.username) {
      this.usernames.set(username, userId);
      this.usernames.delete(current.username);
    }
    return { ...updated };
  }

  async changeEmail(userId: string, email: string): Promise<Profile> {
    const current = this.profiles.get(userId);
    if (!current) throw new NotFoundError('No profile for this user');
    const owner = this.emails.get(email);
    if (owner !== undefined && owner !== userId) {
      throw new ConflictError('The email address belongs to another user');
    }
    const updated = { ...current, email };
    this.profiles.set(userId, updated);
    this.emails.set(email, userId);
    if (current.email !== email) this.emails.delete(current.email);
    return { ...updated };
  }

  async startAvatarUpload(userId: string, avatarId: string): Promise<string | undefined> {
    const current = this.profiles.get(userId);
    if (!current) throw new NotFoundError('No profile for this user');
    this.profiles.set(userId, { ...current, avatarUpload: avatarId });
    return current.avatarUpload;
  }

  async setAvatar(
    userId: string,
    avatarId: string | undefined,
  ): Promise<{ profile: Profile; replaced?: string }> {
    const current = this.profiles.get(userId);
    if (!current) throw new NotFoundError('No profile for this user');
    if (avatarId !== undefined && current.avatarUpload !== avatarId) {
      throw new NotFoundError('No such avatar upload');
    }
    const { avatarId: replaced, avatarUpload, ...rest } = current;
    const profile: Profile = {
      ...rest,
      ...(avatarId !== undefined ? { avatarId } : avatarUpload !== undefined ? { avatarUpload } : {}),
    };
    this.profiles.set(userId, profile);
    return { profile: { ...profile }, ...(replaced !== undefined ? { replaced } : {}) };
  }

  async findByEmail(email: string): Promise<Profile | undefined> {
    const userId = this.emails.get(email);
    return userId === undefined ? undefined : this.get(userId);
  }

  async findByUsername(username: string): Promise<Profile | undefined> {
    const userId = this.usernames.get(username);
    return userId === undefined ? undefined : this.get(userId);
  }

  async searchByUsernamePrefix(prefix: string, limit: number, cursor?: string): Promise<Page<Profile>> {
    if (prefix.length < MIN_SEARCH_PREFIX_LENGTH) {
      throw new ValidationError(`A search prefix needs at least ${MIN_SEARCH_PREFIX_LENGTH} characters`);
    }
    const matches = [...this.profiles.values()]
      .filter((profile) => profile.username.startsWith(prefix))
      .sort(byKey((profile) => profile.username))
      .map((profile) => ({ ...profile }));
    return pageOf(matches, (profile) => profile.username, {
      list: `search:${prefix.slice(0, MIN_SEARCH_PREFIX_LENGTH)}`,
      limit,
      cursor,
      accepts: (after) => after.startsWith(prefix),
    });
  }
}
