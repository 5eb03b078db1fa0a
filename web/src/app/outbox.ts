import { type ApiClient, ApiError } from '../../../shared/client/api-client';
import { type EncryptedAttachment, encryptAttachment } from '../../../shared/e2ee/attachment-cipher';
import {
  type AttachmentDescriptor,
  encodeMessagePayload,
  type MessagePayload,
  type ProfileKey,
} from '../../../shared/e2ee/attachment-payload';
import type { E2eeClient } from '../../../shared/e2ee/e2ee-client';
import { AttachmentTooLargeError } from '../../../shared/e2ee/errors';
import type { StateStore } from '../../../shared/e2ee/state-store';
import { ErrorCode } from '../../../shared/protocol/errors';
import { MAX_ATTACHMENT_FILE_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import type { BlobShelf } from '../lib/idb-store';
import {
  type FileFacts,
  factsOf,
  MAX_FILE_SIZE_IN_WORDS,
  sizeInWords,
  UploadCancelledError,
  uploadAttachment,
} from './attachments';
import { describeError, PayloadRefusedError, UploadLostError, whyNotSent } from './describe-error';
import type { ModelStore, OutboxItem, PendingAttachment } from './store';

/** The outbox's key in this browser's encrypted store. */
const OUTBOX = 'outbox';
/** How soon a message whose send is still in progress elsewhere is asked about again. */
const SEND_IN_PROGRESS_RETRY_IN_MS = 2_000;
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = <T>(bytes: Uint8Array): T => JSON.parse(new TextDecoder().decode(bytes)) as T;

/** What the message says of an uploaded file. */
function descriptorOf(attachment: PendingAttachment): AttachmentDescriptor {
  const { facts, key, sha256, size, chunkSize } = attachment;
  return { id: attachment.attachmentId as string, key, sha256, size, chunkSize, ...facts };
}

/** Which messages carry the key to my profile picture: the first one sent in each conversation after it changed. */
export interface PictureAnnouncer {
  announcement(conversationId: string): ProfileKey | undefined;
  announced(conversationId: string, avatarId: string): Promise<void>;
}

/**
 * Messages on their way, in the order written: kept in this browser's encrypted store (a file's ciphertext
 * on the blob shelf) so a reload loses none, sent one at a time while the connection is up. A message the
 * server refuses stays, marked with why, for the person to retry or delete; a retry keeps its message id,
 * so the server stores it once however often it is tried.
 */
export class Outbox {
  /** Aborts the running upload of each message id. */
  private readonly uploads = new Map<string, AbortController>();
  /** Message id → an object URL of the file this tab picked for it, until its attachment id is known. */
  private readonly localFiles = new Map<string, string>();
  private flushing: Promise<void> | undefined;
  private flushLater: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly store: ModelStore,
    private readonly vault: StateStore,
    private readonly shelf: BlobShelf,
    /** Asks for upload slots. */
    private readonly api: Pick<ApiClient, 'createUpload'>,
    private readonly e2ee: Pick<E2eeClient, 'send'>,
    /** Adds my picture's key to the messages that should carry it. */
    private readonly pictures?: PictureAnnouncer,
  ) {}

  /** Reads what was left unsent when this browser last closed; the caller tells the screens. */
  async load(): Promise<void> {
    const outbox = await this.vault.get(OUTBOX);
    this.store.state.outbox = outbox ? decode<OutboxItem[]>(outbox) : [];
  }

  private async save(): Promise<void> {
    await this.vault.put(OUTBOX, encode(this.store.state.outbox));
  }

  /** Adds a message to the end, keeps it, and sends it now when the connection is up. */
  private async enqueue(item: OutboxItem): Promise<void> {
    this.store.state.outbox = [...this.store.state.outbox, item];
    await this.save();
    this.store.changed();
    if (this.store.state.status === 'online') await this.flush();
  }

  /** Sends (or, offline, queues) a message; edits, replies and reactions name the `seq` they refer to. */
  async send(
    conversationId: string,
    text: string,
    options: { kind?: 'reply' | 'edit' | 'reaction'; refSeq?: number } = {},
  ): Promise<void> {
    await this.enqueue({ conversationId, messageId: crypto.randomUUID(), text, ...options });
  }

  /**
   * Sends a file as a message of its own, its caption beside it: checked against the size limit before
   * anything else, encrypted here with a fresh key, put in the outbox (the ciphertext on the blob shelf,
   * so a reload keeps it), then uploaded and sent as soon as the connection allows. A voice note names its
   * length, as its recording measured it.
   */
  async sendFile(
    conversationId: string,
    file: File,
    caption: string,
    options: { voice?: boolean; durationMs?: number; kind?: 'reply'; refSeq?: number } = {},
  ): Promise<void> {
    if (file.size > MAX_ATTACHMENT_FILE_SIZE_IN_BYTES) {
      throw new AttachmentTooLargeError(
        `${file.name || 'This file'} is ${sizeInWords(file.size)}: files up to ${MAX_FILE_SIZE_IN_WORDS} can be sent`,
      );
    }
    const messageId = crypto.randomUUID();
    const localId = `outbox/${messageId}`;
    const { state } = this.store;
    state.preparing = { ...state.preparing, [messageId]: { conversationId, name: file.name } };
    this.store.progress(messageId, { done: 0, total: file.size });
    let encrypted: EncryptedAttachment;
    let facts: FileFacts;
    try {
      [facts, encrypted] = await Promise.all([
        factsOf(file, options),
        encryptAttachment(file, {
          onProgress: (done, total) => this.store.progress(messageId, { done, total }),
        }),
      ]);
      await this.shelf.put(localId, encrypted.ciphertext);
    } finally {
      delete this.store.state.transfers[messageId];
      const { [messageId]: _done, ...others } = this.store.state.preparing;
      this.store.state.preparing = others;
      this.store.changed();
    }
    // The sender sees the file from what it picked, at once and without downloading it back.
    const local = URL.createObjectURL(file);
    this.localFiles.set(messageId, local);
    const { key, sha256, size, chunkSize } = encrypted;
    await this.enqueue({
      conversationId,
      messageId,
      text: caption,
      ...(options.kind ? { kind: options.kind, refSeq: options.refSeq } : {}),
      attachment: { localId, facts, key, sha256, size, chunkSize },
    });
  }

  /** The local preview of a queued file, while it waits or uploads. */
  localFileOf(messageId: string): string | undefined {
    return this.localFiles.get(messageId);
  }

  /** Takes a message out of the outbox, unsent: a queued text, a failed one, a file (its upload stopped). */
  async remove(messageId: string): Promise<void> {
    this.uploads.get(messageId)?.abort();
    const item = this.store.state.outbox.find((o) => o.messageId === messageId);
    this.store.state.outbox = this.store.state.outbox.filter((o) => o.messageId !== messageId);
    delete this.store.state.transfers[messageId];
    await this.save();
    if (item?.attachment) await this.shelf.delete(item.attachment.localId);
    this.store.changed();
  }

  /** Tries a failed message again, under its first message id: the server stores it once, however often tried. */
  async retry(messageId: string): Promise<void> {
    this.store.state.outbox = this.store.state.outbox.map((o) => {
      if (o.messageId !== messageId) return o;
      const { failed: _failed, ...again } = o;
      return again;
    });
    await this.save();
    this.store.changed();
    if (this.store.state.status === 'online') await this.flush();
  }

  /** Uploads a queued file's ciphertext once; the outbox then remembers its attachment id. */
  private async uploadQueued(
    item: OutboxItem & { attachment: PendingAttachment },
  ): Promise<PendingAttachment> {
    if (item.attachment.attachmentId) return item.attachment;
    const ciphertext = await this.shelf.get(item.attachment.localId);
    if (!ciphertext) throw new UploadLostError();
    const controller = new AbortController();
    this.uploads.set(item.messageId, controller);
    try {
      const attachmentId = await uploadAttachment(
        this.api,
        item.conversationId,
        { ciphertext, size: item.attachment.size },
        {
          signal: controller.signal,
          onProgress: (done, total) => this.store.progress(item.messageId, { done, total }),
        },
      );
      const uploaded = { ...item.attachment, attachmentId };
      this.store.state.outbox = this.store.state.outbox.map((o) =>
        o.messageId === item.messageId ? { ...o, attachment: uploaded } : o,
      );
      await this.save();
      return uploaded;
    } finally {
      this.uploads.delete(item.messageId);
      delete this.store.state.transfers[item.messageId];
    }
  }

  private nextToSend(): OutboxItem | undefined {
    return this.store.state.outbox.find((item) => item.failed === undefined);
  }

  /** Sends what waits, one at a time, in order; one sending at a time however often it is called. */
  async flush(): Promise<void> {
    this.flushing ??= (async () => {
      // A failed item waits for the person (retry or remove); the ones after it go on.
      for (let item = this.nextToSend(); item; item = this.nextToSend()) {
        try {
          const attachment = item.attachment
            ? await this.uploadQueued(item as OutboxItem & { attachment: PendingAttachment })
            : undefined;
          const profile = this.pictures?.announcement(item.conversationId);
          const payload: MessagePayload = {
            ...(item.kind === 'reaction'
              ? { emoji: item.text }
              : {
                  ...(item.text ? { text: item.text } : {}),
                  ...(attachment ? { attachments: [descriptorOf(attachment)] } : {}),
                }),
            ...(profile ? { profile } : {}),
          };
          const plaintext = encodeMessagePayload(payload);
          if (!plaintext) throw new PayloadRefusedError(attachment !== undefined);
          await this.e2ee.send(item.conversationId, plaintext, {
            messageId: item.messageId,
            ...(item.kind ? { kind: item.kind } : {}),
            ...(item.refSeq !== undefined ? { refSeq: item.refSeq } : {}),
            ...(attachment?.attachmentId ? { attachmentIds: [attachment.attachmentId] } : {}),
          });
          if (profile) await this.pictures?.announced(item.conversationId, profile.avatarId);
          if (attachment?.attachmentId) {
            const local = this.localFiles.get(item.messageId);
            if (local)
              this.store.state.files = { ...this.store.state.files, [attachment.attachmentId]: local };
            await this.shelf.delete(attachment.localId);
          }
        } catch (error) {
          if (error instanceof UploadCancelledError) continue;
          // Another request with this message id (an earlier try that went quiet) is still storing it: its
          // answer comes to whichever asks next, so ask again shortly rather than give the message up.
          if (error instanceof ApiError && error.code === ErrorCode.SendInProgress) {
            clearTimeout(this.flushLater);
            const wait = (error.retryAfterSeconds ?? 0) * 1000 || SEND_IN_PROGRESS_RETRY_IN_MS;
            this.flushLater = setTimeout(() => void this.flush(), wait);
            return;
          }
          // What this browser cannot send as it is (too long, its file gone) waits for the person, too.
          const refusedHere = error instanceof PayloadRefusedError || error instanceof UploadLostError;
          const retryable =
            !refusedHere &&
            (!(error instanceof ApiError) || error.status >= 500 || error.code === ErrorCode.RateLimited);
          if (retryable) {
            this.store.notify(describeError(error));
            return;
          }
          if (item.kind === 'reaction') {
            // A tap, not words: nothing to keep, and a tap again tries again.
            this.store.notify(describeError(error));
          } else {
            // Refused (blocked, over an allowance, too long): the message stays where it was written, marked
            // with why, its text and file kept, until the person retries, edits or deletes it.
            const failed = whyNotSent(error, this.store.find(item.conversationId));
            const id = item.messageId;
            this.store.state.outbox = this.store.state.outbox.map((o) =>
              o.messageId === id ? { ...o, failed } : o,
            );
            await this.save();
            this.store.changed();
            continue;
          }
        }
        const sent = item.messageId;
        this.store.state.outbox = this.store.state.outbox.filter((o) => o.messageId !== sent);
        await this.save();
        this.store.changed();
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }
}
