import type { AttachmentObjects, UploadForm } from '../../ports/attachment-objects';

/** Attachment objects as a set of ids, with forms and links that name what they allow; for unit tests. */
export class InMemoryAttachmentObjects implements AttachmentObjects {
  readonly deleted: string[] = [];

  async uploadForm(attachmentId: string, size: number, expiresAt: number): Promise<UploadForm> {
    return {
      url: 'memory://attachments',
      fields: { key: `attachments/${attachmentId}`, size: String(size), expires: String(expiresAt) },
    };
  }

  async downloadUrl(attachmentId: string, expiresAt: number): Promise<string> {
    return `memory://attachments/${attachmentId}?expires=${expiresAt}`;
  }

  async delete(attachmentIds: readonly string[]): Promise<void> {
    this.deleted.push(...attachmentIds);
  }
}
