import type { KeyPackageCount } from '../../../shared/protocol/resources';
import { ForbiddenError } from '../../errors';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { KeyPackageStore } from '../../ports/key-package-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import { requireOwnDevice } from './device-view';

export interface UploadKeyPackagesDeps {
  readonly devices: DeviceDirectory;
  readonly keyPackages: KeyPackageStore;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * Stores key packages for one of the caller's devices.
 * 1. The device must be the caller's, registered and not revoked.
 * 2. Count the request against the caller's `write` allowance.
 * 3. Store each one-use package; replace the last-resort one when given. Return what is left.
 */
export function uploadKeyPackages(deps: UploadKeyPackagesDeps) {
  return async (
    caller: { userId: string },
    deviceId: string,
    upload: { keyPackages: readonly string[]; lastResort?: string | undefined },
  ): Promise<KeyPackageCount> => {
    const device = await requireOwnDevice(deps.devices, caller.userId, deviceId);
    if (device.revokedAt !== undefined) throw new ForbiddenError(`Device ${deviceId} is revoked`);
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    await deps.keyPackages.add(
      caller.userId,
      deviceId,
      upload.keyPackages.map((keyPackage) => Buffer.from(keyPackage, 'base64')),
      upload.lastResort === undefined ? undefined : Buffer.from(upload.lastResort, 'base64'),
      now,
    );
    return deps.keyPackages.count(caller.userId, deviceId);
  };
}
