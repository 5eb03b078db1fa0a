import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { MAX_ATTACHMENT_FILE_SIZE_IN_BYTES, MAX_ATTACHMENT_SIZE_IN_BYTES } from '../protocol/limits';
import {
  ATTACHMENT_HEADER_SIZE_IN_BYTES,
  ATTACHMENT_TAG_SIZE_IN_BYTES,
  type AttachmentSecrets,
  ciphertextSizeOf,
  DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES,
  decryptAttachment,
  encryptAttachment,
  MIN_ATTACHMENT_CHUNK_SIZE_IN_BYTES,
} from './attachment-cipher';
import { toBase64 } from './base64';
import { AttachmentIntegrityError, AttachmentTooLargeError } from './errors';

const CHUNK = MIN_ATTACHMENT_CHUNK_SIZE_IN_BYTES;
const SEALED_CHUNK = CHUNK + ATTACHMENT_TAG_SIZE_IN_BYTES;

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  // getRandomValues fills at most 64 KiB per call.
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A body as a network delivers it: pieces of the given sizes, in turn, that ignore chunk boundaries. */
function streamOf(
  bytes: Uint8Array,
  pieceSizes: readonly number[] = [1, 7, 1000],
): ReadableStream<Uint8Array> {
  let offset = 0;
  let turn = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      const size = pieceSizes[turn++ % pieceSizes.length] ?? 1;
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

async function bytesOf(blob: Blob): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await blob.arrayBuffer());
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** A file sealed with 1 KiB chunks, as bytes, with the secrets its message would carry. */
async function sealed(plainSize: number) {
  const plain = randomBytes(plainSize);
  const encrypted = await encryptAttachment(new Blob([plain]), { chunkSize: CHUNK });
  const secrets: AttachmentSecrets = {
    key: encrypted.key,
    sha256: encrypted.sha256,
    size: encrypted.size,
    plainSize: encrypted.plainSize,
    chunkSize: encrypted.chunkSize,
  };
  return { plain, bytes: await bytesOf(encrypted.ciphertext), secrets };
}

/**
 * Secrets that match changed bytes in size and digest, as a sender who made the change would write them:
 * only the chunks' own authentication stands in the way.
 */
function matching(bytes: Uint8Array, secrets: AttachmentSecrets): AttachmentSecrets {
  return { key: secrets.key, sha256: toBase64(sha256(bytes)), size: bytes.length };
}

function chunkAt(bytes: Uint8Array<ArrayBuffer>, index: number): Uint8Array<ArrayBuffer> {
  const start = ATTACHMENT_HEADER_SIZE_IN_BYTES + index * SEALED_CHUNK;
  return bytes.subarray(start, start + SEALED_CHUNK);
}

function flipped(bytes: Uint8Array<ArrayBuffer>, at: number): Uint8Array<ArrayBuffer> {
  const copy = bytes.slice();
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

describe('ciphertextSizeOf', () => {
  it('counts a header and one tag per chunk, and one empty chunk for an empty file', () => {
    expect(ciphertextSizeOf(0)).toBe(13 + 16);
    expect(ciphertextSizeOf(1, CHUNK)).toBe(13 + 1 + 16);
    expect(ciphertextSizeOf(CHUNK, CHUNK)).toBe(13 + CHUNK + 16);
    expect(ciphertextSizeOf(CHUNK + 1, CHUNK)).toBe(13 + CHUNK + 1 + 2 * 16);
    expect(ciphertextSizeOf(100_000_000)).toBe(100_024_429);
  });

  it('fits the largest file, with the default chunk size, into the largest upload slot', () => {
    expect(ciphertextSizeOf(MAX_ATTACHMENT_FILE_SIZE_IN_BYTES)).toBeLessThanOrEqual(
      MAX_ATTACHMENT_SIZE_IN_BYTES,
    );
    expect(DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES).toBe(64 * 1024);
  });

  it('refuses a negative or fractional size and a chunk size out of bounds', () => {
    expect(() => ciphertextSizeOf(-1)).toThrow(RangeError);
    expect(() => ciphertextSizeOf(1.5)).toThrow(RangeError);
    expect(() => ciphertextSizeOf(10, CHUNK - 1)).toThrow(RangeError);
    expect(() => ciphertextSizeOf(10, 64 * 1024 * 1024)).toThrow(RangeError);
  });
});

describe('encryptAttachment and decryptAttachment', () => {
  it.each([
    ['an empty file', 0],
    ['one byte', 1],
    ['exactly one chunk', CHUNK],
    ['one chunk and a byte', CHUNK + 1],
    ['several chunks and a part', 3 * CHUNK + 17],
  ])(
    'round-trip %s, from a Blob and from a stream, at the size ciphertextSizeOf gave',
    async (_, plainSize) => {
      const { plain, bytes, secrets } = await sealed(plainSize);
      expect(secrets.size).toBe(ciphertextSizeOf(plainSize, CHUNK));
      expect(bytes.length).toBe(secrets.size);
      expect(secrets.plainSize).toBe(plainSize);
      expect(await bytesOf(await decryptAttachment(new Blob([bytes]), secrets))).toEqual(plain);
      expect(await bytesOf(await decryptAttachment(streamOf(bytes), secrets))).toEqual(plain);
    },
  );

  it('round-trips a 5 MB file with the default chunk size, read as a Blob streams it', async () => {
    const plain = randomBytes(5_000_003);
    const encrypted = await encryptAttachment(new Blob([plain]));
    expect(encrypted.chunkSize).toBe(DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES);
    expect(encrypted.size).toBe(ciphertextSizeOf(plain.length));
    expect(encrypted.ciphertext.size).toBe(encrypted.size);
    const opened = await decryptAttachment(encrypted.ciphertext.stream(), encrypted);
    // Compared by digest: a deep equality over 5 million elements takes the test runner half a minute.
    expect(toBase64(sha256(await bytesOf(opened)))).toBe(toBase64(sha256(plain)));
  });

  it('opens a body whose network pieces are 1, 7 and 1000 bytes, with the type the message names', async () => {
    const { plain, bytes, secrets } = await sealed(5 * CHUNK + 3);
    const opened = await decryptAttachment(streamOf(bytes, [1, 7, 1000]), secrets, { type: 'image/png' });
    expect(opened.type).toBe('image/png');
    expect(await bytesOf(opened)).toEqual(plain);
  });

  it('seals the same file differently each time, and leaves none of it readable', async () => {
    const canary = new TextEncoder().encode('canary: holiday photo 3b9e '.repeat(200));
    const first = await encryptAttachment(new Blob([canary]), { chunkSize: CHUNK });
    const second = await encryptAttachment(new Blob([canary]), { chunkSize: CHUNK });
    expect(second.key).not.toBe(first.key);
    expect(second.sha256).not.toBe(first.sha256);
    const firstBytes = await bytesOf(first.ciphertext);
    const secondBytes = await bytesOf(second.ciphertext);
    expect(secondBytes.subarray(5, 13)).not.toEqual(firstBytes.subarray(5, 13));
    expect(contains(firstBytes, canary.subarray(0, 16))).toBe(false);
  });

  it('reports progress up to the total, sealing in plaintext bytes and opening in ciphertext bytes', async () => {
    const plain = randomBytes(3 * CHUNK + 5);
    const sealing: number[][] = [];
    const encrypted = await encryptAttachment(new Blob([plain]), {
      chunkSize: CHUNK,
      onProgress: (done, total) => sealing.push([done, total]),
    });
    expect(sealing).toEqual([
      [CHUNK, plain.length],
      [2 * CHUNK, plain.length],
      [3 * CHUNK, plain.length],
      [plain.length, plain.length],
    ]);

    const opening: number[][] = [];
    await decryptAttachment(streamOf(await bytesOf(encrypted.ciphertext), [1000]), encrypted, {
      onProgress: (done, total) => opening.push([done, total]),
    });
    const pieces = Math.ceil(encrypted.size / 1000);
    expect(opening).toEqual(
      Array.from({ length: pieces }, (_, i) => [Math.min((i + 1) * 1000, encrypted.size), encrypted.size]),
    );
  });

  it('stops sealing when aborted', async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const sealing = encryptAttachment(new Blob([randomBytes(4 * CHUNK)]), {
      chunkSize: CHUNK,
      signal: controller.signal,
      onProgress: (done) => {
        progress.push(done);
        controller.abort();
      },
    });
    await expect(sealing).rejects.toMatchObject({ name: 'AbortError' });
    expect(progress).toEqual([CHUNK]);
  });

  it('stops opening a stalled download when aborted, and cancels the download', async () => {
    const { bytes, secrets } = await sealed(4 * CHUNK);
    const controller = new AbortController();
    let cancelled = false;
    let pulls = 0;
    // With no high-water mark the stream is pulled only while a read waits on it.
    const stalled = new ReadableStream<Uint8Array>(
      {
        pull(stream) {
          if (pulls++ === 0) {
            stream.enqueue(bytes.slice(0, 100));
            return;
          }
          // The reader waits for bytes that never come: only the abort can end its read.
          controller.abort();
          return new Promise<void>(() => undefined);
        },
        cancel() {
          cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    await expect(decryptAttachment(stalled, secrets, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(cancelled).toBe(true);
  });

  it('refuses a file over the limit before reading it', async () => {
    const megabyte = new Uint8Array(1_000_000);
    const tooLarge = new Blob([...Array.from({ length: 100 }, () => megabyte), new Uint8Array(1)]);
    expect(tooLarge.size).toBe(MAX_ATTACHMENT_FILE_SIZE_IN_BYTES + 1);
    await expect(encryptAttachment(tooLarge)).rejects.toThrow(AttachmentTooLargeError);
  });
});

describe('decryptAttachment refuses', () => {
  const PLAIN_SIZE = 4 * CHUNK;

  type Case = (file: Awaited<ReturnType<typeof sealed>>) => Promise<{
    bytes: Uint8Array<ArrayBuffer>;
    secrets: AttachmentSecrets;
  }>;

  // The reason, where the check that must catch it is the only one that can.
  const cases: [string, Case, RegExp?][] = [
    [
      'another digest',
      async ({ bytes, secrets }) => ({
        bytes,
        secrets: { ...secrets, sha256: toBase64(sha256(randomBytes(8))) },
      }),
      /digest/,
    ],
    [
      'a size larger than the body',
      async ({ bytes, secrets }) => ({ bytes, secrets: { ...secrets, size: secrets.size + 1 } }),
    ],
    [
      'a size smaller than the body',
      async ({ bytes, secrets }) => ({ bytes, secrets: { ...secrets, size: secrets.size - 1 } }),
    ],
    ['a flipped byte', async ({ bytes, secrets }) => ({ bytes: flipped(bytes, 2000), secrets })],
    [
      'a flipped byte, even with a digest that matches',
      async ({ bytes, secrets }) => {
        const changed = flipped(bytes, 2000);
        return { bytes: changed, secrets: matching(changed, secrets) };
      },
    ],
    [
      'a changed nonce prefix, even with a digest that matches',
      async ({ bytes, secrets }) => {
        const changed = flipped(bytes, 6);
        return { bytes: changed, secrets: matching(changed, secrets) };
      },
    ],
    [
      'another chunk size in the header, even with a digest that matches',
      async ({ bytes, secrets }) => {
        const changed = bytes.slice();
        new DataView(changed.buffer).setUint32(1, CHUNK + 16);
        return { bytes: changed, secrets: matching(changed, secrets) };
      },
    ],
    [
      'a body cut short',
      async ({ bytes, secrets }) => ({ bytes: bytes.subarray(0, bytes.length - 1), secrets }),
    ],
    [
      'a body cut at a chunk boundary, even with a size and digest that match',
      async ({ bytes, secrets }) => {
        const cut = bytes.subarray(0, ATTACHMENT_HEADER_SIZE_IN_BYTES + 3 * SEALED_CHUNK);
        return { bytes: cut, secrets: matching(cut, secrets) };
      },
      /chunk 2 failed/,
    ],
    ['extra bytes', async ({ bytes, secrets }) => ({ bytes: concat(bytes, new Uint8Array(1)), secrets })],
    [
      'a chunk appended, even with a size and digest that match',
      async ({ bytes, secrets }) => {
        const longer = concat(bytes, chunkAt(bytes, 3));
        return { bytes: longer, secrets: matching(longer, secrets) };
      },
      /chunk 3 failed/,
    ],
    [
      'reordered chunks, even with a digest that matches',
      async ({ bytes, secrets }) => {
        const swapped = concat(
          bytes.subarray(0, ATTACHMENT_HEADER_SIZE_IN_BYTES),
          chunkAt(bytes, 1),
          chunkAt(bytes, 0),
          bytes.subarray(ATTACHMENT_HEADER_SIZE_IN_BYTES + 2 * SEALED_CHUNK),
        );
        return { bytes: swapped, secrets: matching(swapped, secrets) };
      },
      /chunk 0 failed/,
    ],
    [
      'another key',
      async ({ bytes, secrets }) => ({ bytes, secrets: { ...secrets, key: toBase64(randomBytes(32)) } }),
    ],
    [
      'a key that is not 256 bits',
      async ({ bytes, secrets }) => ({ bytes, secrets: { ...secrets, key: 'AAAA' } }),
    ],
    [
      'a key that is not base64',
      async ({ bytes, secrets }) => ({ bytes, secrets: { ...secrets, key: '%%%%' } }),
    ],
    [
      'an unknown format version, even with a digest that matches',
      async ({ bytes, secrets }) => {
        const changed = bytes.slice();
        changed[0] = 2;
        return { bytes: changed, secrets: matching(changed, secrets) };
      },
      /version 2/,
    ],
    [
      'a chunk size other than the message names',
      async ({ bytes, secrets }) => ({ bytes, secrets: { ...secrets, chunkSize: 2 * CHUNK } }),
    ],
    [
      'a plaintext size other than the message names',
      async ({ bytes, secrets }) => ({ bytes, secrets: { ...secrets, plainSize: PLAIN_SIZE + 1 } }),
    ],
  ];

  it('a body that goes on past its size, and stops downloading it', async () => {
    const { bytes, secrets } = await sealed(PLAIN_SIZE);
    let sent = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(sent < bytes.length ? bytes.slice(sent, sent + 1000) : new Uint8Array(1000));
        sent += 1000;
      },
      cancel() {
        cancelled = true;
      },
    });
    await expect(decryptAttachment(endless, secrets)).rejects.toThrow(/longer than/);
    expect(cancelled).toBe(true);
  });

  it.each(cases)('%s', async (_, tamper, reason) => {
    const file = await sealed(PLAIN_SIZE);
    await expect(decryptAttachment(new Blob([file.bytes]), file.secrets)).resolves.toBeInstanceOf(Blob);
    const { bytes, secrets } = await tamper(file);
    for (const body of [new Blob([bytes]), streamOf(bytes)]) {
      const opening = decryptAttachment(body, secrets);
      await expect(opening).rejects.toThrow(AttachmentIntegrityError);
      if (reason) await expect(opening).rejects.toThrow(reason);
    }
  });
});
