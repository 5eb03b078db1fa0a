import type { Device } from '../../../shared/protocol/resources';
import type { Caps } from '../../caps';
import { ConflictError, LimitReachedError } from '../../errors';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { RateLimiter } from '../../ports/rate-limiter';
import { deviceView } from './device-view';

export interface RegisterDeviceDeps {
  readonly devices: DeviceDirectory;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
  readonly caps: Pick<Caps, 'devicesPerUser'>;
}

/**
 * Registers one of the caller's devices with its signature public key.
 * 1. Count the request against the caller's `write` allowance.
 * 2. Refuse a new device when the caller has as many unrevoked ones as the cap allows.
 * 3. Store the device unless one with this id exists.
 * 4. A repeat with the same key returns the stored device (revoked or not); another key is a conflict,
 *    since a device's key never changes: a new key is a new device.
 */
export function registerDevice(deps: RegisterDeviceDeps) {
  return async (
    caller: { userId: string },
    request: { deviceId: string; signaturePublicKey: string; name?: string | undefined },
  ): Promise<Device> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const signaturePublicKey = Buffer.from(request.signaturePublicKey, 'base64');
    // Counted from the list (registering is rare, and a user's devices are few): two registrations racing
    // for the last place may both pass, which a cap far above real use can bear. A repeat always passes.
    const devices = await deps.devices.list(caller.userId);
    const active = devices.filter((device) => device.revokedAt === undefined);
    if (
      !devices.some((device) => device.deviceId === request.deviceId) &&
      active.length >= deps.caps.devicesPerUser
    ) {
      throw new LimitReachedError(
        'devicesPerUser',
        deps.caps.devicesPerUser,
        'Too many devices; revoke one before registering another',
      );
    }
    const stored = await deps.devices.registerIfAbsent({
      userId: caller.userId,
      deviceId: request.deviceId,
      signaturePublicKey,
      ...(request.name === undefined ? {} : { name: request.name }),
      createdAt: now,
    });
    if (!Buffer.from(stored.signaturePublicKey).equals(signaturePublicKey)) {
      throw new ConflictError(`Device ${request.deviceId} is registered with another key`);
    }
    const { created: _created, ...device } = stored;
    return deviceView(device);
  };
}
