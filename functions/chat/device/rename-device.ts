import type { Device } from '../../../shared/protocol/resources';
import { NotFoundError } from '../../errors';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { deviceView } from './device-view';

export interface RenameDeviceDeps {
  readonly devices: DeviceDirectory;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * Names one of the caller's devices as the person recognises it ("Laptop at work"). The name is only a
 * label: the device's key, and so every safety number, stays the same.
 * 1. Count the request against the caller's `write` allowance.
 * 2. Set the name of the caller's device of this id; another user's device of the same id is not theirs.
 * 3. Push `device` `renamed` to the caller's devices, whose lists show the name.
 */
export function renameDevice(deps: RenameDeviceDeps) {
  return async (
    caller: Pick<Caller, 'userId' | 'correlationId'>,
    deviceId: string,
    name: string,
  ): Promise<Device> => {
    await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
    const renamed = await deps.devices.rename(caller.userId, deviceId, name);
    if (!renamed) throw new NotFoundError(`You have no device ${deviceId}`);
    await deps.fanout.enqueue({
      kind: 'device',
      event: 'renamed',
      userId: caller.userId,
      deviceId,
      correlationId: caller.correlationId,
    });
    return deviceView(renamed);
  };
}
