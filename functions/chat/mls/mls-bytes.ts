import { createHash } from 'node:crypto';
import { MAX_INLINE_BYTES_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import { ParleyError } from '../../errors';
import type { BlobStore, StoredBytes } from '../../ports/blob-store';

/** SHA-256 of the bytes. */
export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** What `storeBytes` would put in the blob store of these bytes: none when they stay inline. */
export function blobSizeOf(bytes: Uint8Array | undefined): number {
  return bytes && bytes.byteLength > MAX_INLINE_BYTES_SIZE_IN_BYTES ? bytes.byteLength : 0;
}

/**
 * Keeps small bytes inline and puts larger ones in the blob store under `key`
 * (again on a retry: same key, same bytes).
 */
export async function storeBytes(blobs: BlobStore, key: string, bytes: Uint8Array): Promise<StoredBytes> {
  if (blobSizeOf(bytes) === 0) return { bytes };
  await blobs.put(key, bytes);
  return { ref: { key, size: bytes.byteLength } };
}

/** The bytes, read from the blob store when they are there; undefined when the object is gone. */
export async function loadBytes(blobs: BlobStore, stored: StoredBytes): Promise<Uint8Array | undefined> {
  return 'ref' in stored ? blobs.get(stored.ref.key) : stored.bytes;
}

/** Like `loadBytes`, for bytes that must exist (the log's commits are kept for good). */
export async function requireBytes(blobs: BlobStore, stored: StoredBytes): Promise<Uint8Array> {
  const bytes = await loadBytes(blobs, stored);
  if (!bytes) throw new MissingBlobError('ref' in stored ? stored.ref.key : '');
  return bytes;
}

/** Deletes the objects among `ours` that `kept` does not point to: what a lost or changed claim leaves. */
export async function discardUnused(
  blobs: BlobStore,
  ours: ReadonlyArray<StoredBytes | undefined>,
  kept: ReadonlyArray<StoredBytes | undefined>,
): Promise<void> {
  const keptKeys = new Set(kept.flatMap((stored) => (stored && 'ref' in stored ? [stored.ref.key] : [])));
  const orphans = ours.flatMap((stored) =>
    stored && 'ref' in stored && !keptKeys.has(stored.ref.key) ? [stored.ref.key] : [],
  );
  await Promise.all(orphans.map((key) => blobs.delete(key)));
}

/** A record points at an object the blob store does not have. */
export class MissingBlobError extends ParleyError {
  constructor(key: string, options?: ErrorOptions) {
    super(`Stored bytes are missing from the blob store (${key})`, options);
    this.name = 'MissingBlobError';
  }
}
