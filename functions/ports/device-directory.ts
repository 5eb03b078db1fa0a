import type { PushPreview } from '../../shared/protocol/resources';

/** A registered device of a user; its key is opaque bytes to the server. */
export interface DeviceRecord {
  readonly userId: string;
  readonly deviceId: string;
  /** Ed25519 public key the device signs its MLS credentials with. */
  readonly signaturePublicKey: Uint8Array;
  readonly name?: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms; set once, never cleared. */
  readonly revokedAt?: number;
}

/**
 * Where a device's Web Push notifications go (RFC 8030), the keys they are encrypted to (RFC 8291), and
 * what they may show. At most one per device; a revoked device has none.
 */
export interface PushSubscriptionRecord {
  readonly userId: string;
  readonly deviceId: string;
  /** The push service's `https:` URL for this subscription. */
  readonly endpoint: string;
  /** The subscription's P-256 public key, base64url, as the browser gave it. */
  readonly p256dh: string;
  /** The subscription's authentication secret, base64url, as the browser gave it. */
  readonly auth: string;
  readonly preview: PushPreview;
  /** Epoch ms. */
  readonly updatedAt: number;
}

/** What storing a push subscription came to: stored, or refused because the device is absent or revoked. */
export type SetPushSubscriptionOutcome = 'stored' | 'absent' | 'revoked';

/** Users' devices. Devices are revoked, never deleted, so old credentials stay checkable. */
export interface DeviceDirectory {
  /**
   * Stores the device unless the user already has one with this id; returns
   * what is stored, with `created` only for the call that stored it.
   */
  registerIfAbsent(device: DeviceRecord): Promise<DeviceRecord & { readonly created?: true }>;
  /** The device, revoked or not (strongly consistent). */
  get(userId: string, deviceId: string): Promise<DeviceRecord | undefined>;
  /** Every device of the user, revoked ones included, in device id order. */
  list(userId: string): Promise<DeviceRecord[]>;
  /**
   * Marks the device revoked at `now` unless it already is, and removes its push subscription in the same write; the stored device, or `undefined` when none,
   * with `revokedNow` only for the call that revoked it.
   */
  revoke(
    userId: string,
    deviceId: string,
    now: number,
  ): Promise<(DeviceRecord & { readonly revokedNow?: true }) | undefined>;
  /** Sets the device's name, revoked or not; the stored device, or `undefined` when the user has none of this id. */
  rename(userId: string, deviceId: string, name: string): Promise<DeviceRecord | undefined>;
  /**
   * Stores the device's push subscription in place of any it had, only while the device exists and is not
   * revoked; a revocation racing with it either comes first (and this is refused) or removes what this stored.
   */
  setPushSubscription(subscription: PushSubscriptionRecord): Promise<SetPushSubscriptionOutcome>;
  /** The device's push subscription (strongly consistent), or `undefined` when it has none. */
  getPushSubscription(userId: string, deviceId: string): Promise<PushSubscriptionRecord | undefined>;
  /**
   * Removes the device's push subscription; removing one that is not there changes nothing. With
   * `endpoint`, only while the subscription still goes there (a push service said that one is gone, and
   * the browser may have subscribed anew since).
   */
  removePushSubscription(userId: string, deviceId: string, options?: { endpoint?: string }): Promise<void>;
  /** Removes the push subscription of every device of the user. */
  removePushSubscriptions(userId: string): Promise<void>;
  /** The push subscriptions of the user's devices, with their keys, in device id order: whom to push to. */
  listPushSubscriptions(userId: string): Promise<PushSubscriptionRecord[]>;
}
