/**
 * Out-of-band verification codes. Two people compare a safety number (or a group compares a group code)
 * in person or over another channel; a mismatch means some device key is not the one the other side sees.
 */
import { concatBytes } from './bytes';

/** Format version mixed into every hash, so a future format never collides with this one. */
const SAFETY_NUMBER_VERSION = 0;

/** SHA-512 rounds per half, as Signal's numeric fingerprints do, to make grinding for a collision costly. */
export const SAFETY_NUMBER_ITERATIONS = 5200;

const DIGITS_PER_GROUP = 5;
const GROUPS_PER_SIDE = 6;
const BYTES_PER_GROUP = 5;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/** Sorted, de-duplicated, each key length-prefixed, so the encoding is unambiguous and order-free. */
function encodeKeySet(keys: readonly Uint8Array[]): Uint8Array {
  const sorted = [...keys]
    .sort(compareBytes)
    .filter((key, i, all) => i === 0 || compareBytes(key, all[i - 1] ?? key) !== 0);
  const total = sorted.reduce((sum, key) => sum + 2 + key.length, 2);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint16(0, sorted.length);
  let offset = 2;
  for (const key of sorted) {
    view.setUint16(offset, key.length);
    out.set(key, offset + 2);
    offset += 2 + key.length;
  }
  return out;
}

async function sha512(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-512', data as Uint8Array<ArrayBuffer>));
}

/** 30 digits for one user's device set. */
async function half(keys: readonly Uint8Array[], iterations: number): Promise<string> {
  const encoded = encodeKeySet(keys);
  let hash = await sha512(concatBytes(new Uint8Array([0, SAFETY_NUMBER_VERSION]), encoded));
  for (let i = 1; i < iterations; i++) hash = await sha512(concatBytes(hash, encoded));
  let digits = '';
  for (let group = 0; group < GROUPS_PER_SIDE; group++) {
    let value = 0;
    for (let i = 0; i < BYTES_PER_GROUP; i++) value = value * 256 + (hash[group * BYTES_PER_GROUP + i] ?? 0);
    digits += String(value % 10 ** DIGITS_PER_GROUP).padStart(DIGITS_PER_GROUP, '0');
  }
  return digits;
}

/** Options for {@link safetyNumber}. */
export interface SafetyNumberOptions {
  /**
   * SHA-512 rounds per half. Both users must use the same value; lower it only in tests.
   * @default SAFETY_NUMBER_ITERATIONS
   */
  readonly iterations?: number;
}

/**
 * The 60-digit safety number of two users, as 12 groups of 5 digits. Each side's half comes from that
 * user's device signature keys (any order); the halves are sorted, so both users compute the same number.
 * It changes whenever either user adds or removes a device.
 *
 * @example
 * await safetyNumber(myDeviceKeys, bobDeviceKeys); // '12345 67890 … 24680'
 */
export async function safetyNumber(
  myKeys: readonly Uint8Array[],
  theirKeys: readonly Uint8Array[],
  options: SafetyNumberOptions = {},
): Promise<string> {
  if (myKeys.length === 0 || theirKeys.length === 0) {
    throw new RangeError('A safety number needs at least one device key per side');
  }
  const iterations = options.iterations ?? SAFETY_NUMBER_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError('iterations must be >= 1');
  const halves = (await Promise.all([half(myKeys, iterations), half(theirKeys, iterations)])).sort();
  const digits = halves.join('');
  return (digits.match(/\d{5}/g) ?? []).join(' ');
}

/** Number of bytes of the hash shown by {@link groupCode} (6 groups of 4 hex digits). */
const GROUP_CODE_BYTES = 12;

/**
 * A short code over every member device key of a group, for all members to compare at once (e.g. read
 * out on a call): the same for every member that sees the same devices.
 *
 * @example
 * await groupCode(session.members().map((m) => m.signaturePublicKey)); // '3f9a 0c1d 77e2 a410 9b3c 5d08'
 */
export async function groupCode(memberKeys: readonly Uint8Array[]): Promise<string> {
  if (memberKeys.length === 0) throw new RangeError('A group code needs at least one member key');
  const hash = await sha512(
    concatBytes(new Uint8Array([1, SAFETY_NUMBER_VERSION]), encodeKeySet(memberKeys)),
  );
  const hex = Array.from(hash.subarray(0, GROUP_CODE_BYTES), (b) => b.toString(16).padStart(2, '0')).join('');
  return (hex.match(/.{4}/g) ?? []).join(' ');
}

/**
 * A fingerprint of one user's device set (64 hex digits, any key order): what a device remembers of a
 * contact when their safety number is compared, so it can tell that the *contact's* devices changed since.
 * The safety number covers both sides, so it also changes when I add a device of my own; a warning about
 * the contact must not follow from that (Signal and WhatsApp warn only when the other party's keys change).
 *
 * @example
 * if (seen !== (await deviceSetFingerprint(bobDeviceKeys))) warn('Bob’s devices changed');
 */
export async function deviceSetFingerprint(keys: readonly Uint8Array[]): Promise<string> {
  const digest = await crypto.subtle.digest(
    'SHA-256',
    concatBytes(new Uint8Array([2, SAFETY_NUMBER_VERSION]), encodeKeySet(keys)) as Uint8Array<ArrayBuffer>,
  );
  return toHex(new Uint8Array(digest));
}

/** Device keys per contact (user id → that user's device signature keys). */
export type DeviceKeysByUser = ReadonlyMap<string, readonly Uint8Array[]>;

/** How one contact's device set changed. */
export interface DeviceSetChange {
  readonly userId: string;
  readonly added: readonly Uint8Array[];
  readonly removed: readonly Uint8Array[];
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The contacts whose device keys changed between two snapshots, to warn "Bob's devices changed" and show
 * a new safety number. Contacts that appear or disappear entirely are reported too.
 *
 * @example
 * for (const change of deviceSetChanged(lastSeen, now)) warn(change.userId, change.added.length);
 */
export function deviceSetChanged(previous: DeviceKeysByUser, current: DeviceKeysByUser): DeviceSetChange[] {
  const users = [...new Set([...previous.keys(), ...current.keys()])].sort();
  const changes: DeviceSetChange[] = [];
  for (const userId of users) {
    const before = new Map((previous.get(userId) ?? []).map((k) => [toHex(k), k]));
    const after = new Map((current.get(userId) ?? []).map((k) => [toHex(k), k]));
    const added = [...after].filter(([hex]) => !before.has(hex)).map(([, key]) => key);
    const removed = [...before].filter(([hex]) => !after.has(hex)).map(([, key]) => key);
    if (added.length > 0 || removed.length > 0) changes.push({ userId, added, removed });
  }
  return changes;
}
