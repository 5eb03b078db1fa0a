/**
 * Attachments (images, files, voice notes) are sealed on the sender's device under a key of their own;
 * the server stores only the ciphertext, and the key, digest and size travel inside the MLS message that
 * names the attachment. Format version 1, every integer big-endian:
 *
 * ```text
 * header  = version (1 byte, 0x01) || chunkSize (u32) || noncePrefix (8 random bytes)     13 bytes
 * chunk_i = AES-256-GCM(key, iv_i, aad_i, plaintext[i·chunkSize, (i+1)·chunkSize))     length + 16 bytes
 * iv_i    = noncePrefix || u32(i)                                                        12 bytes
 * aad_i   = header || u32(i) || final_i   (final_i = 0x01 for the last chunk, else 0x00)  18 bytes
 * object  = header || chunk_0 || chunk_1 || … || chunk_(n-1)
 * ```
 *
 * `n = max(1, ceil(plainSize / chunkSize))`: every chunk but the last holds exactly `chunkSize` bytes of
 * plaintext, the last holds 1 to `chunkSize` (0 only for an empty file, which is one empty chunk). So the
 * object is `13 + plainSize + 16·n` bytes ({@link ciphertextSizeOf}), and a reader finds the last chunk
 * from the `size` its message names. The key is 32 random bytes, fresh per file, sent as base64; tags are
 * GCM's full 16 bytes; the digest is SHA-256 over the whole object, header included, sent as base64.
 *
 * Why this shape:
 * - It is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015), as Tink and age use it: each
 *   chunk is authenticated on its own, so a reader checks as it goes and holds one chunk, never the file.
 *   The index in the IV and the additional data makes a moved chunk fail; the final flag makes a file cut
 *   at a chunk boundary, or one with chunks appended, fail, which per-chunk tags alone would let through.
 * - The header is in every chunk's additional data, so its chunk size and nonce prefix cannot be changed.
 * - The key is fresh per file, so IVs cannot repeat under it; the random prefix is there for a key reused
 *   by mistake (an integrator sealing a second file under a stored key): two files then share an IV with
 *   odds of 2^-64, not certainly, and GCM under a repeated IV gives away its authentication key.
 * - GCM is not key-committing: a sender could craft one object that opens under two keys as two different
 *   files. The SHA-256 in the message pins the exact bytes, so every recipient sees the same file (Signal
 *   checks a digest for the same reason).
 * - 64 KiB chunks: a 100 MB file is 1,526 chunks and 24 KB of tags, far inside the 1 MiB of room an upload
 *   slot allows over the file, while one WebCrypto call per chunk keeps the per-call cost small.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { MAX_ATTACHMENT_FILE_SIZE_IN_BYTES, MAX_ATTACHMENT_SIZE_IN_BYTES } from '../protocol/limits';
import { fromBase64, toBase64 } from './base64';
import { AttachmentIntegrityError, AttachmentTooLargeError } from './errors';

/** The format version this module writes, and the only one it reads. */
export const ATTACHMENT_FORMAT_VERSION = 1;

/**
 * Plaintext bytes per chunk unless the sender chooses otherwise.
 *
 * @example
 * ciphertextSizeOf(file.size) === ciphertextSizeOf(file.size, DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES) // true
 */
export const DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES = 64 * 1024;

/**
 * The smallest chunk size a header may name. Smaller chunks would let a sender make recipients run
 * millions of decryptions for one file.
 *
 * @example
 * await encryptAttachment(file, { chunkSize: MIN_ATTACHMENT_CHUNK_SIZE_IN_BYTES });
 */
export const MIN_ATTACHMENT_CHUNK_SIZE_IN_BYTES = 1024;

/**
 * The largest chunk size a header may name: a reader holds one chunk in memory.
 *
 * @example
 * await encryptAttachment(file, { chunkSize: MAX_ATTACHMENT_CHUNK_SIZE_IN_BYTES });
 */
export const MAX_ATTACHMENT_CHUNK_SIZE_IN_BYTES = 4 * 1024 * 1024;

/**
 * Bytes of the header before the first chunk: version, chunk size, nonce prefix.
 *
 * @example
 * const header = ciphertext.slice(0, ATTACHMENT_HEADER_SIZE_IN_BYTES);
 */
export const ATTACHMENT_HEADER_SIZE_IN_BYTES = 13;

/**
 * Bytes each chunk adds to its plaintext: its GCM tag.
 *
 * @example
 * const sealedChunkSize = chunkSize + ATTACHMENT_TAG_SIZE_IN_BYTES;
 */
export const ATTACHMENT_TAG_SIZE_IN_BYTES = 16;

const NONCE_PREFIX_SIZE_IN_BYTES = 8;
const KEY_SIZE_IN_BYTES = 32;
const DIGEST_SIZE_IN_BYTES = 32;
const MAX_CHUNKS = 2 ** 32;

/**
 * Chunks are gathered into a Blob of their own every few MiB: a Blob made of Blobs refers to them (and a
 * browser may keep a large one on disk), so no step ever copies the whole file into one buffer.
 */
const BLOB_BATCH_SIZE_IN_BYTES = 4 * 1024 * 1024;

/** Options of {@link encryptAttachment}. */
export interface EncryptAttachmentOptions {
  /**
   * Plaintext bytes per chunk, from {@link MIN_ATTACHMENT_CHUNK_SIZE_IN_BYTES} to
   * {@link MAX_ATTACHMENT_CHUNK_SIZE_IN_BYTES}.
   * @default DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES
   */
  readonly chunkSize?: number;
  /** Called after each chunk with the plaintext bytes sealed so far and the file's size. */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Stops between chunks, rejecting with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A sealed file: the object to upload, and what its message must carry for recipients to open it. */
export interface EncryptedAttachment {
  /** The object to upload, exactly {@link EncryptedAttachment.size} bytes. */
  readonly ciphertext: Blob;
  /** The file's AES-256 key, 32 bytes as base64. */
  readonly key: string;
  /** SHA-256 of the whole ciphertext, as base64. */
  readonly sha256: string;
  /** Ciphertext bytes: the size to ask an upload slot for. */
  readonly size: number;
  /** Plaintext bytes: the file's size. */
  readonly plainSize: number;
  /** Plaintext bytes per chunk, as the header names it. */
  readonly chunkSize: number;
}

/** What a recipient needs to open an attachment, all of it from the message that carries it. */
export interface AttachmentSecrets {
  /** The file's AES-256 key, 32 bytes as base64. */
  readonly key: string;
  /** SHA-256 of the whole ciphertext, as base64. */
  readonly sha256: string;
  /** Ciphertext bytes. */
  readonly size: number;
  /** Plaintext bytes; checked when given. */
  readonly plainSize?: number;
  /** Plaintext bytes per chunk; checked against the header when given. */
  readonly chunkSize?: number;
}

/** Options of {@link decryptAttachment}. */
export interface DecryptAttachmentOptions {
  /** The MIME type the returned Blob gets (from the message, never from the server). */
  readonly type?: string;
  /** Called as ciphertext arrives with the bytes read so far and the ciphertext's size. */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Stops reading, rejecting with the signal's reason (and cancelling a stream). */
  readonly signal?: AbortSignal;
}

function checkChunkSize(chunkSize: number): void {
  if (
    !Number.isSafeInteger(chunkSize) ||
    chunkSize < MIN_ATTACHMENT_CHUNK_SIZE_IN_BYTES ||
    chunkSize > MAX_ATTACHMENT_CHUNK_SIZE_IN_BYTES
  ) {
    throw new RangeError(
      `Chunk size must be an integer from ${MIN_ATTACHMENT_CHUNK_SIZE_IN_BYTES} to ${MAX_ATTACHMENT_CHUNK_SIZE_IN_BYTES} bytes`,
    );
  }
}

function chunkCountOf(plainSize: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(plainSize / chunkSize));
}

/**
 * The exact size of a file's ciphertext, known before it is sealed: the size to ask an upload slot for,
 * and what to compare with {@link MAX_ATTACHMENT_SIZE_IN_BYTES} to refuse a file early. Throws a
 * `RangeError` for a negative or fractional size or a chunk size out of bounds.
 *
 * @example
 * ciphertextSizeOf(0) // 29: the header and one empty chunk's tag
 * ciphertextSizeOf(100_000_000) // 100_024_429
 */
export function ciphertextSizeOf(
  plainSize: number,
  chunkSize: number = DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES,
): number {
  if (!Number.isSafeInteger(plainSize) || plainSize < 0) {
    throw new RangeError('Plaintext size must be a non-negative integer');
  }
  checkChunkSize(chunkSize);
  return (
    ATTACHMENT_HEADER_SIZE_IN_BYTES +
    plainSize +
    chunkCountOf(plainSize, chunkSize) * ATTACHMENT_TAG_SIZE_IN_BYTES
  );
}

/** The plaintext size whose ciphertext is `size` bytes, or undefined when no file seals to that size. */
function plainSizeOf(size: number, chunkSize: number): number | undefined {
  const body = size - ATTACHMENT_HEADER_SIZE_IN_BYTES;
  if (body < ATTACHMENT_TAG_SIZE_IN_BYTES) return undefined;
  const chunks = Math.ceil(body / (chunkSize + ATTACHMENT_TAG_SIZE_IN_BYTES));
  const plainSize = body - chunks * ATTACHMENT_TAG_SIZE_IN_BYTES;
  // A remainder shorter than a tag is no chunk: such a size is not one any plaintext seals to.
  return plainSize >= 0 && ciphertextSizeOf(plainSize, chunkSize) === size ? plainSize : undefined;
}

function encodeHeader(chunkSize: number, noncePrefix: Uint8Array): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(ATTACHMENT_HEADER_SIZE_IN_BYTES);
  header[0] = ATTACHMENT_FORMAT_VERSION;
  new DataView(header.buffer).setUint32(1, chunkSize);
  header.set(noncePrefix, 5);
  return header;
}

function ivOf(header: Uint8Array, index: number): Uint8Array<ArrayBuffer> {
  const iv = new Uint8Array(12);
  iv.set(header.subarray(5, 5 + NONCE_PREFIX_SIZE_IN_BYTES));
  new DataView(iv.buffer).setUint32(NONCE_PREFIX_SIZE_IN_BYTES, index);
  return iv;
}

function additionalDataOf(header: Uint8Array, index: number, final: boolean): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(ATTACHMENT_HEADER_SIZE_IN_BYTES + 5);
  data.set(header);
  const view = new DataView(data.buffer);
  view.setUint32(ATTACHMENT_HEADER_SIZE_IN_BYTES, index);
  view.setUint8(ATTACHMENT_HEADER_SIZE_IN_BYTES + 4, final ? 1 : 0);
  return data;
}

/** Parts gathered into Blobs of a few MiB each (see {@link BLOB_BATCH_SIZE_IN_BYTES}). */
/** How much of a file is read at once while sealing: whole chunks, about this many bytes. */
const READ_WINDOW_IN_BYTES = 4 * 1024 * 1024;

class BlobBuilder {
  private readonly blobs: Blob[] = [];
  private batch: BlobPart[] = [];
  private batchSize = 0;

  add(part: Uint8Array<ArrayBuffer> | ArrayBuffer): void {
    this.batch.push(part);
    this.batchSize += part.byteLength;
    if (this.batchSize >= BLOB_BATCH_SIZE_IN_BYTES) this.flush();
  }

  build(type?: string): Blob {
    this.flush();
    return new Blob(this.blobs, type === undefined ? {} : { type });
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    this.blobs.push(new Blob(this.batch));
    this.batch = [];
    this.batchSize = 0;
  }
}

/**
 * Seals a file under a fresh key, one chunk at a time, so memory holds a chunk and the ciphertext (as
 * Blobs), never a second copy of the file. Throws {@link AttachmentTooLargeError} before reading a byte
 * when the file is over {@link MAX_ATTACHMENT_FILE_SIZE_IN_BYTES} or would not fit an upload slot.
 *
 * @example
 * const sealed = await encryptAttachment(file, { onProgress: (done, total) => bar.set(done / total) });
 * const slot = await api.createUpload(conversationId, { size: sealed.size });
 * await upload(slot, sealed.ciphertext);
 * // then send { id: slot.attachmentId, key: sealed.key, sha256: sealed.sha256, … } inside the MLS message
 */
export async function encryptAttachment(
  source: Blob,
  options: EncryptAttachmentOptions = {},
): Promise<EncryptedAttachment> {
  const { chunkSize = DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES, onProgress, signal } = options;
  signal?.throwIfAborted();
  const plainSize = source.size;
  const size = ciphertextSizeOf(plainSize, chunkSize);
  if (plainSize > MAX_ATTACHMENT_FILE_SIZE_IN_BYTES || size > MAX_ATTACHMENT_SIZE_IN_BYTES) {
    throw new AttachmentTooLargeError(
      `A file may be at most ${MAX_ATTACHMENT_FILE_SIZE_IN_BYTES} bytes; this one is ${plainSize}`,
    );
  }

  const rawKey = crypto.getRandomValues(new Uint8Array(KEY_SIZE_IN_BYTES));
  const key = await crypto.subtle.importKey('raw', rawKey, 'AES-GCM', false, ['encrypt']);
  const header = encodeHeader(chunkSize, crypto.getRandomValues(new Uint8Array(NONCE_PREFIX_SIZE_IN_BYTES)));
  const hash = sha256.create();
  hash.update(header);
  const parts = new BlobBuilder();
  parts.add(header);

  const chunks = chunkCountOf(plainSize, chunkSize);
  // The file is read a window of whole chunks at a time: in a browser each read of a Blob is a round
  // trip to its storage, and one per 64 KiB chunk cost more than the cryptography did.
  const windowSize = Math.max(1, Math.floor(READ_WINDOW_IN_BYTES / chunkSize)) * chunkSize;
  let window = new Uint8Array(0);
  let windowStart = 0;
  for (let index = 0; index < chunks; index++) {
    signal?.throwIfAborted();
    const start = index * chunkSize;
    const end = Math.min(start + chunkSize, plainSize);
    if (end > windowStart + window.byteLength || start < windowStart) {
      windowStart = start;
      window = new Uint8Array(
        await source.slice(start, Math.min(start + windowSize, plainSize)).arrayBuffer(),
      );
    }
    const plaintext = window.subarray(start - windowStart, end - windowStart);
    const sealed = await crypto.subtle.encrypt(
      {
        name: 'AES-GCM',
        iv: ivOf(header, index),
        additionalData: additionalDataOf(header, index, index === chunks - 1),
      },
      key,
      plaintext,
    );
    hash.update(new Uint8Array(sealed));
    parts.add(sealed);
    onProgress?.(end, plainSize);
  }
  signal?.throwIfAborted();

  return {
    ciphertext: parts.build(),
    key: toBase64(rawKey),
    sha256: toBase64(hash.digest()),
    size,
    plainSize,
    chunkSize,
  };
}

function decodeSecret(base64: string, what: string): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(base64);
  } catch (error) {
    throw new AttachmentIntegrityError(`The attachment's ${what} is not base64`, { cause: error });
  }
  const length = what === 'key' ? KEY_SIZE_IN_BYTES : DIGEST_SIZE_IN_BYTES;
  if (bytes.length !== length)
    throw new AttachmentIntegrityError(`The attachment's ${what} is not ${length} bytes`);
  return bytes as Uint8Array<ArrayBuffer>;
}

/** The layout the header and the descriptor's size together promise, once the header is read. */
interface Layout {
  readonly header: Uint8Array;
  readonly chunks: number;
  readonly sealedChunkSize: number;
  readonly lastSealedChunkSize: number;
}

function layoutOf(header: Uint8Array, secrets: AttachmentSecrets): Layout {
  if (header[0] !== ATTACHMENT_FORMAT_VERSION) {
    throw new AttachmentIntegrityError(`Unknown attachment format version ${header[0]}`);
  }
  const chunkSize = new DataView(header.buffer, header.byteOffset).getUint32(1);
  if (chunkSize < MIN_ATTACHMENT_CHUNK_SIZE_IN_BYTES || chunkSize > MAX_ATTACHMENT_CHUNK_SIZE_IN_BYTES) {
    throw new AttachmentIntegrityError('The attachment names a chunk size out of bounds');
  }
  if (secrets.chunkSize !== undefined && secrets.chunkSize !== chunkSize) {
    throw new AttachmentIntegrityError('The attachment names another chunk size than its message');
  }
  const plainSize = plainSizeOf(secrets.size, chunkSize);
  if (plainSize === undefined || (secrets.plainSize !== undefined && secrets.plainSize !== plainSize)) {
    throw new AttachmentIntegrityError('The attachment size does not match its message');
  }
  const chunks = chunkCountOf(plainSize, chunkSize);
  if (chunks > MAX_CHUNKS)
    throw new AttachmentIntegrityError('The attachment has more chunks than its format allows');
  return {
    header,
    chunks,
    sealedChunkSize: chunkSize + ATTACHMENT_TAG_SIZE_IN_BYTES,
    lastSealedChunkSize: plainSize - (chunks - 1) * chunkSize + ATTACHMENT_TAG_SIZE_IN_BYTES,
  };
}

async function* piecesOf(ciphertext: ReadableStream<Uint8Array> | Blob, signal?: AbortSignal) {
  if (ciphertext instanceof Blob) {
    for (let start = 0; start < ciphertext.size; start += BLOB_BATCH_SIZE_IN_BYTES) {
      signal?.throwIfAborted();
      yield new Uint8Array(await ciphertext.slice(start, start + BLOB_BATCH_SIZE_IN_BYTES).arrayBuffer());
    }
    return;
  }
  const reader = ciphertext.getReader();
  // A read waiting on a stalled network would outlive the abort; cancelling ends it at once.
  const cancel = () => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      if (done) return;
      yield value;
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
    // Stops the body download when the reader gives up early (tampering found, more bytes than promised).
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/**
 * Opens an attachment as it downloads, one chunk at a time, and returns its plaintext only once every
 * chunk authenticated, the last one was the final one, and the size and SHA-256 are those of the message.
 * Network pieces need not line up with chunks. Throws {@link AttachmentIntegrityError} for anything else:
 * changed, missing, reordered or extra bytes, another key, an unknown format version.
 *
 * @example
 * const { url } = await api.getAttachment(conversationId, attachment.id);
 * const response = await fetch(url);
 * const file = await decryptAttachment(response.body!, attachment, { type: attachment.type });
 * img.src = URL.createObjectURL(file);
 */
export async function decryptAttachment(
  ciphertext: ReadableStream<Uint8Array> | Blob,
  secrets: AttachmentSecrets,
  options: DecryptAttachmentOptions = {},
): Promise<Blob> {
  const { type, onProgress, signal } = options;
  signal?.throwIfAborted();
  const { size } = secrets;
  if (!Number.isSafeInteger(size) || size < ATTACHMENT_HEADER_SIZE_IN_BYTES + ATTACHMENT_TAG_SIZE_IN_BYTES) {
    throw new AttachmentIntegrityError('The attachment size cannot hold an attachment');
  }
  const expectedDigest = decodeSecret(secrets.sha256, 'digest');
  const key = await crypto.subtle.importKey('raw', decodeSecret(secrets.key, 'key'), 'AES-GCM', false, [
    'decrypt',
  ]);
  if (ciphertext instanceof Blob && ciphertext.size !== size) {
    throw new AttachmentIntegrityError(`The attachment is ${ciphertext.size} bytes, not ${size}`);
  }

  const hash = sha256.create();
  const plaintext = new BlobBuilder();
  const header = new Uint8Array(ATTACHMENT_HEADER_SIZE_IN_BYTES);
  let headerFill = 0;
  let layout: Layout | undefined;
  let buffer = new Uint8Array(0);
  let fill = 0;
  let index = 0;
  let received = 0;

  const open = async (current: Layout, sealed: Uint8Array) => {
    const final = index === current.chunks - 1;
    try {
      plaintext.add(
        await crypto.subtle.decrypt(
          {
            name: 'AES-GCM',
            iv: ivOf(current.header, index),
            additionalData: additionalDataOf(current.header, index, final),
          },
          key,
          sealed as Uint8Array<ArrayBuffer>,
        ),
      );
    } catch (error) {
      throw new AttachmentIntegrityError(
        `Attachment chunk ${index} failed authentication: changed, moved, cut short or another key`,
        { cause: error },
      );
    }
    index++;
  };

  for await (const piece of piecesOf(ciphertext, signal)) {
    received += piece.length;
    if (received > size) throw new AttachmentIntegrityError(`The attachment is longer than ${size} bytes`);
    hash.update(piece);
    let offset = 0;
    while (offset < piece.length) {
      if (layout === undefined) {
        const take = Math.min(ATTACHMENT_HEADER_SIZE_IN_BYTES - headerFill, piece.length - offset);
        header.set(piece.subarray(offset, offset + take), headerFill);
        headerFill += take;
        offset += take;
        if (headerFill === ATTACHMENT_HEADER_SIZE_IN_BYTES) {
          layout = layoutOf(header, secrets);
          buffer = new Uint8Array(Math.min(layout.sealedChunkSize, size - ATTACHMENT_HEADER_SIZE_IN_BYTES));
        }
        continue;
      }
      const want = index === layout.chunks - 1 ? layout.lastSealedChunkSize : layout.sealedChunkSize;
      if (fill === 0 && piece.length - offset >= want) {
        // A piece holding a whole chunk is opened where it lies, without a copy.
        await open(layout, piece.subarray(offset, offset + want));
        offset += want;
        continue;
      }
      const take = Math.min(want - fill, piece.length - offset);
      buffer.set(piece.subarray(offset, offset + take), fill);
      fill += take;
      offset += take;
      if (fill === want) {
        await open(layout, buffer.subarray(0, want));
        fill = 0;
      }
    }
    onProgress?.(received, size);
  }

  if (received < size || layout === undefined || index !== layout.chunks)
    throw new AttachmentIntegrityError(`The attachment was cut short at ${received} bytes`);
  const digest = hash.digest();
  if (!digest.every((byte, i) => byte === expectedDigest[i])) {
    throw new AttachmentIntegrityError('The attachment digest does not match its message');
  }
  return plaintext.build(type);
}
