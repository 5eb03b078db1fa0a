import type { Page, PendingWelcome } from '../../../shared/protocol/resources';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { WelcomeStore } from '../../ports/welcome-store';
import { requireOwnDevice } from '../device/device-view';
import { iso } from '../views';

export interface WelcomesDeps {
  readonly devices: DeviceDirectory;
  readonly welcomes: WelcomeStore;
}

/** A page of the Welcomes waiting for one of the caller's devices. */
export function listWelcomes(deps: WelcomesDeps) {
  return async (
    caller: { userId: string },
    deviceId: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<PendingWelcome>> => {
    await requireOwnDevice(deps.devices, caller.userId, deviceId);
    const { items, next } = await deps.welcomes.list(caller.userId, deviceId, page);
    return {
      items: items.map((welcome) => ({
        conversationId: welcome.conversationId,
        epoch: welcome.epoch,
        welcome: Buffer.from(welcome.welcome).toString('base64'),
        createdAt: iso(welcome.createdAt),
      })),
      ...(next === undefined ? {} : { next }),
    };
  };
}

/** Removes a Welcome the caller's device processed; acknowledging twice is no error. */
export function acknowledgeWelcome(deps: WelcomesDeps) {
  return async (
    caller: { userId: string },
    welcome: { deviceId: string; conversationId: string; epoch: number },
  ): Promise<void> => {
    await requireOwnDevice(deps.devices, caller.userId, welcome.deviceId);
    await deps.welcomes.remove(caller.userId, welcome.deviceId, welcome.conversationId, welcome.epoch);
  };
}
