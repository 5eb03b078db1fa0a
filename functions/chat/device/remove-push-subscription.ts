import type { ConnectionStore } from '../../ports/connection-store';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { requireOwnDevice } from './device-view';

export interface RemovePushSubscriptionDeps {
  readonly devices: Pick<DeviceDirectory, 'get' | 'removePushSubscription'>;
  readonly connections: Pick<ConnectionStore, 'setPushDevice'>;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * Stops pushes to one of the caller's devices (the person turned notifications off there).
 * 1. The device must be the caller's (revoked or not: a revoked one has nothing left to remove).
 * 2. Count the request against the caller's `write` allowance.
 * 3. Remove its subscription, then its note among the devices fan-out pushes to; removing one that is not
 *    there changes nothing.
 */
export function removePushSubscription(deps: RemovePushSubscriptionDeps) {
  return async (caller: Pick<Caller, 'userId'>, deviceId: string): Promise<void> => {
    await requireOwnDevice(deps.devices, caller.userId, deviceId);
    await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
    await deps.devices.removePushSubscription(caller.userId, deviceId);
    await deps.connections.setPushDevice(caller.userId, deviceId, false);
  };
}
