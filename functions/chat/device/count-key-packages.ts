import type { KeyPackageCount } from '../../../shared/protocol/resources';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { KeyPackageStore } from '../../ports/key-package-store';
import { requireOwnDevice } from './device-view';

export interface CountKeyPackagesDeps {
  readonly devices: DeviceDirectory;
  readonly keyPackages: KeyPackageStore;
}

/** How many one-use key packages one of the caller's devices has left, so it knows when to upload more. */
export function countKeyPackages(deps: CountKeyPackagesDeps) {
  return async (caller: { userId: string }, deviceId: string): Promise<KeyPackageCount> => {
    await requireOwnDevice(deps.devices, caller.userId, deviceId);
    return deps.keyPackages.count(caller.userId, deviceId);
  };
}
