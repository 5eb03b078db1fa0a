import { NotFoundError } from '../../errors';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { RateLimiter } from '../../ports/rate-limiter';

export interface RevokeDeviceDeps {
  readonly devices: DeviceDirectory;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * Revokes one of the caller's devices. The device stays listed, marked
 * revoked, so credentials it signed can still be judged; its key packages are
 * no longer handed out. Revoking again changes nothing.
 */
export function revokeDevice(deps: RevokeDeviceDeps) {
  return async (caller: { userId: string }, deviceId: string): Promise<void> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const revoked = await deps.devices.revoke(caller.userId, deviceId, now);
    if (!revoked) throw new NotFoundError(`You have no device ${deviceId}`);
  };
}
