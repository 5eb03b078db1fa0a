/**
 * The keys of a history transfer from a user's old device to their new one. The server relays every step
 * and sees none of the keys:
 *
 * 1. Request (new device): a fresh HPKE key for this transfer, signed with the new device's signature key.
 * 2. Offer (old device): having checked that signature against the directory, a random nonce, signed with
 *    the old device's key. Both devices now show the same six-digit code, a hash of both devices' signature
 *    keys, the transfer key and the nonce; the person compares them and approves on the old device.
 * 3. Approval (old device): a fresh archive key, sealed to the transfer key with HPKE (RFC 9180, through
 *    MLS's EncryptWithLabel) and signed by the old device.
 * 4. Chunks: each is sealed with the attachment cipher under a key of its own; its key, digest and sizes
 *    travel to the new device in a descriptor sealed under the archive key (AES-256-GCM), bound to the
 *    transfer and the chunk's place, with the last chunk marked inside it so a cut archive is seen.
 *
 * Why a nonce at all: the code hashes values the new device fixed before the nonce existed, so whoever runs
 * the server cannot search for a key of their own whose code matches the one on the person's new device.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import * as z from '../../zod';
import { fromBase64, toBase64 } from '../base64';
import { concatBytes } from '../bytes';
import type { Device } from '../device';
import type { Directory } from '../directory';
import { E2eeError } from '../errors';
import {
  decryptWithLabelBytes,
  encryptWithLabelBytes,
  generateHpkeKeyPair,
  signWithLabelBytes,
  verifyWithLabelBytes,
} from '../mls';

const VERSION = 1;
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const NONCE_BYTES = 16;
const ARCHIVE_KEY_BYTES = 32;
/** The X25519 KEM output, then the archive key under AES-128-GCM with its tag. */
const SEALED_KEY_BYTES = 32 + ARCHIVE_KEY_BYTES + 16;
const IV_BYTES = 12;

/** A step of a transfer that does not check out: a bad signature, a wrong key, a changed descriptor. */
export class TransferVerificationError extends E2eeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TransferVerificationError';
  }
}

/** The transfer as both devices see it: who sends, who receives, and the server's id for it. */
export interface TransferParties {
  readonly userId: string;
  readonly transferId: string;
  readonly fromDeviceId: string;
  readonly toDeviceId: string;
}

/** Length-prefixed parts, so no two different lists of parts sign or hash the same bytes. */
function framed(...parts: readonly (string | Uint8Array)[]): Uint8Array {
  const bytes = parts.map((part) => (typeof part === 'string' ? new TextEncoder().encode(part) : part));
  const out = new Uint8Array(bytes.reduce((total, part) => total + 4 + part.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const part of bytes) {
    view.setUint32(offset, part.length);
    out.set(part, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}

/** The fields of a versioned, fixed-size record, or a verification error. */
function split(encoded: string, sizes: readonly number[], what: string): Uint8Array[] {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(encoded);
  } catch (error) {
    throw new TransferVerificationError(`The ${what} is not base64`, { cause: error });
  }
  const total = 1 + sizes.reduce((sum, size) => sum + size, 0);
  if (bytes.length !== total || bytes[0] !== VERSION)
    throw new TransferVerificationError(`The ${what} is not one this app reads`);
  const fields: Uint8Array[] = [];
  let offset = 1;
  for (const size of sizes) {
    fields.push(bytes.slice(offset, offset + size));
    offset += size;
  }
  return fields;
}

async function verify(
  signaturePublicKey: Uint8Array,
  label: string,
  content: Uint8Array,
  signature: Uint8Array,
  what: string,
): Promise<void> {
  if (!(await verifyWithLabelBytes(signaturePublicKey, label, content, signature)))
    throw new TransferVerificationError(`The ${what} is not signed by the device it names`);
}

/**
 * Both devices' signature keys as the directory lists them now (read afresh, so a revocation made a moment
 * ago counts), refusing a device it does not list for this user or lists as revoked.
 */
export async function transferDeviceKeys(
  directory: Directory,
  userId: string,
  transfer: { readonly fromDeviceId: string; readonly toDeviceId: string },
): Promise<{ fromKey: Uint8Array; toKey: Uint8Array }> {
  const from = await directory.deviceKey(userId, transfer.fromDeviceId, { asOf: Date.now() });
  const to = await directory.deviceKey(userId, transfer.toDeviceId);
  if (!from || !to) throw new TransferVerificationError('The directory does not list both devices as yours');
  if (from.revoked || to.revoked)
    throw new TransferVerificationError('A device of this transfer was revoked');
  return { fromKey: from.signaturePublicKey, toKey: to.signaturePublicKey };
}

const requestContent = (userId: string, fromDeviceId: string, toDeviceId: string, publicKey: Uint8Array) =>
  framed(userId, fromDeviceId, toDeviceId, publicKey);

/** What the new device keeps while it waits: the transfer key's private half. */
export interface TransferRequestSecret {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

/**
 * The new device's request: a fresh transfer key, signed. Keep `secret` until the transfer ends.
 *
 * @example
 * const { request, secret } = await createTransferRequest(newDevice, oldDeviceId);
 * await api.requestHistoryTransfer({ body: { fromDeviceId: oldDeviceId, toDeviceId: newDevice.deviceId, request } });
 */
export async function createTransferRequest(
  device: Device,
  fromDeviceId: string,
): Promise<{ request: string; secret: TransferRequestSecret }> {
  const secret = await generateHpkeKeyPair();
  const content = requestContent(device.userId, fromDeviceId, device.deviceId, secret.publicKey);
  const signature = await signWithLabelBytes(device.signaturePrivateKey, 'Parley history request', content);
  return { request: toBase64(concatBytes(Uint8Array.of(VERSION), secret.publicKey, signature)), secret };
}

/** The transfer key of a request, once its signature checks against the new device's directory key. */
export async function readTransferRequest(
  request: string,
  parties: Omit<TransferParties, 'transferId'>,
  newDeviceKey: Uint8Array,
): Promise<Uint8Array> {
  const [publicKey, signature] = split(request, [PUBLIC_KEY_BYTES, SIGNATURE_BYTES], 'request') as [
    Uint8Array,
    Uint8Array,
  ];
  const content = requestContent(parties.userId, parties.fromDeviceId, parties.toDeviceId, publicKey);
  await verify(newDeviceKey, 'Parley history request', content, signature, 'request');
  return publicKey;
}

const offerContent = (parties: TransferParties, request: string, nonce: Uint8Array) =>
  framed(parties.userId, parties.transferId, parties.fromDeviceId, parties.toDeviceId, request, nonce);

/**
 * The old device's offer: a fresh nonce for the code, signed.
 *
 * @example
 * const { offer, nonce } = await createTransferOffer(oldDevice, parties, transfer.request);
 */
export async function createTransferOffer(
  device: Device,
  parties: TransferParties,
  request: string,
): Promise<{ offer: string; nonce: Uint8Array }> {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const signature = await signWithLabelBytes(
    device.signaturePrivateKey,
    'Parley history offer',
    offerContent(parties, request, nonce),
  );
  return { offer: toBase64(concatBytes(Uint8Array.of(VERSION), nonce, signature)), nonce };
}

/** The nonce of an offer, once its signature checks against the old device's directory key. */
export async function readTransferOffer(
  offer: string,
  parties: TransferParties,
  request: string,
  oldDeviceKey: Uint8Array,
): Promise<Uint8Array> {
  const [nonce, signature] = split(offer, [NONCE_BYTES, SIGNATURE_BYTES], 'offer') as [
    Uint8Array,
    Uint8Array,
  ];
  await verify(
    oldDeviceKey,
    'Parley history offer',
    offerContent(parties, request, nonce),
    signature,
    'offer',
  );
  return nonce;
}

/**
 * The six digits both screens show, as "123 456": the same on both devices only when each saw the other's
 * directory key, the same transfer key and the same nonce.
 *
 * @example
 * transferCode(parties, { fromKey, toKey, request: transfer.request, nonce }) // "081 442"
 */
export function transferCode(
  parties: TransferParties,
  values: { fromKey: Uint8Array; toKey: Uint8Array; request: string; nonce: Uint8Array },
): string {
  const digest = sha256(
    framed(
      'Parley history code',
      parties.userId,
      parties.transferId,
      parties.fromDeviceId,
      parties.toDeviceId,
      values.fromKey,
      values.toKey,
      values.request,
      values.nonce,
    ),
  );
  const number = new DataView(digest.buffer, digest.byteOffset).getUint32(0) % 1_000_000;
  const digits = number.toString().padStart(6, '0');
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}

const approvalContext = (parties: TransferParties, nonce: Uint8Array) =>
  framed(parties.userId, parties.transferId, parties.fromDeviceId, parties.toDeviceId, nonce);

/**
 * The old device's approval: a fresh archive key sealed to the request's transfer key, signed. Keep
 * `archiveKey` until the last chunk is sent.
 *
 * @example
 * const { approval, archiveKey } = await createTransferApproval(oldDevice, parties, transferKey, nonce);
 */
export async function createTransferApproval(
  device: Device,
  parties: TransferParties,
  transferKey: Uint8Array,
  nonce: Uint8Array,
): Promise<{ approval: string; archiveKey: Uint8Array }> {
  const archiveKey = crypto.getRandomValues(new Uint8Array(ARCHIVE_KEY_BYTES));
  const context = approvalContext(parties, nonce);
  const { kemOutput, ciphertext } = await encryptWithLabelBytes(
    transferKey,
    'Parley history key',
    context,
    archiveKey,
  );
  const sealed = concatBytes(kemOutput, ciphertext);
  const signature = await signWithLabelBytes(
    device.signaturePrivateKey,
    'Parley history approval',
    framed(context, sealed),
  );
  return { approval: toBase64(concatBytes(Uint8Array.of(VERSION), sealed, signature)), archiveKey };
}

/** The archive key of an approval, once it checks against the old device's directory key. */
export async function openTransferApproval(
  approval: string,
  parties: TransferParties,
  secret: TransferRequestSecret,
  nonce: Uint8Array,
  oldDeviceKey: Uint8Array,
): Promise<Uint8Array> {
  const [sealed, signature] = split(approval, [SEALED_KEY_BYTES, SIGNATURE_BYTES], 'approval') as [
    Uint8Array,
    Uint8Array,
  ];
  const context = approvalContext(parties, nonce);
  await verify(oldDeviceKey, 'Parley history approval', framed(context, sealed), signature, 'approval');
  try {
    return await decryptWithLabelBytes(
      secret.privateKey,
      'Parley history key',
      context,
      sealed.slice(0, 32),
      sealed.slice(32),
    );
  } catch (error) {
    throw new TransferVerificationError('The archive key is not sealed to this device', { cause: error });
  }
}

/** What opens one chunk: the attachment cipher's secrets, and whether it is the archive's last. */
export interface ChunkDescriptor {
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
  readonly plainSize: number;
  readonly chunkSize: number;
  readonly final: boolean;
  /** About how many messages the whole archive carries, for a progress bar. */
  readonly total?: number;
}

const DescriptorSchema = z.object({
  key: z.string().check(z.maxLength(64)),
  sha256: z.string().check(z.maxLength(64)),
  size: z.number().check(z.int(), z.nonnegative()),
  plainSize: z.number().check(z.int(), z.nonnegative()),
  chunkSize: z.number().check(z.int(), z.positive()),
  final: z.boolean(),
  total: z.optional(z.number().check(z.int(), z.nonnegative())),
});

async function aesKey(archiveKey: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', archiveKey as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [usage]);
}

const descriptorData = (scope: string, index: number) => framed('Parley history chunk', scope, String(index));

/**
 * Seals a chunk's descriptor under the archive key, bound to `scope` (the transfer id, or a backup's) and
 * the chunk's place, so the server can neither move nor swap descriptors.
 *
 * @example
 * const descriptor = await sealChunkDescriptor(archiveKey, transferId, index, { ...sealed, final });
 */
export async function sealChunkDescriptor(
  archiveKey: Uint8Array,
  scope: string,
  index: number,
  descriptor: ChunkDescriptor,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: descriptorData(scope, index) as Uint8Array<ArrayBuffer> },
    await aesKey(archiveKey, 'encrypt'),
    new TextEncoder().encode(JSON.stringify(DescriptorSchema.parse(descriptor))),
  );
  return toBase64(concatBytes(Uint8Array.of(VERSION), iv, new Uint8Array(ciphertext)));
}

/** A chunk's descriptor, opened and checked; throws {@link TransferVerificationError} otherwise. */
export async function openChunkDescriptor(
  archiveKey: Uint8Array,
  scope: string,
  index: number,
  sealed: string,
): Promise<ChunkDescriptor> {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(sealed);
  } catch (error) {
    throw new TransferVerificationError('The chunk descriptor is not base64', { cause: error });
  }
  if (bytes.length < 1 + IV_BYTES + 16 || bytes[0] !== VERSION)
    throw new TransferVerificationError('The chunk descriptor is not one this app reads');
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: bytes.slice(1, 1 + IV_BYTES),
        additionalData: descriptorData(scope, index) as Uint8Array<ArrayBuffer>,
      },
      await aesKey(archiveKey, 'decrypt'),
      bytes.slice(1 + IV_BYTES),
    );
  } catch (error) {
    throw new TransferVerificationError(`Chunk ${index}'s descriptor does not open under the archive key`, {
      cause: error,
    });
  }
  const parsed = DescriptorSchema.safeParse(JSON.parse(new TextDecoder().decode(plaintext)));
  if (!parsed.success)
    throw new TransferVerificationError('The chunk descriptor is not one this app reads', {
      cause: parsed.error,
    });
  return parsed.data;
}
