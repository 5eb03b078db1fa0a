import type { PushPreview, PushSubscriptionView } from '../../../shared/protocol/resources';
import { ForbiddenError, NotFoundError } from '../../errors';
import type { ConnectionStore } from '../../ports/connection-store';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { pushSubscriptionView } from './push-subscription-view';

export interface SavePushSubscriptionDeps {
  readonly devices: DeviceDirectory;
  /** Where fan-out learns which devices take pushes (beside the user's connections). */
  readonly connections: Pick<ConnectionStore, 'setPushDevice'>;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/** A browser's push subscription, checked by the route's schema, and what its notifications may show. */
export interface PushSubscriptionInput {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
  readonly preview: PushPreview;
}

/**
 * Stores where pushes for one of the caller's devices go, in place of any subscription it had.
 * 1. Count the request against the caller's `write` allowance.
 * 2. Note the device among those fan-out pushes to, first: a note without a subscription (the next step
 *    failed) is found out and dropped at the first push, while a subscription fan-out did not know of
 *    would never be used.
 * 3. Store it on the caller's device of this id, only while that device is not revoked (one conditional
 *    write, so a revocation racing with it cannot leave a subscription behind); when refused, drop the note.
 * 4. Answer what the owner may read back: the push service's origin, never the keys.
 */
export function savePushSubscription(deps: SavePushSubscriptionDeps) {
  return async (
    caller: Pick<Caller, 'userId'>,
    deviceId: string,
    input: PushSubscriptionInput,
  ): Promise<PushSubscriptionView> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const subscription = {
      userId: caller.userId,
      deviceId,
      endpoint: input.endpoint,
      p256dh: input.keys.p256dh,
      auth: input.keys.auth,
      preview: input.preview,
      updatedAt: now,
    };
    await deps.connections.setPushDevice(caller.userId, deviceId, true);
    const outcome = await deps.devices.setPushSubscription(subscription);
    if (outcome !== 'stored') await deps.connections.setPushDevice(caller.userId, deviceId, false);
    if (outcome === 'absent') throw new NotFoundError(`You have no device ${deviceId}`);
    if (outcome === 'revoked') throw new ForbiddenError(`Device ${deviceId} is revoked`);
    return pushSubscriptionView(subscription);
  };
}
