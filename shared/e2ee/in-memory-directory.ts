import type { Directory, DirectoryEntry } from './directory';
import { deviceKeyOf } from './identity';

/**
 * A {@link Directory} held in memory, for tests and the local stack.
 *
 * @example
 * const directory = new InMemoryDirectory();
 * directory.register(phone);
 */
export class InMemoryDirectory implements Directory {
  private readonly entries = new Map<string, DirectoryEntry>();

  /** Lists a device with its signature key (replacing any earlier entry). */
  register(device: { userId: string; deviceId: string; signaturePublicKey: Uint8Array }): void {
    this.entries.set(deviceKeyOf(device), {
      signaturePublicKey: device.signaturePublicKey.slice(),
      revoked: false,
    });
  }

  /** Marks a listed device revoked at `at` (now by default); its credential stops validating. */
  revoke(userId: string, deviceId: string, at = Date.now()): void {
    const key = deviceKeyOf({ userId, deviceId });
    const entry = this.entries.get(key);
    if (entry !== undefined) this.entries.set(key, { ...entry, revoked: true, revokedAt: at });
  }

  async deviceKey(userId: string, deviceId: string): Promise<DirectoryEntry | undefined> {
    return this.entries.get(deviceKeyOf({ userId, deviceId }));
  }
}
