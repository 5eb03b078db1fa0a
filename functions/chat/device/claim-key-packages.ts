import type { KeyPackageClaim } from '../../../shared/protocol/resources';
import { ForbiddenError } from '../../errors';
import type { ConversationStore } from '../../ports/conversation-store';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { KeyPackageStore } from '../../ports/key-package-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { RelationshipStore } from '../../ports/relationship-store';
import { presenceAudience } from '../presence/audience';

export interface ClaimKeyPackagesDeps {
  readonly devices: DeviceDirectory;
  readonly keyPackages: KeyPackageStore;
  readonly relationships: RelationshipStore;
  readonly conversations: ConversationStore;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * Claims one key package for every current device of each user, to add them to an MLS group.
 * 1. Count the request against the caller's `write` allowance.
 * 2. Refuse the whole claim unless every user is the caller, a friend or a co-member (never
 *    anyone blocked either way): strangers cannot drain a user's one-use packages.
 * 3. For each non-revoked device: a one-use package (removed), else the last-resort one (kept),
 *    else list the device as missing.
 */
export function claimKeyPackages(deps: ClaimKeyPackagesDeps) {
  return async (caller: { userId: string }, userIds: readonly string[]): Promise<KeyPackageClaim> => {
    await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
    const unique = [...new Set(userIds)];
    const others = unique.filter((userId) => userId !== caller.userId);
    if (others.length > 0) {
      // Friends and co-members, without anyone blocked either way: those one may add to a conversation.
      const reachable = await presenceAudience(deps, caller.userId);
      if (others.some((userId) => !reachable.has(userId))) {
        throw new ForbiddenError('You can only claim key packages of yourself, your friends and co-members');
      }
    }
    const devices = (await Promise.all(unique.map((userId) => deps.devices.list(userId))))
      .flat()
      .filter((device) => device.revokedAt === undefined);
    const claimed = await Promise.all(
      devices.map(async ({ userId, deviceId }) => ({
        userId,
        deviceId,
        claimed: await deps.keyPackages.claim(userId, deviceId),
      })),
    );
    const result: KeyPackageClaim = { items: [], missing: [] };
    for (const { userId, deviceId, claimed: found } of claimed) {
      if (found) {
        result.items.push({
          userId,
          deviceId,
          keyPackage: Buffer.from(found.keyPackage).toString('base64'),
          lastResort: found.lastResort,
        });
      } else {
        result.missing.push({ userId, deviceId });
      }
    }
    return result;
  };
}
