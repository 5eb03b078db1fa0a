import { type ApiClient, ApiError } from '../../../shared/client/api-client';
import type { AttachmentDescriptor } from '../../../shared/e2ee/attachment-payload';
import { ErrorCode } from '../../../shared/protocol/errors';
import { downloadAttachment } from './attachments';
import type { ModelStore } from './store';

/** Attachments downloaded and decrypted for this tab, each once, however many screens ask for it. */
export class Downloads {
  private readonly running = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly store: ModelStore,
    private readonly api: Pick<ApiClient, 'getAttachment'>,
  ) {}

  /**
   * Downloads and decrypts an attachment once, keeping an object URL of it for this tab; progress and a
   * failure show in `transfers` and `fileErrors`. Resolves to the URL, or undefined when it failed.
   */
  async fetch(conversationId: string, attachment: AttachmentDescriptor): Promise<string | undefined> {
    const known = this.store.state.files[attachment.id];
    if (known) return known;
    let running = this.running.get(attachment.id);
    if (!running) {
      delete this.store.state.fileErrors[attachment.id];
      this.store.progress(attachment.id, { done: 0, total: attachment.size });
      running = downloadAttachment(this.api, conversationId, attachment, {
        onProgress: (done, total) => this.store.progress(attachment.id, { done, total }),
      })
        .then((blob) => {
          const url = URL.createObjectURL(blob);
          this.store.state.files = { ...this.store.state.files, [attachment.id]: url };
          return url;
        })
        .catch((error: unknown) => {
          this.store.state.fileErrors = {
            ...this.store.state.fileErrors,
            [attachment.id]:
              error instanceof ApiError && error.code === ErrorCode.NotFound
                ? 'This file was deleted.'
                : 'The file could not be downloaded. Try again.',
          };
          console.warn('An attachment could not be downloaded', { attachmentId: attachment.id, error });
          return undefined;
        })
        .finally(() => {
          this.running.delete(attachment.id);
          delete this.store.state.transfers[attachment.id];
          this.store.changed();
        });
      this.running.set(attachment.id, running);
    }
    return running;
  }
}
