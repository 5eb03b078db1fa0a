/**
 * The recovery key of the encrypted history backup, and the backup's header. The server stores the
 * header and the chunks but never sees the recovery key, so it can read neither.
 *
 * A recovery key is 128 random bits written as 12 English words (BIP-39: 11 bits a word, the last word
 * carrying a 4-bit checksum of the others, so a mistyped word is caught 15 times in 16, and an unknown
 * word always). The backup's own data key is 32 random bytes, made once when the backup is turned on; the
 * header holds it wrapped under a key derived from the recovery key. Changing the recovery key rewraps
 * the header alone, never the chunks. Format version 1, integers big-endian:
 *
 * ```text
 * prefix  = version (0x01) || kdf (0x01: Argon2id) || memoryKiB (u32) || iterations (u32)
 *           || parallelism (u8) || salt (16 random bytes) || iv (12 random bytes)        39 bytes
 * header  = prefix || AES-256-GCM(kek, iv, aad = prefix, dataKey)                     39 + 48 bytes
 * kek     = Argon2id(recovery key's words, one space apart, lowercase; salt; memoryKiB, iterations,
 *           parallelism; 32 bytes)
 * ```
 *
 * The whole prefix is the additional data, so a header with any byte changed (a weaker cost, another
 * salt) fails to open rather than opening under other terms. A header is 87 bytes, 116 base64 characters.
 *
 * Why a costly KDF for a key of 128 random bits: guessing a whole key is out of reach at any cost, so the
 * cost is not for that. It is for a key partly seen: a photo of half the words, a shoulder-surfed line,
 * a sheet with some words smudged. Six words known leave 2^66 guesses (less the checksum): cheap AES trials
 * against the header could walk a good part of that with enough hardware, about a second of Argon2id each
 * cannot. It also costs the person nothing they notice: one derivation per restore or key change.
 *
 * @example
 * const recoveryKey = generateRecoveryKey();             // show recoveryKey.words once, offer the file
 * const { header, dataKey } = await createBackupHeader(recoveryKey);
 * // …later, on a new device:
 * const key = parseRecoveryKey(typedByThePerson);        // throws RecoveryKeyError naming the wrong word
 * const dataKey2 = await openBackupHeader(header, key);   // throws WrongRecoveryKeyError
 */

import { argon2id } from '@noble/hashes/argon2.js';
import { entropyToMnemonic, mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { fromBase64, toBase64 } from './base64';
import { concatBytes } from './bytes';
import { E2eeError } from './errors';

/** Words of a recovery key: 128 bits of randomness and a 4-bit checksum. */
export const RECOVERY_KEY_WORD_COUNT = 12;

/** The header format version this module writes, and the only one it reads. */
export const BACKUP_HEADER_VERSION = 1;

/** A key derivation function a header may name. */
export type KdfName = 'argon2id';

/** The cost of deriving the key that wraps a backup's data key, and the salt. */
export interface KdfParams {
  readonly name: KdfName;
  /** Memory in KiB (Argon2's `m`). */
  readonly memoryKiB: number;
  /** Passes over the memory (Argon2's `t`). */
  readonly iterations: number;
  /** Lanes (Argon2's `p`). */
  readonly parallelism: number;
  /** 16 random bytes, chosen when the header is made. */
  readonly salt: Uint8Array;
}

/**
 * Argon2id with 64 MiB and 3 passes: about 0.9 s in Node 20 on this project's 2-core build machine with
 * `@noble/hashes` (docs/e2ee.md, "Encrypted backup"), RFC 9106's second recommended setting but for
 * parallelism (JavaScript runs the lanes one after the other, so more lanes would cost time, not add
 * strength).
 *
 * @example
 * await createBackupHeader(recoveryKey, { kdf: DEFAULT_BACKUP_KDF });
 */
export const DEFAULT_BACKUP_KDF: Omit<KdfParams, 'salt'> = {
  name: 'argon2id',
  memoryKiB: 64 * 1024,
  iterations: 3,
  parallelism: 1,
};

/**
 * What a header may ask of a device. A header is stored by the server: one that named 4 GiB or a million
 * passes would make the restoring device hang, so it is refused before any work.
 */
const KDF_BOUNDS = {
  memoryKiB: { min: 8 * 1024, max: 1024 * 1024 },
  iterations: { min: 1, max: 16 },
  parallelism: { min: 1, max: 8 },
} as const;

const KDF_IDS: Record<KdfName, number> = { argon2id: 1 };
const SALT_SIZE = 16;
const IV_SIZE = 12;
const DATA_KEY_SIZE = 32;
const TAG_SIZE = 16;
const PREFIX_SIZE = 1 + 1 + 4 + 4 + 1 + SALT_SIZE + IV_SIZE;
const HEADER_SIZE = PREFIX_SIZE + DATA_KEY_SIZE + TAG_SIZE;

/** A typed-in recovery key that is not one: a word not on the list, too few or many words, or a failed checksum. */
export class RecoveryKeyError extends E2eeError {
  constructor(
    message: string,
    /** The 1-based position of the word that is wrong, when one word can be named. */
    readonly position?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RecoveryKeyError';
  }
}

/** A well-formed recovery key that does not open this backup's header: another key, or a header changed. */
export class WrongRecoveryKeyError extends E2eeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WrongRecoveryKeyError';
  }
}

/** Bytes that are not a backup header this module reads: truncated, another version or KDF, or a cost out of bounds. */
export class BackupHeaderError extends E2eeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackupHeaderError';
  }
}

/** A recovery key: its words, in order. */
export interface RecoveryKey {
  readonly words: readonly string[];
}

/**
 * A fresh recovery key from the platform's secure randomness.
 *
 * @example
 * generateRecoveryKey().words.length // 12
 */
export function generateRecoveryKey(): RecoveryKey {
  const entropy = crypto.getRandomValues(new Uint8Array(16));
  return { words: entropyToMnemonic(entropy, wordlist).split(' ') };
}

/**
 * Reads a recovery key as a person types or pastes it: any case, any spaces, line breaks, commas or
 * numbering between words, and any word by its first four letters (every English list word is told apart
 * by them). Throws {@link RecoveryKeyError} naming the first unknown word, or saying the count is wrong, or
 * that the words do not fit together (the checksum: a word mistyped into another list word, or two swapped).
 *
 * @example
 * parseRecoveryKey('  Abandon ABILITY\n3. able …').words[1] // 'ability'
 */
export function parseRecoveryKey(input: string): RecoveryKey {
  const typed = input
    .normalize('NFKD')
    .toLowerCase()
    // Anything but letters parts words: spaces, line breaks, commas, the numbering of the file.
    .split(/[^a-z]+/)
    .filter((word) => word.length > 0);
  const words = typed.map((word, index) => {
    const found = lookUp(word);
    if (!found) {
      throw new RecoveryKeyError(
        `Word ${index + 1}, “${word}”, is not a recovery key word: check its spelling`,
        index + 1,
      );
    }
    return found;
  });
  if (words.length !== RECOVERY_KEY_WORD_COUNT) {
    throw new RecoveryKeyError(
      `A recovery key has ${RECOVERY_KEY_WORD_COUNT} words; this has ${words.length}`,
      words.length > RECOVERY_KEY_WORD_COUNT ? RECOVERY_KEY_WORD_COUNT + 1 : undefined,
    );
  }
  try {
    mnemonicToEntropy(words.join(' '), wordlist);
  } catch (error) {
    throw new RecoveryKeyError(
      'These words do not fit together: one of them is mistyped (as another word of the list) or two are swapped',
      undefined,
      { cause: error },
    );
  }
  return { words };
}

/** A list word by its spelling, or by its first four letters or more. */
function lookUp(word: string): string | undefined {
  if (WORDS.has(word)) return word;
  if (word.length < 4) return undefined;
  return BY_PREFIX.get(word.slice(0, 4))?.startsWith(word) ? BY_PREFIX.get(word.slice(0, 4)) : undefined;
}

const WORDS = new Set(wordlist);
const BY_PREFIX = new Map(wordlist.map((word) => [word.slice(0, 4), word]));

/**
 * The key that wraps a backup's data key, derived from the recovery key with the header's KDF. About a
 * second of work and 64 MiB with the defaults: in a browser, call it from a Worker (it runs in one go).
 *
 * @example
 * const kek = await deriveBackupKey(recoveryKey, { ...DEFAULT_BACKUP_KDF, salt });
 */
export async function deriveBackupKey(recoveryKey: RecoveryKey, params: KdfParams): Promise<CryptoKey> {
  checkKdf(params);
  const secret = new TextEncoder().encode(recoveryKey.words.join(' '));
  const bytes = argon2id(secret, params.salt, {
    m: params.memoryKiB,
    t: params.iterations,
    p: params.parallelism,
    dkLen: 32,
  });
  try {
    return await crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
  } finally {
    bytes.fill(0);
  }
}

/** A backup header as its fields. */
export interface BackupHeader {
  readonly version: number;
  readonly kdf: KdfParams;
  readonly iv: Uint8Array<ArrayBuffer>;
  /** The data key, sealed under the derived key (48 bytes, the tag last). */
  readonly wrappedKey: Uint8Array<ArrayBuffer>;
}

/**
 * A new backup's header: a fresh data key, wrapped under a key derived from the recovery key with a fresh
 * salt. The data key is what the backup's chunks are sealed under; keep it only in memory.
 *
 * @example
 * const { header, dataKey } = await createBackupHeader(recoveryKey);
 * await api.putBackup({ body: { header, indexChunkId, chunkIds, expectedVersion: 0 } });
 */
export async function createBackupHeader(
  recoveryKey: RecoveryKey,
  options: { readonly kdf?: Omit<KdfParams, 'salt'> } = {},
): Promise<{ readonly header: string; readonly dataKey: Uint8Array<ArrayBuffer> }> {
  const dataKey = crypto.getRandomValues(new Uint8Array(DATA_KEY_SIZE));
  const header = await wrapDataKey(dataKey, recoveryKey, options.kdf ?? DEFAULT_BACKUP_KDF);
  return { header, dataKey };
}

/**
 * The backup's data key, unwrapped with the recovery key. Throws {@link BackupHeaderError} for a header
 * this module cannot read, {@link WrongRecoveryKeyError} when the key does not open it.
 *
 * @example
 * const dataKey = await openBackupHeader((await api.getBackup()).backup.header, parseRecoveryKey(typed));
 */
export async function openBackupHeader(
  header: string,
  recoveryKey: RecoveryKey,
): Promise<Uint8Array<ArrayBuffer>> {
  const decoded = decodeBackupHeader(header);
  const kek = await deriveBackupKey(recoveryKey, decoded.kdf);
  const prefix = new Uint8Array(fromBase64(header).subarray(0, PREFIX_SIZE));
  try {
    const dataKey = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: decoded.iv, additionalData: prefix },
      kek,
      decoded.wrappedKey,
    );
    return new Uint8Array(dataKey);
  } catch (error) {
    throw new WrongRecoveryKeyError(
      'This recovery key does not open the backup (or its header was changed)',
      { cause: error },
    );
  }
}

/**
 * The header again, the same data key wrapped under a new recovery key (a fresh salt): the chunks stay as
 * they are. Throws as {@link openBackupHeader} when the old key does not open it.
 *
 * @example
 * const header = await rewrapBackupHeader(backup.header, oldKey, generateRecoveryKey());
 */
export async function rewrapBackupHeader(
  header: string,
  oldKey: RecoveryKey,
  newKey: RecoveryKey,
  options: { readonly kdf?: Omit<KdfParams, 'salt'> } = {},
): Promise<string> {
  const dataKey = await openBackupHeader(header, oldKey);
  try {
    return await wrapDataKey(dataKey, newKey, options.kdf ?? DEFAULT_BACKUP_KDF);
  } finally {
    dataKey.fill(0);
  }
}

async function wrapDataKey(
  dataKey: Uint8Array<ArrayBuffer>,
  recoveryKey: RecoveryKey,
  cost: Omit<KdfParams, 'salt'>,
): Promise<string> {
  const kdf: KdfParams = { ...cost, salt: crypto.getRandomValues(new Uint8Array(SALT_SIZE)) };
  const iv = crypto.getRandomValues(new Uint8Array(IV_SIZE));
  const prefix = encodePrefix(kdf, iv);
  const kek = await deriveBackupKey(recoveryKey, kdf);
  const wrapped = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: prefix }, kek, dataKey);
  return toBase64(concatBytes(prefix, new Uint8Array(wrapped)));
}

/**
 * A header's fields, without opening it: what a client shows (the KDF's cost) before it asks for the key.
 * Throws {@link BackupHeaderError} for anything but a version 1 header within the KDF bounds.
 *
 * @example
 * decodeBackupHeader(backup.header).kdf.memoryKiB // 65536
 */
export function decodeBackupHeader(header: string): BackupHeader {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(header);
  } catch (error) {
    throw new BackupHeaderError('A backup header is base64', { cause: error });
  }
  if (bytes.length !== HEADER_SIZE) {
    throw new BackupHeaderError(`A backup header is ${HEADER_SIZE} bytes, not ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== BACKUP_HEADER_VERSION) {
    throw new BackupHeaderError(`Backup header version ${version} is not one this client reads`);
  }
  const kdfId = view.getUint8(1);
  const name = (Object.keys(KDF_IDS) as KdfName[]).find((kdf) => KDF_IDS[kdf] === kdfId);
  if (!name) throw new BackupHeaderError(`Key derivation function ${kdfId} is not one this client knows`);
  const kdf: KdfParams = {
    name,
    memoryKiB: view.getUint32(2),
    iterations: view.getUint32(6),
    parallelism: view.getUint8(10),
    salt: bytes.slice(11, 11 + SALT_SIZE),
  };
  checkKdf(kdf);
  return {
    version,
    kdf,
    iv: new Uint8Array(bytes.subarray(11 + SALT_SIZE, PREFIX_SIZE)),
    wrappedKey: new Uint8Array(bytes.subarray(PREFIX_SIZE)),
  };
}

function encodePrefix(kdf: KdfParams, iv: Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = new Uint8Array(PREFIX_SIZE);
  const view = new DataView(prefix.buffer);
  view.setUint8(0, BACKUP_HEADER_VERSION);
  view.setUint8(1, KDF_IDS[kdf.name]);
  view.setUint32(2, kdf.memoryKiB);
  view.setUint32(6, kdf.iterations);
  view.setUint8(10, kdf.parallelism);
  prefix.set(kdf.salt, 11);
  prefix.set(iv, 11 + SALT_SIZE);
  return prefix;
}

function checkKdf(kdf: KdfParams): void {
  for (const field of ['memoryKiB', 'iterations', 'parallelism'] as const) {
    const { min, max } = KDF_BOUNDS[field];
    const value = kdf[field];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new BackupHeaderError(
        `The key derivation's ${field} must be from ${min} to ${max}, not ${value}`,
      );
    }
  }
  // Argon2 needs 8 KiB of memory per lane at least.
  if (kdf.memoryKiB < 8 * kdf.parallelism) throw new BackupHeaderError('Too little memory for the lanes');
  if (kdf.salt.length !== SALT_SIZE) throw new BackupHeaderError(`The salt is ${SALT_SIZE} bytes`);
}

/** A recovery key as a file a browser offers to download. */
export interface RecoveryKeyFile {
  readonly fileName: string;
  readonly mimeType: string;
  readonly text: string;
}

/**
 * The recovery key as a short text file: the words, numbered in rows of four, and what they are for.
 *
 * @example
 * const file = recoveryKeyFile(recoveryKey, new Date());
 * link.href = URL.createObjectURL(new Blob([file.text], { type: file.mimeType }));
 * link.download = file.fileName;
 */
export function recoveryKeyFile(recoveryKey: RecoveryKey, createdAt: Date): RecoveryKeyFile {
  const rows: string[] = [];
  for (let start = 0; start < recoveryKey.words.length; start += 4) {
    rows.push(
      recoveryKey.words
        .slice(start, start + 4)
        .map((word, index) => `${String(start + index + 1).padStart(2, ' ')}. ${word.padEnd(8, ' ')}`)
        .join('  ')
        .trimEnd(),
    );
  }
  const text = [
    'Parley recovery key',
    '',
    ...rows,
    '',
    'These 12 words open the encrypted backup of your Parley history on a new device. Keep them',
    'somewhere safe and private: anyone with these words and your account can read your history.',
    'Parley never sees them and cannot recover them: if you lose them, turn the backup off and on',
    'again in Settings to get new ones.',
    '',
    `Made on ${createdAt.toISOString().slice(0, 10)}.`,
    '',
  ].join('\n');
  return { fileName: 'parley-recovery-key.txt', mimeType: 'text/plain;charset=utf-8', text };
}
