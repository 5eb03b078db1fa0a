import type { PushSubscriptionView } from '../../../shared/protocol/resources';
import { NotFoundError } from '../../errors';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { Caller } from '../access';
import { pushSubscriptionView } from './push-subscription-view';

export interface GetPushSubscriptionDeps {
  readonly devices: Pick<DeviceDirectory, 'getPushSubscription'>;
}

/**
 * Where pushes for one of the caller's devices go and what they may show; `NotFoundError` when the
 * caller has no such device or it has no subscription. Only the caller's own devices are looked in.
 */
export function getPushSubscription(deps: GetPushSubscriptionDeps) {
  return async (caller: Pick<Caller, 'userId'>, deviceId: string): Promise<PushSubscriptionView> => {
    const subscription = await deps.devices.getPushSubscription(caller.userId, deviceId);
    if (!subscription) throw new NotFoundError(`Your device ${deviceId} has no push subscription`);
    return pushSubscriptionView(subscription);
  };
}
