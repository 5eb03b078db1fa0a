import type { Device, DeviceKeyPackage } from './device';
import { type Directory, DirectoryAuthenticationService } from './directory';
import { CredentialRejectedError, GroupStateError } from './errors';
import { type DeviceAddress, deviceKeyOf, formatIdentity, parseIdentity } from './identity';
import {
  basicIdentity,
  type ClientConfig,
  createApplicationMessage,
  createCommit,
  createGroup,
  decodeGroupState,
  decodeKeyPackage,
  encodeGroupState,
  epochOf,
  findWelcomedKeyPackage,
  generateKeyPackage,
  groupIdOf,
  isActive,
  joinGroup,
  type KeyPackage,
  keyPackageLeaf,
  listMembers,
  type MlsGroupState,
  type MlsMember,
  makeClientConfig,
  ownLeafIndex,
  processMessage,
  zeroOut,
} from './mls';

/**
 * Size of a random group id; the server maps conversations to groups. 128 random bits make a collision
 * negligible, and every message carries the id, so it is kept short.
 */
export const GROUP_ID_LENGTH_IN_BYTES = 16;

/** A member device as the group sees it. */
export interface GroupMember extends DeviceAddress {
  readonly leafIndex: number;
  readonly signaturePublicKey: Uint8Array;
}

/** What decrypting one incoming message produced. */
export type GroupEvent =
  | {
      readonly kind: 'message';
      readonly senderUserId: string;
      readonly senderDeviceId: string;
      readonly plaintext: Uint8Array;
    }
  | {
      readonly kind: 'commit';
      /** The epoch the group is at after the commit. */
      readonly epoch: bigint;
      readonly committer: DeviceAddress | undefined;
      readonly added: readonly DeviceAddress[];
      readonly removed: readonly DeviceAddress[];
      /** This device was removed: the session can no longer send or read new messages. */
      readonly removedSelf: boolean;
    }
  | { readonly kind: 'proposal' };

/** The result of {@link GroupSession.decrypt}: the session to keep using, and what happened. */
export interface Decrypted {
  readonly session: GroupSession;
  readonly event: GroupEvent;
}

/** The result of {@link GroupSession.encrypt}. */
export interface Encrypted {
  readonly session: GroupSession;
  /** Bytes to send to the group. */
  readonly message: Uint8Array;
}

/**
 * A commit sent to the server but not yet accepted. The server takes exactly one commit per epoch: on
 * acceptance call {@link PendingCommit.confirm}; on rejection (409) drop it, decrypt the winning commit with
 * the session that created this one, and try again from the resulting session.
 */
export interface PendingCommit {
  /** Bytes for the existing members. */
  readonly commit: Uint8Array;
  /** Bytes for the added devices, when the commit adds any (the ratchet tree travels inside). */
  readonly welcome: Uint8Array | undefined;
  /** The epoch the group reaches once this commit is accepted. */
  readonly epoch: bigint;
  /** The session at the new epoch. Also wipes old-epoch secrets, so call it only after acceptance. */
  confirm(): GroupSession;
  /**
   * The session at the new epoch, encoded, without wiping anything: what a client stores before it posts
   * the commit, to go on from should it stop before the answer (the old session stays usable meanwhile).
   */
  encodeNext(): Uint8Array;
  /**
   * Whether every device this commit adds was valid when the log stored it (`storedAt`, ms since the
   * epoch): the verdict every other member reaches when it reads the commit. When false, they refuse it,
   * and so must its author: drop it rather than {@link confirm} it.
   */
  validAsOf(storedAt: number): Promise<boolean>;
}

function memberOf(member: MlsMember): GroupMember | undefined {
  const identity = basicIdentity(member.credential);
  const address = identity === undefined ? undefined : parseIdentity(identity);
  if (address === undefined) return undefined;
  return { ...address, leafIndex: member.leafIndex, signaturePublicKey: member.signaturePublicKey };
}

function randomGroupId(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(GROUP_ID_LENGTH_IN_BYTES));
}

/**
 * One device's view of one conversation's MLS group. Immutable: every operation returns a new session, and
 * the one it was called on must not be used afterwards (its spent keys are wiped), except after a failed
 * operation, which leaves it intact.
 *
 * @example
 * const alice = await GroupSession.create(alicePhone, directory);
 * const pending = await alice.addDevices([bobKeyPackageBytes]);
 * await api.postCommit(pending.commit, pending.welcome);
 * let session = pending.confirm();
 * const { session: next, message } = await session.encrypt(new TextEncoder().encode('hi'));
 */
export class GroupSession {
  private constructor(
    /** This device. */
    readonly self: DeviceAddress,
    private readonly state: MlsGroupState,
    private readonly config: ClientConfig,
    private readonly auth: DirectoryAuthenticationService,
  ) {}

  private static context(directory: Directory): {
    config: ClientConfig;
    auth: DirectoryAuthenticationService;
  } {
    const auth = new DirectoryAuthenticationService(directory);
    return { auth, config: makeClientConfig(auth) };
  }

  /**
   * A new group with this device as the only member. Fails with {@link CredentialRejectedError} when the
   * directory does not vouch for the device itself.
   */
  static async create(
    device: Device,
    directory: Directory,
    groupId: Uint8Array = randomGroupId(),
  ): Promise<GroupSession> {
    const { config, auth } = GroupSession.context(directory);
    const own = await generateKeyPackage({
      identity: formatIdentity(device),
      signatureKeyPair: { publicKey: device.signaturePublicKey, privateKey: device.signaturePrivateKey },
    });
    const state = await createGroup(groupId, own.publicPackage, own.privatePackage, config);
    return new GroupSession(device, state, config, auth);
  }

  /**
   * Joins from a Welcome, using whichever of the device's unused key packages it was made for. Every member
   * in the received tree is checked against the directory; one unknown, revoked or re-keyed device makes
   * the join fail with {@link CredentialRejectedError}.
   *
   * @returns the session, and the index in `keyPackages` that was used (delete it: key packages are one-use)
   */
  static async join(
    device: Device,
    directory: Directory,
    welcome: Uint8Array,
    keyPackages: readonly DeviceKeyPackage[],
  ): Promise<{ session: GroupSession; usedKeyPackage: number }> {
    const { config, auth } = GroupSession.context(directory);
    const index = await findWelcomedKeyPackage(
      welcome,
      keyPackages.map((k) => k.secret.publicPackage),
    );
    const chosen = index === undefined ? undefined : keyPackages[index]?.secret;
    if (index === undefined || chosen === undefined) {
      throw new GroupStateError('The welcome is not for any of this device’s key packages');
    }
    const state = await joinGroup(welcome, chosen.publicPackage, chosen.privatePackage, config);
    return { session: new GroupSession(device, state, config, auth), usedKeyPackage: index };
  }

  /** A session from {@link GroupSession.encode} output (decrypt it first if it was stored encrypted). */
  static restore(self: DeviceAddress, directory: Directory, encoded: Uint8Array): GroupSession {
    const { config, auth } = GroupSession.context(directory);
    return new GroupSession(self, decodeGroupState(encoded, config), config, auth);
  }

  /** The group state with private keys, for {@link StateStore}s; never send it anywhere. */
  encode(): Uint8Array {
    return encodeGroupState(this.state);
  }

  get epoch(): bigint {
    return epochOf(this.state);
  }

  get groupId(): Uint8Array {
    return groupIdOf(this.state).slice();
  }

  /** False once this device was removed from the group. */
  get active(): boolean {
    return isActive(this.state);
  }

  /** Every member device, in leaf order (this device included). */
  members(): GroupMember[] {
    return listMembers(this.state).flatMap((m) => memberOf(m) ?? []);
  }

  /**
   * A commit adding devices by their key packages (as uploaded). Each is checked against the directory
   * first.
   */
  async addDevices(keyPackages: readonly Uint8Array[]): Promise<PendingCommit> {
    return this.changeMembers({ add: keyPackages });
  }

  /** A commit removing every listed device that is a member (unknown ones are an error). */
  async removeDevices(devices: readonly DeviceAddress[]): Promise<PendingCommit> {
    return this.changeMembers({ remove: devices });
  }

  /**
   * One commit that removes member devices and adds devices by their key packages: how a client brings the
   * group in line with the server's member list in a single epoch. Key packages are checked against the
   * directory first; removing a device that is not a member, or this device, is an error.
   */
  async changeMembers(changes: {
    readonly add?: readonly Uint8Array[];
    readonly remove?: readonly DeviceAddress[];
  }): Promise<PendingCommit> {
    const add: KeyPackage[] = [];
    for (const bytes of changes.add ?? []) {
      const keyPackage = decodeKeyPackage(bytes);
      const { credential, signaturePublicKey } = keyPackageLeaf(keyPackage);
      if ((await this.auth.check(credential, signaturePublicKey)) === undefined) {
        throw new CredentialRejectedError('A key package is not vouched for by the directory');
      }
      add.push(keyPackage);
    }
    const byDevice = new Map(this.members().map((m) => [deviceKeyOf(m), m.leafIndex]));
    const removeLeaves = (changes.remove ?? []).map((device) => {
      const leaf = byDevice.get(deviceKeyOf(device));
      if (leaf === undefined) throw new GroupStateError('Cannot remove a device that is not a member');
      if (leaf === ownLeafIndex(this.state)) throw new GroupStateError('A device cannot remove itself');
      return leaf;
    });
    return this.commit({ add, removeLeaves });
  }

  /** An empty commit: fresh keys on this device's path, a new epoch (post-compromise security). */
  async selfUpdate(): Promise<PendingCommit> {
    return this.commit({});
  }

  private async commit(changes: Parameters<typeof createCommit>[1]): Promise<PendingCommit> {
    const created = await createCommit(this.state, changes);
    let confirmed: GroupSession | undefined;
    const added = changes?.add ?? [];
    return {
      commit: created.commit,
      welcome: created.welcome,
      epoch: epochOf(created.newState),
      validAsOf: async (storedAt) => {
        for (const keyPackage of added) {
          const { credential, signaturePublicKey } = keyPackageLeaf(keyPackage);
          if ((await this.auth.check(credential, signaturePublicKey, storedAt)) === undefined) return false;
        }
        return true;
      },
      encodeNext: () => new GroupSession(this.self, created.newState, this.config, this.auth).encode(),
      confirm: () => {
        if (confirmed === undefined) {
          zeroOut(created.consumed);
          confirmed = new GroupSession(this.self, created.newState, this.config, this.auth);
        }
        return confirmed;
      },
    };
  }

  /** Encrypts application data for every member at the current epoch. */
  async encrypt(plaintext: Uint8Array): Promise<Encrypted> {
    const created = await createApplicationMessage(this.state, plaintext);
    zeroOut(created.consumed);
    return { session: this.next(created.newState), message: created.message };
  }

  /**
   * Decrypts an application message or applies a commit from another member. Throws
   * {@link MessageRejectedError} (tampered, undecryptable), {@link MalformedMessageError} (truncated) or
   * {@link WrongEpochError} (a commit for another epoch); this session stays usable after any of them.
   * `storedAt` (ms since the epoch, when the log stored the message) judges a commit's devices as of then:
   * a device revoked since still counts, so every member decides alike whenever it reads the commit.
   */
  async decrypt(bytes: Uint8Array, options: { storedAt?: number } = {}): Promise<Decrypted> {
    const { storedAt } = options;
    const state =
      storedAt === undefined
        ? this.state
        : { ...this.state, clientConfig: { ...this.config, authService: this.auth.asOf(storedAt) } };
    const result = await processMessage(state, bytes);
    zeroOut(result.consumed);
    const session = this.next({ ...result.newState, clientConfig: this.config });
    if (result.kind === 'application') {
      const sender = memberOf(result.sender);
      if (sender === undefined) throw new CredentialRejectedError('Sender credential is not a Parley device');
      return {
        session,
        event: {
          kind: 'message',
          senderUserId: sender.userId,
          senderDeviceId: sender.deviceId,
          plaintext: result.plaintext,
        },
      };
    }
    if (result.kind === 'proposal') return { session, event: { kind: 'proposal' } };
    // The old state is immutable: its members are still those before the commit.
    const before = this.members();
    const after = session.members();
    const keys = (list: readonly GroupMember[]) =>
      new Set(list.map((m) => `${m.leafIndex}:${deviceKeyOf(m)}`));
    const beforeKeys = keys(before);
    const afterKeys = keys(after);
    const address = ({ userId, deviceId }: GroupMember): DeviceAddress => ({ userId, deviceId });
    const committer = before.find((m) => m.leafIndex === result.committerLeafIndex);
    return {
      session,
      event: {
        kind: 'commit',
        epoch: session.epoch,
        committer: committer === undefined ? undefined : address(committer),
        added: after.filter((m) => !beforeKeys.has(`${m.leafIndex}:${deviceKeyOf(m)}`)).map(address),
        removed: before.filter((m) => !afterKeys.has(`${m.leafIndex}:${deviceKeyOf(m)}`)).map(address),
        removedSelf: result.removedSelf,
      },
    };
  }

  private next(state: MlsGroupState): GroupSession {
    return new GroupSession(this.self, state, this.config, this.auth);
  }
}
