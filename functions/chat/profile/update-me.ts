import type { Me } from '../../../shared/protocol/resources';
import { NotFoundError } from '../../errors';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { ProfilePatch, ProfileStore } from '../../ports/profile-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import { meView, publicProfile } from '../views';

/**
 * Changes the caller's username or display name.
 * 1. Count the request against the caller's write allowance.
 * 2. Apply the patch (a taken username is a conflict; the old one is released).
 * 3. When the name people see changed, push it to whoever shows it: the caller's friends, co-members and
 *    other devices (the fan-out finds them).
 */
export function updateMe(deps: {
  profiles: ProfileStore;
  rateLimiter: RateLimiter;
  fanout: FanoutQueue;
  clock: () => number;
}) {
  return async (caller: { userId: string; correlationId: string }, patch: ProfilePatch): Promise<Me> => {
    await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
    const before = await deps.profiles.get(caller.userId);
    if (!before) throw new NotFoundError('Call GET /me first to create your profile');
    const after = await deps.profiles.update(caller.userId, patch);
    if (after.displayName !== before.displayName || after.username !== before.username) {
      await deps.fanout.enqueue({
        kind: 'profile',
        user: publicProfile(after),
        correlationId: caller.correlationId,
      });
    }
    return meView(after);
  };
}
