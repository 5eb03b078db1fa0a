import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import { ConflictError, NotFoundError, ValidationError } from '../../errors';
import type { Profile, ProfileStore } from '../../ports/profile-store';
import { DynamoDbProfileStore } from '../dynamodb/dynamodb-profile-store';
import { InMemoryProfileStore } from '../memory/memory-profile-store';

const table = useLocalTable();
const T0 = Date.UTC(2025, 0, 1);
const CURSOR = /^[A-Za-z0-9_-]+$/;

describe.each([
  { adapter: 'InMemoryProfileStore', make: (): ProfileStore => new InMemoryProfileStore() },
  {
    adapter: 'DynamoDbProfileStore',
    make: (): ProfileStore => new DynamoDbProfileStore(table.client, table.tableName),
  },
])('$adapter', ({ make }) => {
  let store: ProfileStore;
  /** Usernames of one test share a prefix no other test uses. */
  let prefix: string;

  const profileOf = (name: string, overrides: Partial<Profile> = {}): Profile => ({
    userId: freshId(name),
    username: `${prefix}${name}`,
    displayName: name,
    email: `${prefix}${name}@example.com`,
    createdAt: T0,
    ...overrides,
  });

  beforeEach(() => {
    store = make();
    prefix = randomBytes(4).toString('hex');
  });

  describe('create', () => {
    it('stores a profile that is found by id, username and email', async () => {
      const alice = profileOf('alice');

      expect(await store.create(alice)).toBe('created');

      expect(await store.get(alice.userId)).toEqual(alice);
      expect(await store.findByUsername(alice.username)).toEqual(alice);
      expect(await store.findByEmail(alice.email)).toEqual(alice);
    });

    it('refuses a username another user holds, storing nothing', async () => {
      const alice = profileOf('alice');
      const impostor = profileOf('impostor', { username: alice.username });
      await store.create(alice);

      expect(await store.create(impostor)).toBe('username-taken');

      expect(await store.get(impostor.userId)).toBeUndefined();
      expect(await store.findByEmail(impostor.email)).toBeUndefined();
      expect(await store.findByUsername(alice.username)).toEqual(alice);
    });

    it('is idempotent: a repeat keeps the stored profile', async () => {
      const alice = profileOf('alice');
      await store.create(alice);

      expect(await store.create({ ...alice, displayName: 'Someone else', createdAt: T0 + 1 })).toBe(
        'created',
      );

      expect(await store.get(alice.userId)).toEqual(alice);
    });

    it('lets go of a username a repeat asked for but the stored profile does not use', async () => {
      const alice = profileOf('alice');
      await store.create(alice);
      await store.create({ ...alice, username: `${prefix}other` });

      const bob = profileOf('bob', { username: `${prefix}other` });
      expect(await store.create(bob)).toBe('created');
      expect(await store.findByUsername(`${prefix}other`)).toEqual(bob);
    });

    it('refuses an email address another user holds, leaving the username free', async () => {
      const alice = profileOf('alice');
      await store.create(alice);
      const bob = profileOf('bob', { email: alice.email });

      await expect(store.create(bob)).rejects.toThrow(ConflictError);

      expect(await store.get(bob.userId)).toBeUndefined();
      expect(await store.findByEmail(alice.email)).toEqual(alice);
      expect(await store.create(profileOf('carol', { username: bob.username }))).toBe('created');
    });
  });

  describe('getMany', () => {
    it('returns the profiles that exist', async () => {
      const alice = profileOf('alice');
      const bob = profileOf('bob');
      await store.create(alice);
      await store.create(bob);

      const found = await store.getMany([alice.userId, 'nobody', bob.userId, alice.userId]);

      expect(found).toHaveLength(2);
      expect(found).toEqual(expect.arrayContaining([alice, bob]));
    });
  });

  describe('update', () => {
    it('changes the display name', async () => {
      const alice = profileOf('alice');
      await store.create(alice);

      const updated = await store.update(alice.userId, { displayName: 'Alice A.' });

      expect(updated).toEqual({ ...alice, displayName: 'Alice A.' });
      expect(await store.get(alice.userId)).toEqual(updated);
    });

    it('moves the username: the new one finds the profile, the old one is free', async () => {
      const alice = profileOf('alice');
      await store.create(alice);

      const updated = await store.update(alice.userId, { username: `${prefix}alicia` });

      expect(updated.username).toBe(`${prefix}alicia`);
      expect(await store.findByUsername(`${prefix}alicia`)).toEqual(updated);
      expect(await store.findByUsername(alice.username)).toBeUndefined();
      expect((await store.searchByUsernamePrefix(prefix, 10)).items).toEqual([updated]);
      expect(await store.create(profileOf('bob', { username: alice.username }))).toBe('created');
    });

    it('refuses a username another user holds, changing nothing', async () => {
      const alice = profileOf('alice');
      const bob = profileOf('bob');
      await store.create(alice);
      await store.create(bob);

      await expect(
        store.update(alice.userId, { username: bob.username, displayName: 'Bob?' }),
      ).rejects.toThrow(ConflictError);

      expect(await store.get(alice.userId)).toEqual(alice);
      expect(await store.findByUsername(bob.username)).toEqual(bob);
    });

    it('throws NotFoundError for a user without a profile', async () => {
      await expect(store.update(freshId('nobody'), { displayName: 'Ghost' })).rejects.toThrow(NotFoundError);
    });
  });

  describe('changeEmail', () => {
    it('moves the email: the new one finds the profile, the old one nobody, and is free for another', async () => {
      const alice = profileOf('alice');
      await store.create(alice);

      const changed = await store.changeEmail(alice.userId, `${prefix}alicia@example.com`);

      expect(changed).toEqual({ ...alice, email: `${prefix}alicia@example.com` });
      expect(await store.get(alice.userId)).toEqual(changed);
      expect(await store.findByEmail(`${prefix}alicia@example.com`)).toEqual(changed);
      expect(await store.findByEmail(alice.email)).toBeUndefined();
      const bob = profileOf('bob', { email: alice.email });
      expect(await store.create(bob)).toBe('created');
      expect(await store.findByEmail(alice.email)).toEqual(bob);
    });

    it('refuses an email another user holds, changing nothing', async () => {
      const alice = profileOf('alice');
      const bob = profileOf('bob');
      await store.create(alice);
      await store.create(bob);

      await expect(store.changeEmail(alice.userId, bob.email)).rejects.toThrow(ConflictError);

      expect(await store.get(alice.userId)).toEqual(alice);
      expect(await store.findByEmail(alice.email)).toEqual(alice);
      expect(await store.findByEmail(bob.email)).toEqual(bob);
    });

    it('is idempotent: a repeat, alone or at once, answers the moved profile', async () => {
      const alice = profileOf('alice');
      await store.create(alice);
      const email = `${prefix}alicia@example.com`;

      const [first, second] = await Promise.all([
        store.changeEmail(alice.userId, email),
        store.changeEmail(alice.userId, email),
      ]);
      const third = await store.changeEmail(alice.userId, email);

      const moved = { ...alice, email };
      expect([first, second, third]).toEqual([moved, moved, moved]);
      expect(await store.findByEmail(email)).toEqual(moved);
      expect(await store.findByEmail(alice.email)).toBeUndefined();
    });

    it('throws NotFoundError for a user without a profile', async () => {
      await expect(store.changeEmail(freshId('nobody'), `${prefix}ghost@example.com`)).rejects.toThrow(
        NotFoundError,
      );
    });
  });

  describe('find', () => {
    it('finds nothing for an unknown username or email', async () => {
      expect(await store.findByUsername(`${prefix}nobody`)).toBeUndefined();
      expect(await store.findByEmail(`${prefix}nobody@example.com`)).toBeUndefined();
    });
  });

  describe('searchByUsernamePrefix', () => {
    const createAll = async (names: readonly string[]) => {
      const profiles = names.map((name) => profileOf(name));
      for (const profile of profiles) await store.create(profile);
      return profiles;
    };

    it('pages through the matches in username order with opaque cursors', async () => {
      const matches = await createAll(['erin', 'bob', 'dave', 'alice', 'carol']);
      await store.create(profileOf('other', { username: `${prefix.slice(0, 2)}zz${prefix}` }));

      const first = await store.searchByUsernamePrefix(prefix, 2);
      expect(first.next).toMatch(CURSOR);
      const second = await store.searchByUsernamePrefix(prefix, 2, first.next);
      expect(second.next).toMatch(CURSOR);
      const third = await store.searchByUsernamePrefix(prefix, 2, second.next);

      expect(first.items).toHaveLength(2);
      expect(second.items).toHaveLength(2);
      expect(third).toEqual({ items: [expect.objectContaining({ username: `${prefix}erin` })] });
      const sorted = [...matches].sort((a, b) => (a.username < b.username ? -1 : 1));
      expect([...first.items, ...second.items, ...third.items]).toEqual(sorted);
    });

    it('narrows to longer prefixes', async () => {
      await createAll(['alice', 'alicia', 'bob']);

      const page = await store.searchByUsernamePrefix(`${prefix}ali`, 10);

      expect(page.items.map((profile) => profile.username)).toEqual([`${prefix}alice`, `${prefix}alicia`]);
      expect(page.next).toBeUndefined();
    });

    it('gives a full last page a cursor that leads to an empty page', async () => {
      await createAll(['alice', 'bob']);

      const first = await store.searchByUsernamePrefix(prefix, 2);
      const rest = await store.searchByUsernamePrefix(prefix, 2, first.next);

      expect(first.items).toHaveLength(2);
      expect(rest).toEqual({ items: [] });
    });

    it('refuses a cursor it did not issue for this search', async () => {
      await createAll(['alice', 'bob', 'carol']);
      const { next } = await store.searchByUsernamePrefix(prefix, 1);
      const otherPrefix = `${prefix.slice(0, 2)}zz`;
      const forged = Buffer.from(JSON.stringify({ pk: 'USER#x', sk: 'PROFILE' })).toString('base64url');

      await expect(store.searchByUsernamePrefix(prefix, 1, 'not a cursor!')).rejects.toThrow(ValidationError);
      await expect(store.searchByUsernamePrefix(prefix, 1, 'Z2FyYmFnZQ')).rejects.toThrow(ValidationError);
      await expect(store.searchByUsernamePrefix(prefix, 1, forged)).rejects.toThrow(ValidationError);
      await expect(store.searchByUsernamePrefix(otherPrefix, 1, next)).rejects.toThrow(ValidationError);
    });

    it('refuses a prefix shorter than two characters', async () => {
      await expect(store.searchByUsernamePrefix('a', 10)).rejects.toThrow(ValidationError);
    });
  });
  describe('avatar', () => {
    const AVATAR_1 = 'avatar1AAAAAAAAAAAAAAA';
    const AVATAR_2 = 'avatar2AAAAAAAAAAAAAAA';

    it('makes only the newest upload the picture, and says which picture and upload it replaced', async () => {
      const alice = profileOf('alice');
      await store.create(alice);

      expect(await store.startAvatarUpload(alice.userId, AVATAR_1)).toBeUndefined();
      expect(await store.startAvatarUpload(alice.userId, AVATAR_2)).toBe(AVATAR_1);
      await expect(store.setAvatar(alice.userId, AVATAR_1)).rejects.toThrow(NotFoundError);

      const set = await store.setAvatar(alice.userId, AVATAR_2);
      expect(set).toEqual({ profile: { ...alice, avatarId: AVATAR_2 } });
      expect(await store.get(alice.userId)).toEqual({ ...alice, avatarId: AVATAR_2 });
      // Made the picture once: not again.
      await expect(store.setAvatar(alice.userId, AVATAR_2)).rejects.toThrow(NotFoundError);

      await store.startAvatarUpload(alice.userId, AVATAR_1);
      expect(await store.setAvatar(alice.userId, AVATAR_1)).toEqual({
        profile: { ...alice, avatarId: AVATAR_1 },
        replaced: AVATAR_2,
      });
    });

    it('removes the picture, and removing none is no error', async () => {
      const alice = profileOf('alice');
      await store.create(alice);
      await store.startAvatarUpload(alice.userId, AVATAR_1);
      await store.setAvatar(alice.userId, AVATAR_1);

      expect(await store.setAvatar(alice.userId, undefined)).toEqual({ profile: alice, replaced: AVATAR_1 });
      expect(await store.setAvatar(alice.userId, undefined)).toEqual({ profile: alice });
      expect(await store.get(alice.userId)).toEqual(alice);
    });

    it('refuses a user without a profile', async () => {
      await expect(store.startAvatarUpload(freshId('nobody'), AVATAR_1)).rejects.toThrow(NotFoundError);
      await expect(store.setAvatar(freshId('nobody'), undefined)).rejects.toThrow(NotFoundError);
    });
  });
});
