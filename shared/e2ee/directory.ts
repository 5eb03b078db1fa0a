import { type DeviceAddress, parseIdentity } from './identity';
import { type AuthenticationService, basicIdentity, type Credential } from './mls';

/** What the directory says about one device. */
export interface DirectoryEntry {
  readonly signaturePublicKey: Uint8Array;
  readonly revoked: boolean;
  /** When the device was revoked (ms since the epoch, the server's clock), if it was. */
  readonly revokedAt?: number;
}

/**
 * The server's device directory as the client sees it (user id, device id → signature key). A port: the
 * HTTP client implements it in the app, {@link InMemoryDirectory} in tests.
 */
export interface Directory {
  /**
   * The device's entry, or `undefined` when the directory does not list it. With `asOf` (ms since the
   * epoch, when the log stored what is being judged), the entry is one read after that moment, never an
   * older copy: a revocation made before it is seen by every reader alike.
   */
  deviceKey(
    userId: string,
    deviceId: string,
    options?: { asOf?: number },
  ): Promise<DirectoryEntry | undefined>;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

/**
 * The MLS authentication service Parley uses instead of the library's accept-all default: a credential is
 * valid only if it is a basic credential naming `userId/deviceId`, the directory lists that device with
 * exactly this signature key, and the device is not revoked. MLS calls it for every leaf it meets: added
 * key packages, commit paths, and the whole tree when joining.
 *
 * A commit is judged as of when the log stored it ({@link asOf}): a device revoked after that was valid
 * then. Every device reaches the same verdict on a commit, whenever it reads it; judged by the directory of
 * the moment instead, a device reading late would refuse a commit everyone else applied, and fall out of
 * the group.
 *
 * @example
 * const config = makeClientConfig(new DirectoryAuthenticationService(directory));
 */
export class DirectoryAuthenticationService implements AuthenticationService {
  constructor(private readonly directory: Directory) {}

  async validateCredential(credential: Credential, signaturePublicKey: Uint8Array): Promise<boolean> {
    return (await this.check(credential, signaturePublicKey)) !== undefined;
  }

  /** The same checks, with a device revoked after `at` (ms since the epoch) still valid. */
  asOf(at: number): AuthenticationService {
    return {
      validateCredential: async (credential, signaturePublicKey) =>
        (await this.check(credential, signaturePublicKey, at)) !== undefined,
    };
  }

  /** The device a credential belongs to, when the directory vouches for it (as of `at`, when given). */
  async check(
    credential: Credential,
    signaturePublicKey: Uint8Array,
    at?: number,
  ): Promise<DeviceAddress | undefined> {
    const identity = basicIdentity(credential);
    if (identity === undefined) return undefined;
    const address = parseIdentity(identity);
    if (address === undefined) return undefined;
    const entry = await this.directory.deviceKey(
      address.userId,
      address.deviceId,
      at === undefined ? undefined : { asOf: at },
    );
    if (entry === undefined) return undefined;
    if (entry.revoked) {
      const revokedLater = at !== undefined && entry.revokedAt !== undefined && entry.revokedAt > at;
      if (!revokedLater) return undefined;
    }
    return bytesEqual(entry.signaturePublicKey, signaturePublicKey) ? address : undefined;
  }
}
