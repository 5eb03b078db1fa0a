import { fromBase64, toBase64 } from './base64';
import { createDevice, type Device, type DeviceKeyPackage, makeKeyPackages } from './device';
import { StateStoreError } from './errors';
import { decodeKeyPackage } from './mls';
import type { StateStore } from './state-store';

/** Store entries of the device itself, beside its groups' states. */
const DEVICE_ENTRY = 'device';
const KEY_PACKAGES_ENTRY = 'key-packages';

interface StoredKeyPackage {
  readonly publicBytes: string;
  readonly initPrivateKey: string;
  readonly hpkePrivateKey: string;
  readonly signaturePrivateKey: string;
  readonly lastResort: boolean;
}

const encodeJson = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function decodeJson<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (error) {
    throw new StateStoreError(`The stored ${what} is damaged`, { cause: error });
  }
}

/** A key package the device keeps until a Welcome uses it; `lastResort` ones are kept after use. */
export interface HeldKeyPackage extends DeviceKeyPackage {
  readonly lastResort: boolean;
}

/**
 * The device's signature key pair and the private halves of its uploaded key packages, kept in a
 * {@link StateStore} (wrap it in an `EncryptedStateStore` outside tests).
 */
export class DeviceVault {
  private constructor(
    private readonly store: StateStore,
    readonly device: Device,
    private packages: HeldKeyPackage[],
  ) {}

  /** The device stored for this address, or a new one (fresh Ed25519 key pair) stored now. */
  static async open(store: StateStore, userId: string, deviceId: string): Promise<DeviceVault> {
    const stored = await store.get(DEVICE_ENTRY);
    let device: Device;
    if (stored === undefined) {
      device = await createDevice(userId, deviceId);
      await store.put(
        DEVICE_ENTRY,
        encodeJson({
          userId,
          deviceId,
          signaturePublicKey: toBase64(device.signaturePublicKey),
          signaturePrivateKey: toBase64(device.signaturePrivateKey),
        }),
      );
    } else {
      const fields = decodeJson<Record<string, string>>(stored, 'device');
      if (fields.userId !== userId || fields.deviceId !== deviceId) {
        throw new StateStoreError('The store holds another device: use one store per device');
      }
      device = {
        userId,
        deviceId,
        signaturePublicKey: fromBase64(fields.signaturePublicKey ?? ''),
        signaturePrivateKey: fromBase64(fields.signaturePrivateKey ?? ''),
      };
    }
    const held = await store.get(KEY_PACKAGES_ENTRY);
    const packages =
      held === undefined
        ? []
        : decodeJson<StoredKeyPackage[]>(held, 'key packages').map((p) => ({
            publicBytes: fromBase64(p.publicBytes),
            lastResort: p.lastResort,
            secret: {
              publicPackage: decodeKeyPackage(fromBase64(p.publicBytes)),
              privatePackage: {
                initPrivateKey: fromBase64(p.initPrivateKey),
                hpkePrivateKey: fromBase64(p.hpkePrivateKey),
                signaturePrivateKey: fromBase64(p.signaturePrivateKey),
              },
            },
          }));
    return new DeviceVault(store, device, packages);
  }

  /** Key packages not yet used by a Welcome (the last-resort one stays). */
  get keyPackages(): readonly HeldKeyPackage[] {
    return this.packages;
  }

  get hasLastResort(): boolean {
    return this.packages.some((p) => p.lastResort);
  }

  /**
   * Makes `count` one-use key packages (plus a last-resort one when asked) and keeps their private halves
   * before they are uploaded, so a Welcome made from any uploaded package can be joined.
   */
  async makeKeyPackages(count: number, withLastResort: boolean): Promise<HeldKeyPackage[]> {
    const made = await makeKeyPackages(this.device, count + (withLastResort ? 1 : 0), { withLastResort });
    const fresh = made.map((p, i) => ({ ...p, lastResort: withLastResort && i === made.length - 1 }));
    // A new last-resort package replaces the old one on the server: drop ours too.
    this.packages = [...this.packages.filter((p) => !(withLastResort && p.lastResort)), ...fresh];
    await this.save();
    return fresh;
  }

  /** Forgets a one-use key package a Welcome consumed (a last-resort one is kept). */
  async used(keyPackage: HeldKeyPackage): Promise<void> {
    if (keyPackage.lastResort) return;
    this.packages = this.packages.filter((p) => p !== keyPackage);
    await this.save();
  }

  private async save(): Promise<void> {
    const stored: StoredKeyPackage[] = this.packages.map((p) => ({
      publicBytes: toBase64(p.publicBytes),
      initPrivateKey: toBase64(p.secret.privatePackage.initPrivateKey),
      hpkePrivateKey: toBase64(p.secret.privatePackage.hpkePrivateKey),
      signaturePrivateKey: toBase64(p.secret.privatePackage.signaturePrivateKey),
      lastResort: p.lastResort,
    }));
    await this.store.put(KEY_PACKAGES_ENTRY, encodeJson(stored));
  }
}
