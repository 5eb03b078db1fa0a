/** A key package handed to a claimer. */
export interface ClaimedPackage {
  readonly keyPackage: Uint8Array;
  /** The device's last-resort package, which stays stored. */
  readonly lastResort: boolean;
}

/**
 * Devices' MLS key packages, opaque bytes to the server. A one-use package is
 * handed out at most once, even to concurrent claimers; the last-resort one
 * is handed out whenever no one-use package is left.
 */
export interface KeyPackageStore {
  /** Adds one-use packages, and replaces the last-resort one when given. */
  add(
    userId: string,
    deviceId: string,
    keyPackages: readonly Uint8Array[],
    lastResort: Uint8Array | undefined,
    now: number,
  ): Promise<void>;
  count(userId: string, deviceId: string): Promise<{ remaining: number; lastResort: boolean }>;
  /** Removes and returns one one-use package (oldest first), else the last-resort one; `undefined` when neither. */
  claim(userId: string, deviceId: string): Promise<ClaimedPackage | undefined>;
}
