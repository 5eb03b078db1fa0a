import type { Device } from '../../../shared/protocol/resources';
import type { DeviceDirectory } from '../../ports/device-directory';
import { deviceView } from './device-view';

export interface ListDevicesDeps {
  readonly devices: DeviceDirectory;
}

/**
 * A user's devices, revoked ones included. Open to anyone signed in, blocks
 * notwithstanding: members of a group check each other's MLS credentials
 * against these keys, and a block does not end a shared group.
 */
export function listDevices(deps: ListDevicesDeps) {
  return async (userId: string): Promise<Device[]> => (await deps.devices.list(userId)).map(deviceView);
}
