import { ConversationBlockedError } from '../../errors';
import {
  type AppendOptions,
  type AppendRequest,
  type AppendResult,
  type HistoryQuery,
  isContent,
  type LogHead,
  type MessageLog,
  messageAt,
  pageOf,
  planPage,
  type StoredMessage,
} from '../../ports/message-log';

interface Head {
  seq: number;
  contentCount: number;
  lastAt?: number;
  contentSeq?: number;
  contentAt?: number;
}

/**
 * Conversation logs kept in memory, with the semantics of `DynamoDbMessageLog`:
 * `seq` starts at 1 per conversation with no gaps, and a `(senderId, messageId)`
 * pair is stored once per conversation; a repeat returns the first result.
 *
 * Once its checks pass, `append` awaits nothing between taking a seq and placing
 * the message but the caller's `beforePlace`, so it leaves no seq unplaced unless
 * that fails, and never throws `SendInProgressError`; `abandon` makes such a seq,
 * as a writer that died would.
 */
export class InMemoryMessageLog implements MessageLog {
  /** Per conversation, the message at each seq (index seq - 1); a hole is a seq taken and not placed. */
  private readonly logs = new Map<string, Array<StoredMessage | undefined>>();
  private readonly headsById = new Map<string, Head>();
  private readonly seqBySend = new Map<string, number>();
  private readonly blockedBy = new Map<string, Set<string>>();

  async append(request: AppendRequest, options: AppendOptions = {}): Promise<AppendResult> {
    await options.checks;
    const log = this.logOf(request.conversationId);
    const sendKey = JSON.stringify([request.conversationId, request.senderId, request.messageId]);
    const firstSeq = this.seqBySend.get(sendKey);
    const first = firstSeq === undefined ? undefined : log[firstSeq - 1];
    if (first) {
      return { seq: first.seq, sentAt: first.sentAt, duplicate: true, contentCount: first.contentCount };
    }
    if (request.kind !== 'commit' && (this.blockedBy.get(request.conversationId)?.size ?? 0) > 0) {
      throw new ConversationBlockedError();
    }
    const { seq, contentCount, previousTakenAt } = this.take(
      request.conversationId,
      request.kind,
      request.now,
    );
    // A hand-off that fails leaves the seq taken and empty, as a writer that died would.
    await options.beforePlace?.({ seq, sentAt: request.now, duplicate: false, contentCount });
    const stored = messageAt(request, seq, contentCount, previousTakenAt);
    // A copy of the body: the caller may reuse its buffer.
    log[seq - 1] = stored.body ? { ...stored, body: new Uint8Array(stored.body) } : stored;
    this.seqBySend.set(sendKey, seq);
    return { seq, sentAt: request.now, duplicate: false, contentCount };
  }

  async get(conversationId: string, seq: number): Promise<StoredMessage | undefined> {
    const message = this.logs.get(conversationId)?.[seq - 1];
    return message && { ...message };
  }

  async list(
    conversationId: string,
    query: HistoryQuery,
    now: number,
  ): Promise<{ messages: StoredMessage[]; more: boolean }> {
    const log = this.logs.get(conversationId) ?? [];
    const from = query.after === undefined ? 1 : query.after + 1;
    const to = Math.min(log.length, query.before === undefined ? log.length : query.before - 1);
    if (from > to || query.limit < 1) return { messages: [], more: false };
    const placed = log.slice(from - 1, to).filter((message) => message !== undefined);
    // Without `after`, the page is the newest of the range.
    const forward = query.after !== undefined;
    const found = forward ? placed.slice(0, query.limit) : placed.slice(-query.limit);
    const plan = planPage(conversationId, found, now, forward ? from : undefined);
    for (const skipped of plan.fill) log[skipped.seq - 1] = skipped;
    const page = pageOf(plan, query.limit, forward, placed.length > query.limit);
    return { messages: page.messages.map((message) => ({ ...message })), more: page.more };
  }

  async heads(conversationIds: readonly string[]): Promise<Map<string, LogHead>> {
    return new Map(
      conversationIds.map((conversationId) => {
        const head = this.headsById.get(conversationId);
        const view: LogHead = head
          ? { conversationId, ...head }
          : { conversationId, seq: 0, contentCount: 0 };
        const closed = (this.blockedBy.get(conversationId)?.size ?? 0) > 0;
        return [conversationId, closed ? { ...view, closed: true as const } : view];
      }),
    );
  }

  async getMany(places: ReadonlyArray<{ conversationId: string; seq: number }>): Promise<StoredMessage[]> {
    const unique = new Map(places.map((place) => [`${place.conversationId}\u0000${place.seq}`, place]));
    return [...unique.values()].flatMap((place) => {
      const message = this.logs.get(place.conversationId)?.[place.seq - 1];
      return message ? [{ ...message }] : [];
    });
  }

  async markDeleted(
    conversationId: string,
    seq: number,
    senderId: string,
    now: number,
  ): Promise<StoredMessage | undefined> {
    const log = this.logs.get(conversationId);
    const message = log?.[seq - 1];
    if (!log || !message || message.senderId !== senderId || !isContent(message.kind)) return undefined;
    const { body: _removed, bodyRef: _gone, ...kept } = message;
    const tombstone: StoredMessage = { ...kept, deletedAt: message.deletedAt ?? now };
    log[seq - 1] = tombstone;
    return { ...tombstone };
  }

  async setClosed(conversationId: string, by: string, closed: boolean): Promise<void> {
    const reasons = this.blockedBy.get(conversationId) ?? new Set<string>();
    if (closed) reasons.add(by);
    else reasons.delete(by);
    this.blockedBy.set(conversationId, reasons);
  }

  /** Takes the next seq and never places it, as a writer that died in between would; returns the seq. */
  abandon(conversationId: string, now: number, kind: AppendRequest['kind'] = 'message'): number {
    const { seq } = this.take(conversationId, kind, now);
    this.logOf(conversationId)[seq - 1] = undefined;
    return seq;
  }

  /** Every placed message of a conversation, in `seq` order; for assertions. */
  messagesOf(conversationId: string): readonly StoredMessage[] {
    return (this.logs.get(conversationId) ?? []).filter((message) => message !== undefined);
  }

  /** The next seq and the content count with it, as the table's counter hands them out. */
  private take(conversationId: string, kind: AppendRequest['kind'], now: number) {
    const head = this.headsById.get(conversationId) ?? { seq: 0, contentCount: 0 };
    const previousTakenAt = head.lastAt;
    head.seq += 1;
    head.lastAt = now;
    if (isContent(kind)) {
      head.contentCount += 1;
      head.contentSeq = head.seq;
      head.contentAt = now;
    }
    this.headsById.set(conversationId, head);
    const log = this.logOf(conversationId);
    while (log.length < head.seq) log.push(undefined);
    return { seq: head.seq, contentCount: head.contentCount, previousTakenAt };
  }

  private logOf(conversationId: string): Array<StoredMessage | undefined> {
    let log = this.logs.get(conversationId);
    if (!log) {
      log = [];
      this.logs.set(conversationId, log);
    }
    return log;
  }
}
