import type { Device } from '../../../shared/protocol/resources';
import { NotFoundError } from '../../errors';
import type { DeviceDirectory, DeviceRecord } from '../../ports/device-directory';
import { iso } from '../views';

/** A stored device as the API shows it: key in base64, times in ISO 8601. */
export function deviceView(device: DeviceRecord): Device {
  return {
    userId: device.userId,
    deviceId: device.deviceId,
    signaturePublicKey: Buffer.from(device.signaturePublicKey).toString('base64'),
    ...(device.name === undefined ? {} : { name: device.name }),
    createdAt: iso(device.createdAt),
    revoked: device.revokedAt !== undefined,
    ...(device.revokedAt === undefined ? {} : { revokedAt: iso(device.revokedAt) }),
  };
}

/**
 * The caller's own device, or `NotFoundError`. Device ids are per user, so
 * another user's device of the same id is simply not the caller's.
 */
export async function requireOwnDevice(
  devices: Pick<DeviceDirectory, 'get'>,
  userId: string,
  deviceId: string,
): Promise<DeviceRecord> {
  const device = await devices.get(userId, deviceId);
  if (!device) throw new NotFoundError(`You have no device ${deviceId}`);
  return device;
}
