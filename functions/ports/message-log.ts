import { type MessageKind, SKIPPED_SENDER_ID, skippedMessageId } from '../../shared/protocol/ids';
import type { BlobRef } from './blob-store';

/**
 * No request that writes to a log runs longer than this after its `now`: the functions that
 * append time out at 10 s (an infra test holds every writer's timeout under it). A send
 * record older than this belongs to a request that died; a seq taken this long before is
 * either placed or never will be.
 */
export const WRITER_DEADLINE_IN_MS = 15_000;

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
  /** The attachments the message carries (a message or a reply), kept to delete them with it. */
  readonly attachmentIds?: readonly string[];
  /** Epoch ms. */
  readonly deletedAt?: number;
  /**
   * Content messages (every kind but `commit`) up to and including this one.
   * Messages stored before it was kept count as content: their seq.
   */
  readonly contentCount: number;
  /**
   * The `now` of the request that took the seq before this one (epoch ms): how a reader
   * knows whether a missing seq below this message may still be placed. Absent on messages
   * stored before it was kept, and on the first message.
   */
  readonly previousTakenAt?: number;
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
  /** The attachments the message carries. */
  readonly attachmentIds?: readonly string[];
  readonly now: number;
}

export interface AppendOptions {
  /**
   * Checks that must pass before the message takes a seq (membership, the sender's allowance).
   * The log does what it can meanwhile (claiming the message id) and undoes it when they fail,
   * so a send costs no extra round trip for them.
   */
  readonly checks?: Promise<unknown>;
  /**
   * Hands the message on (to fan-out) once its seq is taken and before it is placed, so a message
   * placed is a message handed on, whatever happens to the request after. Runs again for each seq
   * the append takes (one filled by a reader meanwhile is abandoned: whoever it was handed to finds
   * it `skipped`); never for a repeat of a stored message id, which was handed on before it was
   * placed. A rejection stores nothing: the seq stays empty until a reader fills it.
   */
  readonly beforePlace?: (taken: AppendResult) => Promise<void>;
}

export interface AppendResult {
  readonly seq: number;
  readonly sentAt: number;
  /** True when this sender already stored this `messageId`: the first result is returned. */
  readonly duplicate: boolean;
  /** The stored message's `contentCount`. */
  readonly contentCount: number;
}

/**
 * Whether a message of this kind is content a member reads: commits are MLS plumbing, and a logged event
 * (a member added, a new name) is a line about the group, not a message: neither counts as unread.
 */
export function isContent(kind: MessageKind): boolean {
  return kind !== 'commit' && kind !== 'skipped' && kind !== 'event';
}

/**
 * Where a conversation's log stands: the last seq taken, which may still be on its way
 * (a reader finds it once it is placed).
 */
export interface LogHead {
  readonly conversationId: string;
  /** Highest `seq` taken; 0 when empty. */
  readonly seq: number;
  /** Epoch ms of the last message, when there is one. */
  readonly lastAt?: number;
  /** Content messages (all but commits) up to `seq`. */
  readonly contentCount: number;
  /** Seq of the last content message, when there is one. */
  readonly contentSeq?: number;
  /** Epoch ms of the last content message. */
  readonly contentAt?: number;
  /** A direct conversation closed to content: either user blocks the other, or they are no longer friends. */
  readonly closed?: true;
}

/** The reason {@link MessageLog.setClosed} records while the two users of a direct conversation are not friends. */
export const FRIENDSHIP_ENDED = 'friendship-ended';

/** The reason {@link MessageLog.setClosed} records when one of the two users of a direct conversation deleted their account. */
export const ACCOUNT_DELETED = 'account-deleted';

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
 *
 * A seq is taken (without a race: senders never compete for a place) and then
 * placed, so for a moment a seq may be taken and not placed yet. Readers never
 * show what lies beyond such a seq; once its writer cannot still be running
 * ({@link WRITER_DEADLINE_IN_MS}), the first reader to meet it fills it with a
 * `skipped` entry, so no reader waits for it for long.
 */
export interface MessageLog {
  /**
   * Stores the message at the next seq. Throws `SendInProgressError` while another request
   * is storing the same message id, `ConversationBlockedError` for content in a conversation
   * one of whose users blocked the other, and whatever `options.checks` rejects with.
   */
  append(request: AppendRequest, options?: AppendOptions): Promise<AppendResult>;
  get(conversationId: string, seq: number): Promise<StoredMessage | undefined>;
  /**
   * A page of the log in `seq` order, and whether more lie beyond it. A page never reaches past
   * a seq that is taken and may still be placed.
   */
  list(
    conversationId: string,
    query: HistoryQuery,
    now: number,
  ): Promise<{ messages: StoredMessage[]; more: boolean }>;
  heads(conversationIds: readonly string[]): Promise<Map<string, LogHead>>;
  /** The messages at these places (missing ones left out). */
  getMany(places: ReadonlyArray<{ conversationId: string; seq: number }>): Promise<StoredMessage[]>;
  /**
   * Removes the body of the sender's own message, keeping its place. Only content: a commit is the
   * group's history and keeps its body.
   * Returns the tombstone, or undefined when there is no such content message of this sender.
   */
  markDeleted(
    conversationId: string,
    seq: number,
    senderId: string,
    now: number,
  ): Promise<StoredMessage | undefined>;
  /**
   * Closes (or reopens) this direct conversation for one reason: `by` is the user who blocks the
   * other, {@link FRIENDSHIP_ENDED} while the two are not friends, or {@link ACCOUNT_DELETED} for good. While any reason holds,
   * content appends are refused (commits still pass, so the MLS group can follow device
   * changes), and the head says it is `closed`. Repeats are no-ops; reopening a conversation that
   * was never stored stores nothing.
   */
  setClosed(conversationId: string, by: string, closed: boolean): Promise<void>;
}

/**
 * The message an append stores at `seq`, whose content count (its own included) is
 * `contentCount`: the same shape in every log.
 */
export function messageAt(
  request: AppendRequest,
  seq: number,
  contentCount: number,
  previousTakenAt?: number,
): StoredMessage {
  return {
    conversationId: request.conversationId,
    seq,
    messageId: request.messageId,
    senderId: request.senderId,
    sentAt: request.now,
    kind: request.kind,
    ...(request.refSeq === undefined ? {} : { refSeq: request.refSeq }),
    ...(request.attachmentIds === undefined ? {} : { attachmentIds: [...request.attachmentIds] }),
    ...(request.bodyRef === undefined
      ? { body: request.body ?? new Uint8Array() }
      : { bodyRef: { ...request.bodyRef } }),
    contentCount,
    ...(previousTakenAt === undefined ? {} : { previousTakenAt }),
  };
}

/** The entry that fills a seq whose send never finished. */
export function skippedAt(
  conversationId: string,
  seq: number,
  contentCount: number,
  now: number,
): StoredMessage {
  return {
    conversationId,
    seq,
    messageId: skippedMessageId(seq),
    senderId: SKIPPED_SENDER_ID,
    sentAt: now,
    kind: 'skipped',
    contentCount,
  };
}

/** What a reader does with the messages it found for a page. */
export interface PagePlan {
  /** The page, in `seq` order, with `fill`'s entries in their places. */
  readonly messages: StoredMessage[];
  /** `skipped` entries to write first: seqs whose writer cannot still be running. */
  readonly fill: StoredMessage[];
  /** Whether the page stopped at a seq that may still be placed. */
  readonly waiting: boolean;
}

/**
 * Turns the messages a reader found (in `seq` order, within the page's range) into the page:
 * a missing seq below a found message is either still being written (the page stops before it)
 * or abandoned (it is filled). `from` is the first seq a forward page wants, so a missing seq
 * at its start counts as missing too.
 *
 * A missing seq h below message m was taken before m - 1 was, and the writer of m - 1 took it within
 * {@link WRITER_DEADLINE_IN_MS} of its `now` (`previousTakenAt` on m; m's own time on older items).
 * So h's writer had started by then, and runs at most that long again: twice the deadline after
 * `previousTakenAt`, h is placed or never will be.
 */
export function planPage(
  conversationId: string,
  found: readonly StoredMessage[],
  now: number,
  from?: number,
): PagePlan {
  const messages: StoredMessage[] = [];
  const fill: StoredMessage[] = [];
  let expected = from ?? found[0]?.seq;
  for (const message of found) {
    if (expected !== undefined && message.seq > expected) {
      const takenBy = message.previousTakenAt ?? message.sentAt;
      if (now - takenBy <= 2 * WRITER_DEADLINE_IN_MS) return { messages, fill, waiting: true };
      // The count a missing seq had is known only where a run of them ends: exact for one, and never
      // decreasing along a run.
      const countBefore = isContent(message.kind) ? message.contentCount - 1 : message.contentCount;
      for (let seq = expected; seq < message.seq; seq += 1) {
        const skipped = skippedAt(conversationId, seq, countBefore, now);
        fill.push(skipped);
        messages.push(skipped);
      }
    }
    messages.push(message);
    expected = message.seq + 1;
  }
  return { messages, fill, waiting: false };
}

/**
 * The page a plan gives, at most `limit` long. A forward page has more beyond it when more was found
 * than fits and it did not stop at a seq still on its way; a backward page has more below it when more
 * was found (a stop only leaves out newer messages).
 */
export function pageOf(
  plan: PagePlan,
  limit: number,
  forward: boolean,
  foundMore: boolean,
): { messages: StoredMessage[]; more: boolean } {
  if (!forward) return { messages: plan.messages, more: foundMore };
  return {
    messages: plan.messages.slice(0, limit),
    more: !plan.waiting && (foundMore || plan.messages.length > limit),
  };
}
