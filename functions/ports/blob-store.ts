/** Where bytes too large for a table item are kept, and how large they are. */
export interface BlobRef {
  /** The object's key in the blob store. */
  readonly key: string;
  readonly size: number;
}

/**
 * Bytes as a record stores them: inline when small, else a pointer into the
 * blob store (`MAX_INLINE_BYTES_SIZE_IN_BYTES` decides).
 */
export type StoredBytes = { readonly bytes: Uint8Array } | { readonly ref: BlobRef };

/** Opaque byte objects by key (S3 on AWS). */
export interface BlobStore {
  /** Stores the bytes under the key, replacing what was there. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes under the key; undefined when there are none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Removes the object; a missing one is no error. */
  delete(key: string): Promise<void>;
}

/** The size of stored bytes, wherever they are. */
export function storedSize(stored: StoredBytes): number {
  return 'ref' in stored ? stored.ref.size : stored.bytes.byteLength;
}

/** Length of the base64 text of `size` bytes: what a page of bodies weighs on the wire. */
export function base64Size(size: number): number {
  return 4 * Math.ceil(size / 3);
}

/**
 * The leading items whose sizes fit the budget, always at least one: a page
 * cut here still makes progress however large one item is.
 */
export function takeWithinBudget<T>(items: readonly T[], sizeOf: (item: T) => number, budget: number): T[] {
  const taken: T[] = [];
  let used = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (taken.length > 0 && used + size > budget) break;
    taken.push(item);
    used += size;
  }
  return taken;
}
