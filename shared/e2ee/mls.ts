/**
 * The only module that imports `ts-mls` (RFC 9420). Everything else in `shared/e2ee` speaks the names and
 * shapes exported here, so a new major version of the library touches this file alone.
 *
 * One cipher suite only: MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519 (suite 1), which needs nothing beyond
 * `@hpke/core` and WebCrypto, so it runs unchanged in Node and in browsers.
 */

import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type AuthenticationService,
  type Capabilities,
  type CiphersuiteImpl,
  type ClientConfig,
  type ClientState,
  type Credential,
  decodeMlsMessage,
  defaultKeyPackageEqualityConfig,
  defaultKeyRetentionConfig,
  defaultLifetimeConfig,
  defaultPaddingConfig,
  type Extension,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type IncomingMessageCallback,
  type KeyPackage,
  createApplicationMessage as mlsCreateApplicationMessage,
  createCommit as mlsCreateCommit,
  createGroup as mlsCreateGroup,
  decodeGroupState as mlsDecodeGroupState,
  encodeGroupState as mlsEncodeGroupState,
  joinGroup as mlsJoinGroup,
  processMessage as mlsProcessMessage,
  type PrivateKeyPackage,
  type Proposal,
  type RatchetTree,
  zeroOutUint8Array,
} from 'ts-mls';
import { refhash } from 'ts-mls/crypto/hash.js';
import { decryptWithLabel, encryptWithLabel } from 'ts-mls/crypto/hpke.js';
import { deriveSecret, deriveTreeSecret, expandWithLabel } from 'ts-mls/crypto/kdf.js';
import { signWithLabel, verifyWithLabel } from 'ts-mls/crypto/signature.js';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { MlsError as LibraryMlsError } from 'ts-mls/mlsError.js';
import { decryptSenderData } from 'ts-mls/privateMessage.js';
import { createSecretTree, deriveKey, deriveNonce, ratchetUntil } from 'ts-mls/secretTree.js';
import { expandSenderDataKey, expandSenderDataNonce } from 'ts-mls/sender.js';
import {
  CredentialRejectedError,
  E2eeError,
  GroupStateError,
  MalformedMessageError,
  MessageRejectedError,
  WrongEpochError,
} from './errors';

export type { AuthenticationService, ClientConfig, Credential, KeyPackage, PrivateKeyPackage, RatchetTree };

/** Group state for one device in one group, as the library keeps it. Treat as immutable. */
export type MlsGroupState = ClientState;

/** The cipher suite implementation passed to every MLS operation. */
export type Suite = CiphersuiteImpl;

/** The one cipher suite Parley uses (RFC 9420 §17.1, value 0x0001). */
export const SUITE_NAME = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';

/** The numeric id of {@link SUITE_NAME}, as it appears in the IETF test vectors. */
export const SUITE_ID = 1;

/**
 * `last_resort` KeyPackage extension (draft-ietf-mls-extensions, type 0x000A). ts-mls 1.6.4 has no built-in
 * support: it carries the extension opaquely and does not treat such a key package differently; honouring
 * "reuse this one when none are left" is the server's job when it hands key packages out.
 */
export const LAST_RESORT_EXTENSION_TYPE = 0x000a;

/** Key packages expire so a stolen, never-claimed one cannot be used forever. */
export const KEY_PACKAGE_LIFETIME_IN_SECONDS = 28 * 24 * 60 * 60;

/** Accept key packages whose `notBefore` is slightly ahead of the local clock. */
const CLOCK_SKEW_IN_SECONDS = 60 * 60;

// ts-mls reports a refused credential only through this message text; matched in one place.
const CREDENTIAL_REFUSED_MESSAGE = 'Could not validate credential';

/**
 * Runs a library call and maps what it throws onto our errors. `Failure` picks the class for anything that
 * is not a refused credential: `MessageRejectedError` when processing received bytes, `GroupStateError` for
 * local operations.
 */
async function wrapLibraryErrors<T>(
  operation: string,
  Failure: typeof MessageRejectedError | typeof GroupStateError,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof E2eeError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    if (error instanceof LibraryMlsError && detail.includes(CREDENTIAL_REFUSED_MESSAGE)) {
      throw new CredentialRejectedError(`${operation}: a member credential was rejected`, { cause: error });
    }
    throw new Failure(`${operation} failed: ${detail}`, { cause: error });
  }
}

let suitePromise: Promise<Suite> | undefined;

/** Compares two byte strings in time that depends only on their lengths. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

/**
 * The suite-1 implementation, built once per process. AES-GCM, X25519 and Ed25519 run in WebCrypto; SHA-256,
 * HMAC and HKDF run synchronously in @noble/hashes. Those are called dozens of times per message (the
 * ratchet, keys and nonces) and thousands of times per commit (the secret tree, tree hashes), and a WebCrypto
 * call is an asynchronous round trip to another thread plus a key import each time: the hashes are faster in
 * place. The IETF test vectors check the result.
 *
 * @example
 * const suite = await loadSuite();
 */
export function loadSuite(): Promise<Suite> {
  suitePromise ??= getCiphersuiteImpl(getCiphersuiteFromName(SUITE_NAME)).then((base) => ({
    ...base,
    hash: {
      digest: async (data) => sha256(data),
      mac: async (key, data) => hmac(sha256, key, data),
      verifyMac: async (key, mac, data) => constantTimeEqual(mac, hmac(sha256, key, data)),
    },
    kdf: {
      extract: async (salt, ikm) => extract(sha256, ikm, salt),
      expand: async (prk, info, length) => expand(sha256, prk, info, length),
      size: sha256.outputLen,
    },
  }));
  return suitePromise;
}

/** A device's long-term Ed25519 signature key pair (raw 32-byte keys). */
export interface SignatureKeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

/**
 * A fresh Ed25519 signature key pair, the device's identity key in every group.
 *
 * @example
 * const { publicKey, privateKey } = await generateSignatureKeyPair();
 */
export async function generateSignatureKeyPair(): Promise<SignatureKeyPair> {
  const suite = await loadSuite();
  const { publicKey, signKey } = await suite.signature.keygen();
  return { publicKey, privateKey: signKey };
}

/**
 * Client settings for every group: the caller's authentication service replaces the library's accept-all
 * default, and key package lifetimes are checked on receipt too.
 *
 * @example
 * const config = makeClientConfig(new DirectoryAuthenticationService(directory));
 */
export function makeClientConfig(authService: AuthenticationService): ClientConfig {
  return {
    authService,
    keyRetentionConfig: defaultKeyRetentionConfig,
    lifetimeConfig: { ...defaultLifetimeConfig, validateLifetimeOnReceive: true },
    keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
    paddingConfig: defaultPaddingConfig,
  };
}

/** A basic credential for an opaque identity. */
export function basicCredential(identity: Uint8Array): Credential {
  return { credentialType: 'basic', identity };
}

/** The identity bytes of a basic credential, or `undefined` for any other credential type. */
export function basicIdentity(credential: Credential): Uint8Array | undefined {
  return credential.credentialType === 'basic' ? credential.identity : undefined;
}

/** A key package to upload, and the private keys kept on the device until it is used. */
export interface GeneratedKeyPackage {
  readonly publicPackage: KeyPackage;
  readonly privatePackage: PrivateKeyPackage;
}

/** Options for {@link generateKeyPackage}. */
export interface GenerateKeyPackageOptions {
  /** Basic credential identity bytes. */
  readonly identity: Uint8Array;
  /** The device's signature key pair; every key package of a device shares it. */
  readonly signatureKeyPair: SignatureKeyPair;
  /**
   * Mark the package `last_resort` (see {@link LAST_RESORT_EXTENSION_TYPE}).
   * @default false
   */
  readonly lastResort?: boolean;
  /**
   * Seconds since the epoch, for tests.
   * @default the current time
   */
  readonly nowInSeconds?: number;
}

/**
 * One key package (fresh HPKE init and leaf keys) signed with the device's existing signature key.
 *
 * @example
 * const kp = await generateKeyPackage({ identity, signatureKeyPair: { publicKey, privateKey } });
 */
export async function generateKeyPackage(options: GenerateKeyPackageOptions): Promise<GeneratedKeyPackage> {
  const suite = await loadSuite();
  const now = BigInt(options.nowInSeconds ?? Math.floor(Date.now() / 1000));
  const lifetime = {
    notBefore: now - BigInt(CLOCK_SKEW_IN_SECONDS),
    notAfter: now + BigInt(KEY_PACKAGE_LIFETIME_IN_SECONDS),
  };
  const extensions: Extension[] = options.lastResort
    ? [{ extensionType: LAST_RESORT_EXTENSION_TYPE, extensionData: new Uint8Array() }]
    : [];
  // Only what Parley speaks: one suite, basic credentials; no GREASE values, so capabilities are stable.
  const capabilities: Capabilities = {
    versions: ['mls10'],
    ciphersuites: [SUITE_NAME],
    extensions: [LAST_RESORT_EXTENSION_TYPE],
    proposals: [],
    credentials: ['basic'],
  };
  return wrapLibraryErrors('Key package generation', GroupStateError, () =>
    generateKeyPackageWithKey(
      basicCredential(options.identity),
      capabilities,
      lifetime,
      extensions,
      { publicKey: options.signatureKeyPair.publicKey, signKey: options.signatureKeyPair.privateKey },
      suite,
    ),
  );
}

/** Whether a key package carries the `last_resort` extension. */
export function isLastResort(keyPackage: KeyPackage): boolean {
  return keyPackage.extensions.some((e) => e.extensionType === LAST_RESORT_EXTENSION_TYPE);
}

/** The credential and signature key a key package would put in a leaf. */
export function keyPackageLeaf(keyPackage: KeyPackage): {
  credential: Credential;
  signaturePublicKey: Uint8Array;
} {
  return {
    credential: keyPackage.leafNode.credential,
    signaturePublicKey: keyPackage.leafNode.signaturePublicKey,
  };
}

/** Serialises a key package as an `MLSMessage` (wire format `mls_key_package`). */
export function encodeKeyPackage(keyPackage: KeyPackage): Uint8Array {
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage });
}

/** Parses bytes from {@link encodeKeyPackage}; throws {@link MalformedMessageError} on anything else. */
export function decodeKeyPackage(bytes: Uint8Array): KeyPackage {
  const message = decodeWhole(bytes);
  if (message.wireformat !== 'mls_key_package') {
    throw new MalformedMessageError(`Expected a key package, got ${message.wireformat}`);
  }
  return message.keyPackage;
}

type DecodedMessage = NonNullable<ReturnType<typeof decodeMlsMessage>>[0];

function decodeWhole(bytes: Uint8Array): DecodedMessage {
  let decoded: ReturnType<typeof decodeMlsMessage>;
  try {
    decoded = decodeMlsMessage(bytes, 0);
  } catch (error) {
    throw new MalformedMessageError('Not a well-formed MLS message', { cause: error });
  }
  if (decoded === undefined) throw new MalformedMessageError('Not a well-formed MLS message');
  const [message, length] = decoded;
  // A prefix that decodes is still a damaged message: refuse trailing bytes.
  if (length !== bytes.length) throw new MalformedMessageError('Trailing bytes after the MLS message');
  return message;
}

/** The wire format of an encoded MLS message, without processing it. */
export function messageKind(
  bytes: Uint8Array,
): 'welcome' | 'private' | 'public' | 'key_package' | 'group_info' {
  const kinds = {
    mls_welcome: 'welcome',
    mls_private_message: 'private',
    mls_public_message: 'public',
    mls_key_package: 'key_package',
    mls_group_info: 'group_info',
  } as const;
  return kinds[decodeWhole(bytes).wireformat];
}

/**
 * A new group with the caller as its only member (epoch 0).
 *
 * @example
 * const state = await createGroup(groupId, kp.publicPackage, kp.privatePackage, config);
 */
export async function createGroup(
  groupId: Uint8Array,
  keyPackage: KeyPackage,
  privatePackage: PrivateKeyPackage,
  config: ClientConfig,
): Promise<MlsGroupState> {
  const suite = await loadSuite();
  return wrapLibraryErrors('Group creation', GroupStateError, async () => {
    // The library does not run the creator's own leaf through the authentication service; do it here.
    const accepted = await config.authService.validateCredential(
      keyPackage.leafNode.credential,
      keyPackage.leafNode.signaturePublicKey,
    );
    if (!accepted) throw new CredentialRejectedError('Group creation: own credential was rejected');
    return mlsCreateGroup(groupId, keyPackage, privatePackage, [], suite, config);
  });
}

/** What a commit changes; an empty change is a self-update (fresh path keys, new epoch). */
export interface CommitChanges {
  /** Key packages of devices to add. */
  readonly add?: readonly KeyPackage[];
  /** Leaf indexes of members to remove. */
  readonly removeLeaves?: readonly number[];
}

/** A commit not yet accepted by the server; the caller keeps the old state until it is. */
export interface CreatedCommit {
  /** The state to adopt once the server accepted the commit for this epoch. */
  readonly newState: MlsGroupState;
  /** `MLSMessage` bytes for the other members (a `PrivateMessage`). */
  readonly commit: Uint8Array;
  /** `MLSMessage` bytes for the added devices (ratchet tree inside), when devices were added. */
  readonly welcome: Uint8Array | undefined;
  /**
   * Old-epoch secrets to zero out with {@link zeroOut} only after the commit was accepted: they include the
   * old state's init secret, which is still needed to apply a competing commit that won the epoch.
   */
  readonly consumed: readonly Uint8Array[];
}

/**
 * A commit with add proposals (by key package) and remove proposals (by leaf index), always with a path,
 * so it also refreshes the committer's keys.
 *
 * @example
 * const { newState, commit, welcome } = await createCommit(state, { add: [bobKeyPackage] });
 */
export async function createCommit(
  state: MlsGroupState,
  changes: CommitChanges = {},
): Promise<CreatedCommit> {
  const suite = await loadSuite();
  const proposals: Proposal[] = [
    ...(changes.add ?? []).map((keyPackage): Proposal => ({ proposalType: 'add', add: { keyPackage } })),
    ...(changes.removeLeaves ?? []).map(
      (removed): Proposal => ({ proposalType: 'remove', remove: { removed } }),
    ),
  ];
  const result = await wrapLibraryErrors('Commit', GroupStateError, () =>
    mlsCreateCommit(
      { state, cipherSuite: suite, pskIndex: emptyPskIndex },
      { extraProposals: proposals, ratchetTreeExtension: true },
    ),
  );
  return {
    newState: result.newState,
    commit: encodeMlsMessage(result.commit),
    welcome:
      result.welcome === undefined
        ? undefined
        : encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: result.welcome }),
    consumed: result.consumed,
  };
}

/**
 * Joins from a Welcome. The ratchet tree normally travels inside the Welcome (ratchet_tree extension);
 * pass it separately only when it was fetched out of band. Every leaf is checked by `config.authService`.
 *
 * @example
 * const state = await joinGroup(welcomeBytes, kp.publicPackage, kp.privatePackage, config);
 */
export async function joinGroup(
  welcome: Uint8Array,
  keyPackage: KeyPackage,
  privatePackage: PrivateKeyPackage,
  config: ClientConfig,
  ratchetTree?: RatchetTree,
): Promise<MlsGroupState> {
  const suite = await loadSuite();
  const message = decodeWhole(welcome);
  if (message.wireformat !== 'mls_welcome') {
    throw new MalformedMessageError(`Expected a welcome, got ${message.wireformat}`);
  }
  return wrapLibraryErrors('Join', MessageRejectedError, () =>
    mlsJoinGroup(
      message.welcome,
      keyPackage,
      privatePackage,
      emptyPskIndex,
      suite,
      ratchetTree,
      undefined,
      config,
    ),
  );
}

/**
 * Which of the candidate key packages a Welcome was encrypted to (by KeyPackageRef), or `undefined` when
 * none: the Welcome is not for this device.
 *
 * @example
 * const index = await findWelcomedKeyPackage(welcomeBytes, pending.map((p) => p.keyPackage));
 */
export async function findWelcomedKeyPackage(
  welcome: Uint8Array,
  candidates: readonly KeyPackage[],
): Promise<number | undefined> {
  const suite = await loadSuite();
  const message = decodeWhole(welcome);
  if (message.wireformat !== 'mls_welcome') {
    throw new MalformedMessageError(`Expected a welcome, got ${message.wireformat}`);
  }
  const refs = message.welcome.secrets.map((secret) => secret.newMember);
  for (const [index, candidate] of candidates.entries()) {
    const ref = await makeKeyPackageRef(candidate, suite.hash);
    if (refs.some((r) => bytesEqual(r, ref))) return index;
  }
  return undefined;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** An encrypted application message and the state after sending it. */
export interface CreatedApplicationMessage {
  readonly newState: MlsGroupState;
  /** `MLSMessage` bytes (a `PrivateMessage`). */
  readonly message: Uint8Array;
  /** Message keys used; zero them out with {@link zeroOut}. */
  readonly consumed: readonly Uint8Array[];
}

/**
 * Encrypts application data for the group at the current epoch.
 *
 * @example
 * const { newState, message } = await createApplicationMessage(state, new TextEncoder().encode('hi'));
 */
export async function createApplicationMessage(
  state: MlsGroupState,
  plaintext: Uint8Array,
): Promise<CreatedApplicationMessage> {
  const suite = await loadSuite();
  const result = await wrapLibraryErrors('Encrypt', GroupStateError, () =>
    mlsCreateApplicationMessage(state, plaintext, suite),
  );
  return {
    newState: result.newState,
    message: encodeMlsMessage({
      version: 'mls10',
      wireformat: 'mls_private_message',
      privateMessage: result.privateMessage,
    }),
    consumed: result.consumed,
  };
}

/** One occupied leaf of the ratchet tree. */
export interface MlsMember {
  readonly leafIndex: number;
  readonly credential: Credential;
  readonly signaturePublicKey: Uint8Array;
}

/** The outcome of processing one incoming handshake or application message. */
export type ProcessedMessage =
  | {
      readonly kind: 'application';
      readonly newState: MlsGroupState;
      readonly plaintext: Uint8Array;
      /** The authenticated sender (its leaf in the epoch the message was sent in). */
      readonly sender: MlsMember;
      readonly consumed: readonly Uint8Array[];
    }
  | {
      readonly kind: 'commit';
      readonly newState: MlsGroupState;
      /** Leaf index of the committer, when the committer was a member. */
      readonly committerLeafIndex: number | undefined;
      /** Whether this device was removed by the commit (its state can no longer send or receive). */
      readonly removedSelf: boolean;
      readonly consumed: readonly Uint8Array[];
    }
  | {
      readonly kind: 'proposal';
      readonly newState: MlsGroupState;
      readonly consumed: readonly Uint8Array[];
    };

/**
 * Processes an incoming `PrivateMessage` or `PublicMessage` (bytes as sent). Failures leave `state` intact:
 * the caller keeps using it.
 *
 * @example
 * const result = await processMessage(state, bytes);
 * if (result.kind === 'application') show(result.sender, result.plaintext);
 */
export async function processMessage(state: MlsGroupState, bytes: Uint8Array): Promise<ProcessedMessage> {
  const suite = await loadSuite();
  const message = decodeWhole(bytes);
  if (message.wireformat !== 'mls_private_message' && message.wireformat !== 'mls_public_message') {
    throw new MalformedMessageError(`Expected a group message, got ${message.wireformat}`);
  }
  const contentType =
    message.wireformat === 'mls_private_message'
      ? message.privateMessage.contentType
      : message.publicMessage.content.contentType;
  const messageEpoch =
    message.wireformat === 'mls_private_message'
      ? message.privateMessage.epoch
      : message.publicMessage.content.epoch;
  if (contentType !== 'application' && messageEpoch !== state.groupContext.epoch) {
    throw new WrongEpochError(
      `Handshake message for epoch ${messageEpoch}, the group is at epoch ${state.groupContext.epoch}`,
    );
  }

  let committerLeafIndex: number | undefined;
  const recordCommitter: IncomingMessageCallback = (incoming) => {
    if (incoming.kind === 'commit') committerLeafIndex = incoming.senderLeafIndex;
    // Credentials were already checked by the authentication service; structure by the library.
    return 'accept';
  };

  const result = await wrapLibraryErrors('Decrypt', MessageRejectedError, () =>
    mlsProcessMessage(message, state, emptyPskIndex, recordCommitter, suite),
  );

  if (result.kind === 'applicationMessage') {
    // ts-mls 1.6.4 does not return the sender of an application message. Sender data decryption is
    // deterministic, and processMessage above already verified the content signature with this very leaf's
    // key, so the leaf index read here is authenticated.
    if (message.wireformat !== 'mls_private_message') {
      throw new MessageRejectedError('Application data must arrive as a PrivateMessage');
    }
    const epochData =
      messageEpoch === state.groupContext.epoch
        ? { ratchetTree: state.ratchetTree, senderDataSecret: state.keySchedule.senderDataSecret }
        : state.historicalReceiverData.get(messageEpoch);
    if (epochData === undefined) {
      throw new GroupStateError('No keys for the epoch of a message that was just decrypted');
    }
    const senderData = await decryptSenderData(message.privateMessage, epochData.senderDataSecret, suite);
    const sender =
      senderData === undefined ? undefined : memberAt(epochData.ratchetTree, senderData.leafIndex);
    if (sender === undefined)
      throw new MessageRejectedError('Sender of a decrypted message is not in the tree');
    return {
      kind: 'application',
      newState: result.newState,
      plaintext: result.message,
      sender,
      consumed: result.consumed,
    };
  }
  if (contentType === 'commit') {
    return {
      kind: 'commit',
      newState: result.newState,
      committerLeafIndex,
      removedSelf: result.newState.groupActiveState.kind === 'removedFromGroup',
      consumed: result.consumed,
    };
  }
  return { kind: 'proposal', newState: result.newState, consumed: result.consumed };
}

function memberAt(tree: RatchetTree, leafIndex: number): MlsMember | undefined {
  const node = tree[leafIndex * 2];
  if (node?.nodeType !== 'leaf') return undefined;
  return { leafIndex, credential: node.leaf.credential, signaturePublicKey: node.leaf.signaturePublicKey };
}

/** Every occupied leaf of the group, in leaf order. */
export function listMembers(state: MlsGroupState): MlsMember[] {
  const members: MlsMember[] = [];
  for (let nodeIndex = 0; nodeIndex < state.ratchetTree.length; nodeIndex += 2) {
    const member = memberAt(state.ratchetTree, nodeIndex / 2);
    if (member !== undefined) members.push(member);
  }
  return members;
}

/** This device's own leaf index. */
export function ownLeafIndex(state: MlsGroupState): number {
  return state.privatePath.leafIndex;
}

/** The current epoch. */
export function epochOf(state: MlsGroupState): bigint {
  return state.groupContext.epoch;
}

/** The group id. */
export function groupIdOf(state: MlsGroupState): Uint8Array {
  return state.groupContext.groupId;
}

/** Whether the state can still send and receive (false once this device was removed). */
export function isActive(state: MlsGroupState): boolean {
  return state.groupActiveState.kind === 'active';
}

/** Serialises the group state (private keys included) for storage; encrypt it before it leaves memory. */
export function encodeGroupState(state: MlsGroupState): Uint8Array {
  return mlsEncodeGroupState(state);
}

/** Restores a state from {@link encodeGroupState}, bound to `config` (which is not stored). */
export function decodeGroupState(bytes: Uint8Array, config: ClientConfig): MlsGroupState {
  let decoded: ReturnType<typeof mlsDecodeGroupState>;
  try {
    decoded = mlsDecodeGroupState(bytes, 0);
  } catch (error) {
    throw new MalformedMessageError('Not a well-formed group state', { cause: error });
  }
  if (decoded === undefined || decoded[1] !== bytes.length) {
    throw new MalformedMessageError('Not a well-formed group state');
  }
  return { ...decoded[0], clientConfig: config };
}

/** Overwrites secrets that are no longer needed. */
export function zeroOut(secrets: readonly Uint8Array[]): void {
  for (const secret of secrets) zeroOutUint8Array(secret);
}

// Labelled primitives of RFC 9420 §5, bound to suite 1; exported for the IETF test vectors.

/** RefHash(label, value) (RFC 9420 §5.2). */
export async function refHash(label: string, value: Uint8Array): Promise<Uint8Array> {
  return refhash(label, value, (await loadSuite()).hash);
}

/** ExpandWithLabel(secret, label, context, length) (RFC 9420 §8). */
export async function expandWithLabelBytes(
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return expandWithLabel(secret, label, context, length, (await loadSuite()).kdf);
}

/** DeriveSecret(secret, label) (RFC 9420 §8). */
export async function deriveSecretBytes(secret: Uint8Array, label: string): Promise<Uint8Array> {
  return deriveSecret(secret, label, (await loadSuite()).kdf);
}

/** DeriveTreeSecret(secret, label, generation, length) (RFC 9420 §9). */
export async function deriveTreeSecretBytes(
  secret: Uint8Array,
  label: string,
  generation: number,
  length: number,
): Promise<Uint8Array> {
  return deriveTreeSecret(secret, label, generation, length, (await loadSuite()).kdf);
}

/** SignWithLabel(signaturePrivateKey, label, content) (RFC 9420 §5.1.2). */
export async function signWithLabelBytes(
  privateKey: Uint8Array,
  label: string,
  content: Uint8Array,
): Promise<Uint8Array> {
  return signWithLabel(privateKey, label, content, (await loadSuite()).signature);
}

/** VerifyWithLabel(signaturePublicKey, label, content, signature) (RFC 9420 §5.1.2). */
export async function verifyWithLabelBytes(
  publicKey: Uint8Array,
  label: string,
  content: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return verifyWithLabel(publicKey, label, content, signature, (await loadSuite()).signature);
}

/** EncryptWithLabel(publicKey, label, context, plaintext) (RFC 9420 §5.1.3), raw X25519 public key. */
export async function encryptWithLabelBytes(
  publicKey: Uint8Array,
  label: string,
  context: Uint8Array,
  plaintext: Uint8Array,
): Promise<{ kemOutput: Uint8Array; ciphertext: Uint8Array }> {
  const { hpke } = await loadSuite();
  const { ct, enc } = await encryptWithLabel(
    await hpke.importPublicKey(publicKey),
    label,
    context,
    plaintext,
    hpke,
  );
  return { kemOutput: enc, ciphertext: ct };
}

/** DecryptWithLabel(privateKey, label, context, kemOutput, ciphertext) (RFC 9420 §5.1.3), raw keys. */
export async function decryptWithLabelBytes(
  privateKey: Uint8Array,
  label: string,
  context: Uint8Array,
  kemOutput: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const { hpke } = await loadSuite();
  return decryptWithLabel(
    await hpke.importPrivateKey(privateKey),
    label,
    context,
    kemOutput,
    ciphertext,
    hpke,
  );
}

/**
 * A fresh X25519 key pair of the suite's HPKE (raw 32-byte keys), for {@link encryptWithLabelBytes}: a key
 * a device publishes for one exchange outside any group (a history transfer).
 *
 * @example
 * const { publicKey, privateKey } = await generateHpkeKeyPair();
 */
export async function generateHpkeKeyPair(): Promise<{ publicKey: Uint8Array; privateKey: Uint8Array }> {
  const { hpke } = await loadSuite();
  const pair = await hpke.generateKeyPair();
  return {
    publicKey: await hpke.exportPublicKey(pair.publicKey),
    privateKey: await hpke.exportPrivateKey(pair.privateKey),
  };
}

/** Sender-data key and nonce for a `PrivateMessage` ciphertext (RFC 9420 §6.3.2). */
export async function senderDataKeyAndNonce(
  senderDataSecret: Uint8Array,
  ciphertext: Uint8Array,
): Promise<{ key: Uint8Array; nonce: Uint8Array }> {
  const suite = await loadSuite();
  return {
    key: await expandSenderDataKey(suite, senderDataSecret, ciphertext),
    nonce: await expandSenderDataNonce(suite, senderDataSecret, ciphertext),
  };
}

/** Message keys of one leaf at one generation, from the epoch's encryption secret (RFC 9420 §9). */
export async function secretTreeLeafKeys(
  encryptionSecret: Uint8Array,
  leafCount: number,
  leafIndex: number,
  generation: number,
): Promise<{
  applicationKey: Uint8Array;
  applicationNonce: Uint8Array;
  handshakeKey: Uint8Array;
  handshakeNonce: Uint8Array;
}> {
  const suite = await loadSuite();
  const tree = await createSecretTree(leafCount, encryptionSecret, suite.kdf);
  const node = tree[leafIndex * 2];
  if (node === undefined) throw new RangeError('leafIndex is outside the tree');
  const config = { ...defaultKeyRetentionConfig, maximumForwardRatchetSteps: Math.max(generation, 1) };
  const [application] = await ratchetUntil(node.application, generation, config, suite.kdf);
  const [handshake] = await ratchetUntil(node.handshake, generation, config, suite.kdf);
  return {
    applicationKey: await deriveKey(application.secret, generation, suite),
    applicationNonce: await deriveNonce(application.secret, generation, suite),
    handshakeKey: await deriveKey(handshake.secret, generation, suite),
    handshakeNonce: await deriveNonce(handshake.secret, generation, suite),
  };
}
