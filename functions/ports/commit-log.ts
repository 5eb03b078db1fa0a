import type { StoredBytes } from './blob-store';

/** A device a Welcome is for. */
export interface WelcomeRecipient {
  readonly userId: string;
  readonly deviceId: string;
}

/**
 * Which commit an MLS epoch belongs to, with everything needed to finish it.
 * Written before the conversation's epoch moves, so a retry of the same
 * commit finds its first result, a different commit for the same epoch is
 * refused, and anyone can finish a commit whose request died half-way.
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
  /** The commit (inline, or in the blob store). Absent on records older than takeover. */
  readonly commit?: StoredBytes;
  /** The Welcome for `welcomeRecipients`, stored once for all of them. */
  readonly welcome?: StoredBytes;
  readonly welcomeRecipients?: readonly WelcomeRecipient[];
  /** The member list version the commit brings the group in line with. */
  readonly membersVersion?: number;
  /** Where the commit sits in the message log, once it is there: the record is complete. */
  readonly seq?: number;
  /** Epoch ms the commit was stored in the log. */
  readonly sentAt?: number;
}

/** Where a conversation's MLS group stands on the server. */
export interface EpochState {
  /** The epoch the next commit must be made at; 0 before any. */
  readonly epoch: number;
  /** The highest members version an accepted commit brought the group in line with; 0 before any. */
  readonly committedMembersVersion: number;
}

/** Each conversation's MLS epoch, moved forward by exactly one commit per epoch. */
export interface CommitLog {
  /** The epoch the next commit must be made at; 0 before any (strongly consistent). */
  currentEpoch(conversationId: string): Promise<number>;
  /** The epoch and the committed members version (strongly consistent). */
  state(conversationId: string): Promise<EpochState>;
  /** The record of an epoch, when it was claimed (strongly consistent). */
  get(conversationId: string, epoch: number): Promise<CommitRecord | undefined>;
  /**
   * Stores the record unless its epoch already has one; returns what is
   * stored, with `created` only for the call that stored it.
   */
  claim(record: CommitRecord): Promise<CommitRecord & { readonly created?: true }>;
  /**
   * Moves the conversation from `epoch` to `epoch + 1`, raising the committed
   * members version to `membersVersion` in the same write (never lowering it);
   * false when it is not at `epoch`.
   */
  advance(conversationId: string, epoch: number, membersVersion?: number): Promise<boolean>;
  /** Notes where the epoch's commit was stored in the log: the record is complete. */
  complete(conversationId: string, epoch: number, place: { seq: number; sentAt: number }): Promise<void>;
}
