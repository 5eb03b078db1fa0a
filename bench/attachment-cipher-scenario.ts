/**
 * The attachment cipher's speed on one file, run unchanged in Node and in Chromium: seal a file of the
 * given size, open the result, and time each. No DOM and no Node API, so both runtimes load it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES,
  decryptAttachment,
  encryptAttachment,
} from '../shared/e2ee/attachment-cipher';

/** Milliseconds per run. */
export interface CipherSamples {
  readonly encryptMs: number[];
  readonly decryptMs: number[];
  /** Its two parts alone, over the same bytes in 64 KiB chunks: AES-256-GCM (WebCrypto) and SHA-256. */
  readonly aesGcmMs: number[];
  readonly sha256Ms: number[];
}

/** `getRandomValues` fills at most 64 KiB per call. */
const RANDOM_FILL_IN_BYTES = 65_536;

/** A file of random bytes (the cipher's speed does not depend on them, a compressing layer's would). */
export function randomFile(sizeInBytes: number): Blob {
  return new Blob([randomBytesOf(sizeInBytes)]);
}

function randomBytesOf(sizeInBytes: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(sizeInBytes);
  for (let offset = 0; offset < sizeInBytes; offset += RANDOM_FILL_IN_BYTES) {
    crypto.getRandomValues(bytes.subarray(offset, offset + RANDOM_FILL_IN_BYTES));
  }
  return bytes;
}

/** Seals every chunk with AES-256-GCM alone, one WebCrypto call per chunk, as the cipher does. */
async function aesGcmOnly(bytes: Uint8Array<ArrayBuffer>): Promise<void> {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
  const iv = new Uint8Array(12);
  for (let offset = 0; offset < bytes.length; offset += DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES) {
    new DataView(iv.buffer).setUint32(8, offset / DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES);
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv },
      key,
      bytes.subarray(offset, offset + DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES),
    );
  }
}

/** Hashes the bytes chunk by chunk, as the cipher hashes the object it writes or reads. */
function sha256Only(bytes: Uint8Array): void {
  const hash = sha256.create();
  for (let offset = 0; offset < bytes.length; offset += DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES) {
    hash.update(bytes.subarray(offset, offset + DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES));
  }
  hash.digest();
}

/** Seals and opens a file of `sizeInBytes` `runs` times, checking each opened file's size. */
export async function measureCipher(sizeInBytes: number, runs: number): Promise<CipherSamples> {
  const bytes = randomBytesOf(sizeInBytes);
  const file = new Blob([bytes]);
  const encryptMs: number[] = [];
  const decryptMs: number[] = [];
  const aesGcmMs: number[] = [];
  const sha256Ms: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const sealStart = performance.now();
    const sealed = await encryptAttachment(file);
    encryptMs.push(performance.now() - sealStart);
    const openStart = performance.now();
    const opened = await decryptAttachment(sealed.ciphertext, sealed);
    decryptMs.push(performance.now() - openStart);
    if (opened.size !== sizeInBytes) throw new Error(`opened ${opened.size} bytes, not ${sizeInBytes}`);
    const aesStart = performance.now();
    await aesGcmOnly(bytes);
    aesGcmMs.push(performance.now() - aesStart);
    const hashStart = performance.now();
    sha256Only(bytes);
    sha256Ms.push(performance.now() - hashStart);
  }
  return { encryptMs, decryptMs, aesGcmMs, sha256Ms };
}
