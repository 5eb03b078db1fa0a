import type { BlobRef, StoredBytes } from '../../ports/blob-store';
import type { Item } from './batch';

/**
 * Bytes on an item: `{name}` (binary) when inline, else `{name}Ref`, a map
 * `{ key, size }` pointing into the blob bucket.
 */
export function storedBytesAttributes(name: string, stored: StoredBytes): Item {
  return 'ref' in stored
    ? { [`${name}Ref`]: { key: stored.ref.key, size: stored.ref.size } }
    : { [name]: stored.bytes };
}

/** The bytes `storedBytesAttributes` wrote, or undefined when the item has neither attribute. */
export function storedBytesOf(item: Item, name: string): StoredBytes | undefined {
  const ref = blobRefOf(item[`${name}Ref`]);
  if (ref) return { ref };
  const bytes = item[name];
  return bytes instanceof Uint8Array ? { bytes } : undefined;
}

/** A `{ key, size }` map as a blob reference. */
export function blobRefOf(value: unknown): BlobRef | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { key, size } = value as { key?: unknown; size?: unknown };
  return typeof key === 'string' ? { key, size: Number(size) } : undefined;
}
