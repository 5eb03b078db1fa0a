import type { AvatarObjects, UploadForm } from '../../ports/attachment-objects';

/** Attachment (or avatar) objects as a set of ids, with forms and links that name what they allow; for unit tests. */
export class InMemoryAttachmentObjects implements AvatarObjects {
  readonly deleted: string[] = [];
  /** Objects stored, by id: what a posted form would have put. */
  private readonly stored = new Map<string, number>();

  constructor(private readonly prefix = 'attachments') {}

  async uploadForm(attachmentId: string, size: number, expiresAt: number): Promise<UploadForm> {
    return {
      url: `memory://${this.prefix}`,
      fields: { key: `${this.prefix}/${attachmentId}`, size: String(size), expires: String(expiresAt) },
    };
  }

  async downloadUrl(attachmentId: string, expiresAt: number): Promise<string> {
    return `memory://${this.prefix}/${attachmentId}?expires=${expiresAt}`;
  }

  async delete(attachmentIds: readonly string[]): Promise<void> {
    this.deleted.push(...attachmentIds);
    for (const id of attachmentIds) this.stored.delete(id);
  }

  async sizeOf(attachmentId: string): Promise<number | undefined> {
    return this.stored.get(attachmentId);
  }

  /** Stores an object of this size, as a browser posting its form would; for arranging a test. */
  upload(attachmentId: string, size: number): void {
    this.stored.set(attachmentId, size);
  }
}
