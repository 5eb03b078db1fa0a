import { wordlist } from '@scure/bip39/wordlists/english.js';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from './base64';
import { E2eeError } from './errors';
import {
  BackupHeaderError,
  createBackupHeader,
  DEFAULT_BACKUP_KDF,
  decodeBackupHeader,
  deriveBackupKey,
  generateRecoveryKey,
  openBackupHeader,
  parseRecoveryKey,
  RECOVERY_KEY_WORD_COUNT,
  RecoveryKeyError,
  recoveryKeyFile,
  rewrapBackupHeader,
  WrongRecoveryKeyError,
} from './recovery-key';

/** The least cost a header may name: these tests derive many keys. */
const CHEAP = { name: 'argon2id', memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 } as const;

/** BIP-39's first test vector: 16 zero bytes. */
const ZERO_KEY =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

describe('recovery key', () => {
  it('is 12 list words carrying 128 random bits, fresh each time', () => {
    const keys = Array.from({ length: 20 }, () => generateRecoveryKey());

    for (const key of keys) {
      expect(key.words).toHaveLength(RECOVERY_KEY_WORD_COUNT);
      for (const word of key.words) expect(wordlist).toContain(word);
      expect(parseRecoveryKey(key.words.join(' '))).toEqual(key);
    }
    expect(new Set(keys.map((key) => key.words.join(' '))).size).toBe(20);
  });

  it('reads a key typed in any case, with extra spaces, line breaks, commas, numbering or four-letter words', () => {
    const words = ZERO_KEY.split(' ');
    const typed =
      ' 1. ABANDON  Abandon,abandon\n4. aban\tabandon abandon\r\n abandon abandon abandon abandon abandon ABOU  ';

    expect(parseRecoveryKey(typed).words).toEqual(words);
  });

  it('names the word that is not a list word', () => {
    const typed = ZERO_KEY.replace(/abandon about$/, 'abandno about');

    const refusal = (() => {
      try {
        parseRecoveryKey(typed);
      } catch (error) {
        return error;
      }
    })();

    expect(refusal).toBeInstanceOf(RecoveryKeyError);
    expect(refusal).toMatchObject({ position: 11, message: expect.stringContaining('Word 11, “abandno”') });
    expect(refusal).toBeInstanceOf(E2eeError);
  });

  it('catches a word mistyped as another list word by the checksum, and a wrong count', () => {
    // The last word carries the checksum: "abandon" there does not fit 11 "abandon"s.
    expect(() => parseRecoveryKey(ZERO_KEY.replace(/about$/, 'abandon'))).toThrow('do not fit together');
    expect(() => parseRecoveryKey(ZERO_KEY.replace(/ about$/, ''))).toThrow('has 12 words; this has 11');
    expect(() => parseRecoveryKey(`${ZERO_KEY} about`)).toThrow(RecoveryKeyError);
  });
});

describe('backup header', () => {
  it('opens with the recovery key it was made with, giving back the data key', async () => {
    const key = generateRecoveryKey();
    const { header, dataKey } = await createBackupHeader(key, { kdf: CHEAP });

    expect(dataKey).toHaveLength(32);
    expect(header.length).toBeLessThanOrEqual(2048);
    expect(await openBackupHeader(header, parseRecoveryKey(key.words.join('\n')))).toEqual(dataKey);
    expect(decodeBackupHeader(header)).toMatchObject({
      version: 1,
      kdf: { ...CHEAP, salt: expect.any(Uint8Array) },
    });
  });

  it('refuses another recovery key with a typed error', async () => {
    const { header } = await createBackupHeader(generateRecoveryKey(), { kdf: CHEAP });

    await expect(openBackupHeader(header, generateRecoveryKey())).rejects.toThrow(WrongRecoveryKeyError);
  });

  it('refuses a header with any byte changed: cost, salt, iv or wrapped key', async () => {
    const key = generateRecoveryKey();
    const { header } = await createBackupHeader(key, { kdf: CHEAP });
    const bytes = fromBase64(header);

    // Iterations 1 → 2 (still within bounds), then a byte of the salt, the iv and the wrapped key.
    for (const offset of [9, 11, 30, 50, bytes.length - 1]) {
      const changed = bytes.slice();
      changed[offset] = (changed[offset] as number) ^ 0x03;
      await expect(openBackupHeader(toBase64(changed), key)).rejects.toThrow(WrongRecoveryKeyError);
    }
  });

  it('refuses a header it cannot read before deriving anything: truncated, another version, a cost out of bounds', async () => {
    const key = generateRecoveryKey();
    const { header } = await createBackupHeader(key, { kdf: CHEAP });
    const bytes = fromBase64(header);
    const withByte = (offset: number, value: number) => {
      const changed = bytes.slice();
      changed[offset] = value;
      return toBase64(changed);
    };

    await expect(openBackupHeader(toBase64(bytes.subarray(0, 60)), key)).rejects.toThrow(BackupHeaderError);
    await expect(openBackupHeader(withByte(0, 2), key)).rejects.toThrow('version 2');
    await expect(openBackupHeader(withByte(1, 9), key)).rejects.toThrow(BackupHeaderError);
    // 4 GiB of memory asked: refused, not attempted.
    await expect(openBackupHeader(withByte(2, 0x40), key)).rejects.toThrow('memoryKiB');
    expect(() => decodeBackupHeader('not base64!')).toThrow(BackupHeaderError);
  });

  it('rewraps the same data key under a new recovery key; the old one no longer opens the new header', async () => {
    const [oldKey, newKey] = [generateRecoveryKey(), generateRecoveryKey()];
    const { header, dataKey } = await createBackupHeader(oldKey, { kdf: CHEAP });

    const rewrapped = await rewrapBackupHeader(header, oldKey, newKey, { kdf: CHEAP });

    expect(await openBackupHeader(rewrapped, newKey)).toEqual(dataKey);
    await expect(openBackupHeader(rewrapped, oldKey)).rejects.toThrow(WrongRecoveryKeyError);
    await expect(rewrapBackupHeader(header, newKey, oldKey, { kdf: CHEAP })).rejects.toThrow(
      WrongRecoveryKeyError,
    );
  });

  it('derives the same key from the same words and salt, another from another salt', async () => {
    const key = parseRecoveryKey(ZERO_KEY);
    const salt = new Uint8Array(16).fill(1);
    const seal = async (kdfSalt: Uint8Array) => {
      const kek = await deriveBackupKey(key, { ...CHEAP, salt: kdfSalt });
      const iv = new Uint8Array(12);
      return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, kek, new Uint8Array(4)));
    };

    expect(await seal(salt)).toEqual(await seal(salt.slice()));
    expect(await seal(salt)).not.toEqual(await seal(new Uint8Array(16).fill(2)));
  });

  it('uses the measured default cost unless told otherwise', async () => {
    expect(DEFAULT_BACKUP_KDF).toEqual({
      name: 'argon2id',
      memoryKiB: 65_536,
      iterations: 3,
      parallelism: 1,
    });
  });
});

describe('recovery key file', () => {
  it('holds the words in order, numbered, with what they are for', () => {
    const key = parseRecoveryKey(ZERO_KEY);

    const file = recoveryKeyFile(key, new Date('2025-03-01T12:00:00Z'));

    expect(file).toMatchObject({ fileName: 'parley-recovery-key.txt', mimeType: 'text/plain;charset=utf-8' });
    expect(file.text).toContain(' 1. abandon');
    expect(file.text).toContain('12. about');
    expect(file.text).toContain('Parley never sees them');
    expect(file.text).toContain('2025-03-01');
    // What the file says reads back as the key.
    expect(parseRecoveryKey(file.text.split('\n').slice(2, 5).join('\n'))).toEqual(key);
  });
});
