import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS } from '../../../shared/protocol/limits';
import {
  befriend,
  type MemoryDeps,
  memoryDeps,
  rateLimiterWith,
  seedBlock,
  seedConversation,
} from '../../../test/support/fixtures';
import { ConflictError, NotFoundError, PayloadTooLargeError, RateLimitedError } from '../../errors';
import { createAvatarUpload } from './create-avatar-upload';
import { getAvatar } from './get-avatar';
import { setAvatar } from './set-avatar';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const profile = (userId: string) => ({
  userId,
  username: userId,
  displayName: userId,
  email: `${userId}@example.com`,
  createdAt: T0,
});
const caller = (userId: string) => ({ userId, correlationId: `req-${userId}` });
const alice = caller('alice');

describe('profile pictures: upload, set, remove and links', () => {
  let deps: MemoryDeps;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps({ profiles: ['alice', 'bob', 'carol', 'eve', 'mallory'].map(profile) });
    // Bob is Alice's friend, Carol shares a group with her, Eve is no one to her, Mallory is blocked.
    await befriend(deps.relationships, 'alice', 'bob', T0);
    await befriend(deps.relationships, 'alice', 'mallory', T0);
    await seedConversation(deps.conversations, {
      conversationId: 'g_club',
      kind: 'group',
      memberIds: ['alice', 'carol', 'mallory'],
      now: T0,
    });
    await seedBlock(deps, 'mallory', 'alice', T0);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** Alice asks for a slot and posts its form with `size` bytes. */
  async function uploaded(size = 100) {
    const slot = await createAvatarUpload(deps)(alice, size);
    deps.avatarObjects.upload(slot.avatarId, size);
    return slot.avatarId;
  }

  it('sets an uploaded picture, pushes the profile with its id, and never stores a key', async () => {
    const avatarId = await uploaded();

    const me = await setAvatar(deps)(alice, avatarId);

    expect(me).toMatchObject({ userId: 'alice', avatarId });
    expect(deps.fanout.jobs).toEqual([
      {
        kind: 'profile',
        user: { userId: 'alice', username: 'alice', displayName: 'alice', avatarId },
        correlationId: 'req-alice',
      },
    ]);
    expect(await deps.profiles.get('alice')).toEqual({ ...profile('alice'), avatarId });
  });

  it('deletes the picture it replaces, and an earlier upload that never became one', async () => {
    const first = await uploaded();
    await setAvatar(deps)(alice, first);
    const abandoned = await uploaded();
    const second = await uploaded();
    expect(deps.avatarObjects.deleted).toEqual([abandoned]);

    await setAvatar(deps)(alice, second);

    expect(deps.avatarObjects.deleted).toEqual([abandoned, first]);
  });

  it("refuses another user's upload, an older one and one whose form was never posted", async () => {
    const bobs = await createAvatarUpload(deps)(caller('bob'), 100);
    deps.avatarObjects.upload(bobs.avatarId, 100);
    await expect(setAvatar(deps)(alice, bobs.avatarId)).rejects.toThrow(NotFoundError);

    const older = await uploaded();
    await uploaded();
    await expect(setAvatar(deps)(alice, older)).rejects.toThrow(NotFoundError);

    const { avatarId: notPosted } = await createAvatarUpload(deps)(alice, 100);
    await expect(setAvatar(deps)(alice, notPosted)).rejects.toThrow(ConflictError);
    expect((await deps.profiles.get('alice'))?.avatarId).toBeUndefined();
    expect(deps.fanout.jobs).toEqual([]);
  });

  it('refuses an object over the cap', async () => {
    const { avatarId } = await createAvatarUpload(deps)(alice, 100);
    deps.avatarObjects.upload(avatarId, 64 * 1024 + 1);

    await expect(setAvatar(deps)(alice, avatarId)).rejects.toThrow(PayloadTooLargeError);
  });

  it('removes the picture: its object deleted, the profile pushed without it', async () => {
    const avatarId = await uploaded();
    await setAvatar(deps)(alice, avatarId);

    const me = await setAvatar(deps)(alice, undefined);

    expect(me.avatarId).toBeUndefined();
    expect(deps.avatarObjects.deleted).toEqual([avatarId]);
    expect(deps.fanout.jobs.at(-1)).toMatchObject({ kind: 'profile', user: { userId: 'alice' } });
    expect(deps.fanout.jobs.at(-1)).not.toHaveProperty('user.avatarId');
    // Nothing to remove: nothing pushed.
    await setAvatar(deps)(alice, undefined);
    expect(deps.fanout.jobs).toHaveLength(2);
  });

  it('links the picture for the user, a friend and a co-member; 404 for a stranger and across a block', async () => {
    const avatarId = await uploaded();
    await setAvatar(deps)(alice, avatarId);
    const expiresAt = T0 + ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS * 1000;

    for (const viewer of ['alice', 'bob', 'carol']) {
      await expect(getAvatar(deps)(caller(viewer), 'alice')).resolves.toEqual({
        avatarId,
        url: `memory://avatars/${avatarId}?expires=${expiresAt}`,
        expiresAt: new Date(expiresAt).toISOString(),
      });
    }
    await expect(getAvatar(deps)(caller('eve'), 'alice')).rejects.toThrow(NotFoundError);
    await expect(getAvatar(deps)(caller('mallory'), 'alice')).rejects.toThrow(NotFoundError);
    // Bob has no picture: the same answer as a stranger's.
    await expect(getAvatar(deps)(alice, 'bob')).rejects.toThrow(NotFoundError);
  });

  it('counts slots and changes as writes against the rate limit', async () => {
    deps = { ...deps, rateLimiter: rateLimiterWith({ write: { limit: 2, windowSeconds: 60 } }) };
    const avatarId = await uploaded();
    await setAvatar(deps)(alice, avatarId);

    await expect(createAvatarUpload(deps)(alice, 100)).rejects.toThrow(RateLimitedError);
    await expect(setAvatar(deps)(alice, undefined)).rejects.toThrow(RateLimitedError);
  });
});
