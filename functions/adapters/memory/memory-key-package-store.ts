import type { ClaimedPackage, KeyPackageStore } from '../../ports/key-package-store';

/** Key packages kept in memory, per device; a claim takes the oldest one-use package. */
export class InMemoryKeyPackageStore implements KeyPackageStore {
  private readonly oneUse = new Map<string, Uint8Array[]>();
  private readonly lastResorts = new Map<string, Uint8Array>();

  async add(
    userId: string,
    deviceId: string,
    keyPackages: readonly Uint8Array[],
    lastResort: Uint8Array | undefined,
    _now: number,
  ): Promise<void> {
    const key = deviceKey(userId, deviceId);
    this.oneUse.set(key, [
      ...(this.oneUse.get(key) ?? []),
      ...keyPackages.map((bytes) => Uint8Array.from(bytes)),
    ]);
    if (lastResort !== undefined) this.lastResorts.set(key, Uint8Array.from(lastResort));
  }

  async count(userId: string, deviceId: string): Promise<{ remaining: number; lastResort: boolean }> {
    const key = deviceKey(userId, deviceId);
    return { remaining: this.oneUse.get(key)?.length ?? 0, lastResort: this.lastResorts.has(key) };
  }

  async claim(userId: string, deviceId: string): Promise<ClaimedPackage | undefined> {
    const key = deviceKey(userId, deviceId);
    const taken = this.oneUse.get(key)?.shift();
    if (taken) return { keyPackage: taken, lastResort: false };
    const lastResort = this.lastResorts.get(key);
    return lastResort ? { keyPackage: Uint8Array.from(lastResort), lastResort: true } : undefined;
  }
}

function deviceKey(userId: string, deviceId: string): string {
  return JSON.stringify([userId, deviceId]);
}
