import type { BackupObjects, UploadForm } from '../../ports/attachment-objects';

/** Backup chunk objects as a set of keys, with forms and links that name what they allow; for unit tests. */
export class InMemoryBackupObjects implements BackupObjects {
  /** Keys deleted (`{userId}/{chunkId}`), in order. */
  readonly deleted: string[] = [];
  /** Objects stored, by key: what a posted form would have put. */
  private readonly stored = new Map<string, number>();

  async uploadForm(userId: string, chunkId: string, size: number, expiresAt: number): Promise<UploadForm> {
    return {
      url: 'memory://backups',
      fields: { key: `backups/${userId}/${chunkId}`, size: String(size), expires: String(expiresAt) },
    };
  }

  async downloadUrl(userId: string, chunkId: string, expiresAt: number): Promise<string> {
    return `memory://backups/${userId}/${chunkId}?expires=${expiresAt}`;
  }

  async sizeOf(userId: string, chunkId: string): Promise<number | undefined> {
    return this.stored.get(`${userId}/${chunkId}`);
  }

  async delete(userId: string, chunkIds: readonly string[]): Promise<void> {
    for (const chunkId of chunkIds) {
      this.deleted.push(`${userId}/${chunkId}`);
      this.stored.delete(`${userId}/${chunkId}`);
    }
  }

  /** Stores an object of this size, as a client posting its form would; for arranging a test. */
  upload(userId: string, chunkId: string, size: number): void {
    this.stored.set(`${userId}/${chunkId}`, size);
  }

  /** Whether the object is stored; for assertions. */
  has(userId: string, chunkId: string): boolean {
    return this.stored.has(`${userId}/${chunkId}`);
  }
}
