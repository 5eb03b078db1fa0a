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
   * Marks the device revoked at `now` unless it already is; the stored device, or `undefined` when none,
   * with `revokedNow` only for the call that revoked it.
   */
  revoke(
    userId: string,
    deviceId: string,
    now: number,
  ): Promise<(DeviceRecord & { readonly revokedNow?: true }) | undefined>;
  /** Sets the device's name, revoked or not; the stored device, or `undefined` when the user has none of this id. */
  rename(userId: string, deviceId: string, name: string): Promise<DeviceRecord | undefined>;
}
