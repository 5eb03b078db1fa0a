import type { DeviceAddress } from './identity';
import { formatIdentity } from './identity';
import {
  encodeKeyPackage,
  type GeneratedKeyPackage,
  generateKeyPackage,
  generateSignatureKeyPair,
} from './mls';

/**
 * One device of one user: its long-term signature key identifies it in every group. The private key never
 * leaves the device.
 */
export interface Device extends DeviceAddress {
  readonly signaturePublicKey: Uint8Array;
  readonly signaturePrivateKey: Uint8Array;
}

/**
 * A new device with a fresh Ed25519 key pair; register `signaturePublicKey` in the directory.
 *
 * @example
 * const phone = await createDevice('alice', 'phone');
 */
export async function createDevice(userId: string, deviceId: string): Promise<Device> {
  formatIdentity({ userId, deviceId });
  const { publicKey, privateKey } = await generateSignatureKeyPair();
  return { userId, deviceId, signaturePublicKey: publicKey, signaturePrivateKey: privateKey };
}

/** One key package: the bytes to upload, and what the device keeps to join from a Welcome later. */
export interface DeviceKeyPackage {
  /** `MLSMessage` bytes to upload; safe to publish. */
  readonly publicBytes: Uint8Array;
  /** Private init and leaf keys; store encrypted and delete once used. */
  readonly secret: GeneratedKeyPackage;
}

/** Options for {@link makeKeyPackages}. */
export interface MakeKeyPackagesOptions {
  /**
   * Mark the last package `last_resort`, for the server to hand out when the others are used up.
   * @default false
   */
  readonly withLastResort?: boolean;
}

/**
 * `count` one-use key packages for a device, all signed with its signature key.
 *
 * @example
 * const packages = await makeKeyPackages(phone, 10);
 * await api.uploadKeyPackages(packages.map((p) => p.publicBytes));
 */
export async function makeKeyPackages(
  device: Device,
  count: number,
  options: MakeKeyPackagesOptions = {},
): Promise<DeviceKeyPackage[]> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError('count must be a positive integer');
  const identity = formatIdentity(device);
  const signatureKeyPair = { publicKey: device.signaturePublicKey, privateKey: device.signaturePrivateKey };
  const packages: DeviceKeyPackage[] = [];
  for (let i = 0; i < count; i++) {
    const lastResort = options.withLastResort === true && i === count - 1;
    const secret = await generateKeyPackage({ identity, signatureKeyPair, lastResort });
    packages.push({ publicBytes: encodeKeyPackage(secret.publicPackage), secret });
  }
  return packages;
}
