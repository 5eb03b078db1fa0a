import { randomBytes } from 'node:crypto';
import type { AvatarUploadSlot } from '../../../shared/api/route-responses';
import { ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS } from '../../../shared/protocol/limits';
import type { AvatarObjects } from '../../ports/attachment-objects';
import type { ProfileStore } from '../../ports/profile-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';

export interface CreateAvatarUploadDeps {
  readonly profiles: Pick<ProfileStore, 'startAvatarUpload'>;
  readonly avatarObjects: Pick<AvatarObjects, 'uploadForm' | 'delete'>;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * An upload slot for the caller's encrypted profile picture: a form that stores exactly `size` bytes (at
 * most `MAX_AVATAR_SIZE_IN_BYTES`, which the route's schema holds) under a fresh opaque id, for a while.
 * 1. Count the request (`write`).
 * 2. Record the id as the caller's newest upload, the only one that may become the picture; an earlier
 *    upload that never became one is deleted, so a user has at most one such object besides the picture.
 * 3. Sign the form: one key, exactly `size` bytes, until the window closes.
 */
export function createAvatarUpload(deps: CreateAvatarUploadDeps) {
  return async (caller: Caller, size: number): Promise<AvatarUploadSlot> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const avatarId = randomBytes(16).toString('base64url');
    const earlier = await deps.profiles.startAvatarUpload(caller.userId, avatarId);
    if (earlier !== undefined) await deps.avatarObjects.delete([earlier]);
    const expiresAt = now + ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS * 1000;
    const form = await deps.avatarObjects.uploadForm(avatarId, size, expiresAt);
    return {
      avatarId,
      url: form.url,
      fields: { ...form.fields },
      expiresAt: new Date(expiresAt).toISOString(),
    };
  };
}
