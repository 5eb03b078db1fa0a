import type { PushSubscriptionView } from '../../../shared/protocol/resources';
import type { PushSubscriptionRecord } from '../../ports/device-directory';
import { iso } from '../views';

/**
 * A stored push subscription as its owner reads it back: the push service's origin, never the path (it
 * names the subscription) nor the keys, so a leaked response cannot be used to push to the device.
 */
export function pushSubscriptionView(subscription: PushSubscriptionRecord): PushSubscriptionView {
  return {
    endpointOrigin: new URL(subscription.endpoint).origin,
    preview: subscription.preview,
    updatedAt: iso(subscription.updatedAt),
  };
}
