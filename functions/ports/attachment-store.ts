/**
 * An attachment the server knows of: an opaque object in a conversation, who uploaded it, and how
 * large it is. What it is (name, type, key) is in the ciphertext of the message that carries it.
 */
export interface AttachmentRecord {
  readonly attachmentId: string;
  readonly conversationId: string;
  readonly uploaderId: string;
  /** The object's size in bytes, as its upload slot pinned it. */
  readonly size: number;
  /** Epoch ms: when its upload slot was issued. */
  readonly createdAt: number;
  /** The seq of the message that carries it; absent while none does. */
  readonly seq?: number;
  /** The uploader's id of the message that carries it: one message only, whichever seq it ends at. */
  readonly messageId?: string;
  /** Epoch ms: the `now` of the request that tied it to `seq` (which places the message soon after, or never). */
  readonly attachedAt?: number;
  /** Epoch ms: when the message that carried it was deleted (its object is on its way out). */
  readonly discardedAt?: number;
}

/** An attachment whose object is due to be deleted: never carried by a message, or its message deleted. */
export interface DueAttachment {
  readonly attachmentId: string;
  readonly conversationId: string;
  /** Epoch ms. */
  readonly dueAt: number;
}

/**
 * The attachments of conversations, and the work of deleting the objects no message keeps: an
 * upload is due for deletion a day after its slot was issued unless a message carries it by then,
 * and again when the message that carries it is deleted.
 */
export interface AttachmentStore {
  /** Records a new upload, due for deletion `unreferencedForMs` on unless attached. */
  reserve(record: AttachmentRecord, unreferencedForMs: number): Promise<void>;
  /** These attachments of the conversation, as recorded, in the order asked (unknown ones left out). */
  getMany(conversationId: string, attachmentIds: readonly string[]): Promise<AttachmentRecord[]>;
  /**
   * Ties the uploader's attachments to their message, so they are kept while it lives. Repeatable: the
   * same message taking another seq (its first one was filled as skipped) moves them to it. One
   * carried by another message, taken by the sweep or discarded is left as it is.
   */
  attach(
    conversationId: string,
    attachmentIds: readonly string[],
    uploaderId: string,
    message: { readonly seq: number; readonly messageId: string; readonly at: number },
  ): Promise<void>;
  /** The message at `seq` was deleted: its attachments are no longer served and are due for deletion now. */
  discard(conversationId: string, seq: number, attachmentIds: readonly string[], now: number): Promise<void>;
  /** Attachments due for deletion at `now`, oldest first, at most `limit`. */
  due(now: number, limit: number): Promise<DueAttachment[]>;
  /**
   * Takes a due attachment for deletion: true when it may go (no message carries it, or its message was
   * deleted), after which it can no longer be attached; false when a message now carries it, and the
   * due entry is dropped. `orphanedAt`: the seq its record names holds no message of its own (the
   * request that tied it died before placing the message): taken even so, unless it moved meanwhile.
   */
  takeForDeletion(
    attachment: DueAttachment,
    now: number,
    options?: { orphanedAt?: number },
  ): Promise<boolean>;
  /** Forgets attachments whose objects are gone, due entries and all. */
  forget(attachments: readonly DueAttachment[]): Promise<void>;
}
