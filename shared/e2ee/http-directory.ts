import type { ApiClient } from '../client/api-client';
import { fromBase64 } from './base64';
import type { Directory, DirectoryEntry } from './directory';
import type { DeviceAddress } from './identity';

/** A device as the server's directory lists it. */
export interface ListedDevice extends DeviceAddress, DirectoryEntry {}

/** How long a user's device list is trusted before it is fetched again. */
export const DIRECTORY_TTL_IN_MS = 10_000;

/**
 * The server's device directory over the HTTP API (`GET /users/{userId}/devices`), cached per user for
 * {@link DIRECTORY_TTL_IN_MS}. A device missing from a cached list makes it fetch again at once, so a device
 * registered a moment ago is found; a revocation is seen within the TTL, or at once after
 * {@link HttpDirectory.forget}.
 */
export class HttpDirectory implements Directory {
  /** Per user: when the list was fetched (this clock), and the latest `asOf` it was fetched for. */
  private readonly cache = new Map<string, { at: number; asOf?: number; devices: Promise<ListedDevice[]> }>();
  private forgotten = 0;

  /** Counts {@link HttpDirectory.forget} calls: a change means some user's devices may have changed. */
  get generation(): number {
    return this.forgotten;
  }

  constructor(
    private readonly api: Pick<ApiClient, 'listDevices'>,
    private readonly clock: () => number = Date.now,
  ) {}

  async deviceKey(
    userId: string,
    deviceId: string,
    options: { asOf?: number } = {},
  ): Promise<DirectoryEntry | undefined> {
    const find = (devices: ListedDevice[]) => devices.find((d) => d.deviceId === deviceId);
    const { asOf } = options;
    if (asOf !== undefined && (this.cache.get(userId)?.asOf ?? Number.NEGATIVE_INFINITY) < asOf) {
      // Judging something stored at `asOf`: a list fetched now, after it, holds every revocation before it.
      return find(await this.devicesOf(userId, { fresh: true, asOf }));
    }
    const cached = find(await this.devicesOf(userId));
    if (cached !== undefined) return cached;
    return find(await this.devicesOf(userId, { fresh: true }));
  }

  /** A user's devices, revoked ones included. */
  devicesOf(userId: string, options: { fresh?: boolean; asOf?: number } = {}): Promise<ListedDevice[]> {
    const hit = this.cache.get(userId);
    if (hit !== undefined && options.fresh !== true && this.clock() - hit.at < DIRECTORY_TTL_IN_MS) {
      return hit.devices;
    }
    const devices = this.api.listDevices({ params: { userId } }).then(({ items }) =>
      items.map((d) => ({
        userId: d.userId,
        deviceId: d.deviceId,
        signaturePublicKey: fromBase64(d.signaturePublicKey),
        revoked: d.revoked,
        ...(d.revokedAt === undefined ? {} : { revokedAt: Date.parse(d.revokedAt) }),
      })),
    );
    const asOf = Math.max(options.asOf ?? Number.NEGATIVE_INFINITY, hit?.asOf ?? Number.NEGATIVE_INFINITY);
    this.cache.set(userId, { at: this.clock(), ...(Number.isFinite(asOf) ? { asOf } : {}), devices });
    devices.catch(() => this.cache.delete(userId));
    return devices;
  }

  /** Drops a user's cached list (after a push said their devices changed). */
  forget(userId: string): void {
    this.cache.delete(userId);
    this.forgotten++;
  }
}
