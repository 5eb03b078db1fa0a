import { MAX_AVATAR_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import type { Me } from '../../../shared/protocol/resources';
import { ConflictError, NotFoundError, PayloadTooLargeError } from '../../errors';
import type { AvatarObjects } from '../../ports/attachment-objects';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { ProfileStore } from '../../ports/profile-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { meView, publicProfile } from '../views';

export interface SetAvatarDeps {
  readonly profiles: Pick<ProfileStore, 'get' | 'setAvatar'>;
  readonly avatarObjects: Pick<AvatarObjects, 'sizeOf' | 'delete'>;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * Makes the caller's uploaded picture their profile picture, or with `undefined` removes it.
 * 1. Count the request (`write`).
 * 2. Setting: the id must be the caller's newest avatar upload (anyone else's, or an older one, is not
 *    found), its object there (else the upload is not complete) and within the cap.
 * 3. Record it (or the removal) in the profile, then delete the picture it replaced.
 * 4. When the picture changed, push the profile to whoever shows it: the caller's friends, co-members and
 *    other devices. The push names the object only; its key travels in the caller's messages.
 */
export function setAvatar(deps: SetAvatarDeps) {
  return async (caller: Caller, avatarId: string | undefined): Promise<Me> => {
    await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
    if (avatarId !== undefined) {
      const profile = await deps.profiles.get(caller.userId);
      if (profile?.avatarUpload !== avatarId) throw new NotFoundError('No such avatar upload of yours');
      const size = await deps.avatarObjects.sizeOf(avatarId);
      if (size === undefined)
        throw new ConflictError('The avatar upload is not complete: post its form first');
      if (size > MAX_AVATAR_SIZE_IN_BYTES) {
        throw new PayloadTooLargeError(size, MAX_AVATAR_SIZE_IN_BYTES);
      }
    }
    const { profile, replaced } = await deps.profiles.setAvatar(caller.userId, avatarId);
    if (replaced !== undefined && replaced !== avatarId) await deps.avatarObjects.delete([replaced]);
    if (replaced !== avatarId) {
      await deps.fanout.enqueue({
        kind: 'profile',
        user: publicProfile(profile),
        correlationId: caller.correlationId,
      });
    }
    return meView(profile);
  };
}
