/** A message as stored: the body is opaque ciphertext the server never reads. */
export interface StoredMessage {
  readonly conversationId: string;
  readonly seq: number;
  readonly messageId: string;
  readonly senderId: string;
  /** Epoch ms, server time. */
  readonly sentAt: number;
  readonly body: Uint8Array;
}

export interface AppendRequest {
  readonly conversationId: string;
  readonly messageId: string;
  readonly senderId: string;
  readonly body: Uint8Array;
  readonly now: number;
}

export interface AppendResult {
  readonly seq: number;
  readonly sentAt: number;
  /** True when this sender already stored this `messageId`: the first result is returned. */
  readonly duplicate: boolean;
}

/**
 * A conversation's ordered log. `seq` starts at 1 and has no gaps; a
 * `(senderId, messageId)` pair is stored at most once.
 */
export interface MessageLog {
  /** Throws `SendInProgressError` while another request is storing the same message id. */
  append(request: AppendRequest): Promise<AppendResult>;
  get(conversationId: string, seq: number): Promise<StoredMessage | undefined>;
}
