import type { Me } from '../../../shared/protocol/resources';
import { NotFoundError } from '../../errors';
import type { ProfilePatch, ProfileStore } from '../../ports/profile-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import { meView } from '../views';

/**
 * Changes the caller's username or display name.
 * 1. Count the request against the caller's write allowance.
 * 2. Apply the patch (a taken username is a conflict; the old one is released).
 */
export function updateMe(deps: { profiles: ProfileStore; rateLimiter: RateLimiter; clock: () => number }) {
  return async (caller: { userId: string }, patch: ProfilePatch): Promise<Me> => {
    await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
    if (!(await deps.profiles.get(caller.userId)))
      throw new NotFoundError('Call GET /me first to create your profile');
    return meView(await deps.profiles.update(caller.userId, patch));
  };
}
