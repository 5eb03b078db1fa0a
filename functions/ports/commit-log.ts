/**
 * Which commit an MLS epoch belongs to. Written before the conversation's
 * epoch moves, so a retry of the same commit finds its first result and a
 * different commit for the same epoch is refused.
 */
export interface CommitRecord {
  readonly conversationId: string;
  /** The epoch the commit was made at. */
  readonly epoch: number;
  readonly senderId: string;
  /** SHA-256 of the commit bytes, base64: enough to tell a retry from a rival. */
  readonly hash: string;
  /** Epoch ms. */
  readonly claimedAt: number;
  /** Where the commit sits in the message log, once it is there. */
  readonly seq?: number;
  /** Epoch ms the commit was stored in the log. */
  readonly sentAt?: number;
}

/** Each conversation's MLS epoch, moved forward by exactly one commit per epoch. */
export interface CommitLog {
  /** The epoch the next commit must be made at; 0 before any (strongly consistent). */
  currentEpoch(conversationId: string): Promise<number>;
  /**
   * Stores the record unless its epoch already has one; returns what is
   * stored, with `created` only for the call that stored it.
   */
  claim(record: CommitRecord): Promise<CommitRecord & { readonly created?: true }>;
  /** Moves the conversation from `epoch` to `epoch + 1`; false when it is not at `epoch`. */
  advance(conversationId: string, epoch: number): Promise<boolean>;
  /** Notes where the epoch's commit was stored in the log. */
  complete(conversationId: string, epoch: number, place: { seq: number; sentAt: number }): Promise<void>;
}
