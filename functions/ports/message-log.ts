import type { MessageKind } from '../../shared/protocol/ids';
import type { BlobRef } from './blob-store';

/** A message as stored: the body is opaque ciphertext the server never reads. */
export interface StoredMessage {
  readonly conversationId: string;
  readonly seq: number;
  readonly messageId: string;
  readonly senderId: string;
  /** Epoch ms, server time. */
  readonly sentAt: number;
  readonly kind: MessageKind;
  readonly refSeq?: number;
  /** Absent once deleted, and when the body is in the blob store (`bodyRef`). */
  readonly body?: Uint8Array;
  /** Where a body too large for the item is (MLS commits only). */
  readonly bodyRef?: BlobRef;
  /** Epoch ms. */
  readonly deletedAt?: number;
  /**
   * Content messages (every kind but `commit`) up to and including this one.
   * Messages stored before it was kept count as content: their seq.
   */
  readonly contentCount: number;
}

export interface AppendRequest {
  readonly conversationId: string;
  readonly messageId: string;
  readonly senderId: string;
  readonly kind: MessageKind;
  readonly refSeq?: number;
  /** The body's bytes; ignored when `bodyRef` is given. */
  readonly body?: Uint8Array;
  /** Where a body too large for the item was put (MLS commits only). */
  readonly bodyRef?: BlobRef;
  readonly now: number;
}

export interface AppendResult {
  readonly seq: number;
  readonly sentAt: number;
  /** True when this sender already stored this `messageId`: the first result is returned. */
  readonly duplicate: boolean;
  /** The stored message's `contentCount`. */
  readonly contentCount: number;
}

/** Whether a message of this kind is content a member reads (commits are MLS plumbing). */
export function isContent(kind: MessageKind): boolean {
  return kind !== 'commit';
}

/** Where a conversation's log stands. */
export interface LogHead {
  readonly conversationId: string;
  /** Highest `seq`; 0 when empty. */
  readonly seq: number;
  /** Epoch ms of the last message, when there is one. */
  readonly lastAt?: number;
  /** Content messages (all but commits) up to `seq`. */
  readonly contentCount: number;
  /** Seq of the last content message, when there is one. */
  readonly contentSeq?: number;
  /** Epoch ms of the last content message. */
  readonly contentAt?: number;
}

export interface HistoryQuery {
  /** Messages with a seq above this, oldest first. */
  readonly after?: number;
  /** Or: messages with a seq below this, newest first in the query, returned oldest first. */
  readonly before?: number;
  readonly limit: number;
}

/**
 * A conversation's ordered log. `seq` starts at 1 and has no gaps; a
 * `(senderId, messageId)` pair is stored at most once.
 */
export interface MessageLog {
  /** Throws `SendInProgressError` while another request is storing the same message id. */
  append(request: AppendRequest): Promise<AppendResult>;
  get(conversationId: string, seq: number): Promise<StoredMessage | undefined>;
  /** A page of the log in `seq` order, and whether more lie beyond it. */
  list(conversationId: string, query: HistoryQuery): Promise<{ messages: StoredMessage[]; more: boolean }>;
  heads(conversationIds: readonly string[]): Promise<Map<string, LogHead>>;
  /** The messages at these places (missing ones left out). */
  getMany(places: ReadonlyArray<{ conversationId: string; seq: number }>): Promise<StoredMessage[]>;
  /**
   * Removes the body of the sender's own message, keeping its place.
   * Returns the tombstone, or undefined when there is no such message of this sender.
   */
  markDeleted(
    conversationId: string,
    seq: number,
    senderId: string,
    now: number,
  ): Promise<StoredMessage | undefined>;
}

/**
 * The message an append stores at `seq`, after a message with
 * `previousContentCount`: the same shape in every log.
 */
export function messageAt(request: AppendRequest, seq: number, previousContentCount: number): StoredMessage {
  return {
    conversationId: request.conversationId,
    seq,
    messageId: request.messageId,
    senderId: request.senderId,
    sentAt: request.now,
    kind: request.kind,
    ...(request.refSeq === undefined ? {} : { refSeq: request.refSeq }),
    ...(request.bodyRef === undefined
      ? { body: request.body ?? new Uint8Array() }
      : { bodyRef: { ...request.bodyRef } }),
    contentCount: previousContentCount + (isContent(request.kind) ? 1 : 0),
  };
}
