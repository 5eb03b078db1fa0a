import type { BlobStore } from '../../ports/blob-store';

/** Blobs kept in memory, with the semantics of `S3BlobStore`. */
export class InMemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Uint8Array>();

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.blobs.set(key, new Uint8Array(bytes));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const bytes = this.blobs.get(key);
    return bytes && new Uint8Array(bytes);
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }

  /** Every stored key, sorted; for assertions. */
  keys(): string[] {
    return [...this.blobs.keys()].sort();
  }
}
