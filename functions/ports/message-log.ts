import type { MessageKind } from '../../shared/protocol/ids';

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
  /** Absent once deleted. */
  readonly body?: Uint8Array;
  /** Epoch ms. */
  readonly deletedAt?: number;
}

export interface AppendRequest {
  readonly conversationId: string;
  readonly messageId: string;
  readonly senderId: string;
  readonly kind: MessageKind;
  readonly refSeq?: number;
  readonly body: Uint8Array;
  readonly now: number;
}

export interface AppendResult {
  readonly seq: number;
  readonly sentAt: number;
  /** True when this sender already stored this `messageId`: the first result is returned. */
  readonly duplicate: boolean;
}

/** Where a conversation's log stands. */
export interface LogHead {
  readonly conversationId: string;
  /** Highest `seq`; 0 when empty. */
  readonly seq: number;
  /** Epoch ms of the last message, when there is one. */
  readonly lastAt?: number;
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

/** The message an append stores at `seq`: the same shape in every log. */
export function messageAt(request: AppendRequest, seq: number): StoredMessage {
  return {
    conversationId: request.conversationId,
    seq,
    messageId: request.messageId,
    senderId: request.senderId,
    sentAt: request.now,
    kind: request.kind,
    ...(request.refSeq === undefined ? {} : { refSeq: request.refSeq }),
    body: request.body,
  };
}
