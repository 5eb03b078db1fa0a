import { MAX_PAGE_BODIES_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import type { Page, PendingWelcome } from '../../../shared/protocol/resources';
import type { BlobStore } from '../../ports/blob-store';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { WelcomeStore } from '../../ports/welcome-store';
import { requireOwnDevice } from '../device/device-view';
import { iso } from '../views';
import { loadBytes } from './mls-bytes';

export interface WelcomesDeps {
  readonly devices: DeviceDirectory;
  readonly welcomes: WelcomeStore;
  readonly blobs: BlobStore;
}

/**
 * A page of the Welcomes waiting for one of the caller's devices, each with its
 * bytes (read from the blob store for a large one). The page stops early
 * rather than grow past `MAX_PAGE_BODIES_SIZE_IN_BYTES`. A Welcome whose bytes
 * expired is left out: it is past its life, as its item is.
 */
export function listWelcomes(deps: WelcomesDeps) {
  return async (
    caller: { userId: string },
    deviceId: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<PendingWelcome>> => {
    await requireOwnDevice(deps.devices, caller.userId, deviceId);
    const { items, next } = await deps.welcomes.list(caller.userId, deviceId, {
      ...page,
      maxBase64Bytes: MAX_PAGE_BODIES_SIZE_IN_BYTES,
    });
    const loaded = await Promise.all(
      items.map(async (welcome) => {
        const bytes = await loadBytes(deps.blobs, welcome.welcome);
        return bytes === undefined
          ? []
          : [
              {
                conversationId: welcome.conversationId,
                epoch: welcome.epoch,
                welcome: Buffer.from(bytes).toString('base64'),
                createdAt: iso(welcome.createdAt),
              },
            ];
      }),
    );
    return { items: loaded.flat(), ...(next === undefined ? {} : { next }) };
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
