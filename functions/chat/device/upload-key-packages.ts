import type { KeyPackageCount } from '../../../shared/protocol/resources';
import type { Caps } from '../../caps';
import { ForbiddenError, LimitReachedError } from '../../errors';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { KeyPackageStore } from '../../ports/key-package-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { requireOwnDevice } from './device-view';

export interface UploadKeyPackagesDeps {
  readonly devices: DeviceDirectory;
  readonly keyPackages: KeyPackageStore;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
  readonly caps: Pick<Caps, 'keyPackagesPerDevice'>;
}

const claimable = (count: KeyPackageCount) => count.remaining > 0 || count.lastResort;

/**
 * Stores key packages for one of the caller's devices.
 * 1. The device must be the caller's, registered and not revoked.
 * 2. Count the request against the caller's `write` allowance.
 * 3. Refuse the whole upload when it would leave the device more unclaimed one-use packages than the cap.
 * 4. Store each one-use package; replace the last-resort one when given. Return what is left.
 * 5. When the device had no package before (after registering, its first upload), push `device`
 *    `registered` to the caller's devices, friends and co-members: their MLS groups can add it now.
 *    Announced at registration, it would be claimed for before it has anything to claim, and left out.
 */
export function uploadKeyPackages(deps: UploadKeyPackagesDeps) {
  return async (
    caller: Caller,
    deviceId: string,
    upload: { keyPackages: readonly string[]; lastResort?: string | undefined },
  ): Promise<KeyPackageCount> => {
    const device = await requireOwnDevice(deps.devices, caller.userId, deviceId);
    if (device.revokedAt !== undefined) throw new ForbiddenError(`Device ${deviceId} is revoked`);
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const before = await deps.keyPackages.count(caller.userId, deviceId);
    // Uploads of one device come one at a time; two racing may pass the cap by one upload at most.
    if (before.remaining + upload.keyPackages.length > deps.caps.keyPackagesPerDevice) {
      throw new LimitReachedError(
        'keyPackagesPerDevice',
        deps.caps.keyPackagesPerDevice,
        `The device holds ${before.remaining} unclaimed key packages; ${upload.keyPackages.length} more would pass the cap`,
      );
    }
    await deps.keyPackages.add(
      caller.userId,
      deviceId,
      upload.keyPackages.map((keyPackage) => Buffer.from(keyPackage, 'base64')),
      upload.lastResort === undefined ? undefined : Buffer.from(upload.lastResort, 'base64'),
      now,
    );
    const after = await deps.keyPackages.count(caller.userId, deviceId);
    if (!claimable(before) && claimable(after)) {
      await deps.fanout.enqueue({
        kind: 'device',
        event: 'registered',
        userId: caller.userId,
        deviceId,
        correlationId: caller.correlationId,
      });
    }
    return after;
  };
}
