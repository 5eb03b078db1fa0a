import {
  type AppendRequest,
  type AppendResult,
  type HistoryQuery,
  isContent,
  type LogHead,
  type MessageLog,
  messageAt,
  type StoredMessage,
} from '../../ports/message-log';

/**
 * Conversation logs kept in memory, with the semantics of `DynamoDbMessageLog`:
 * `seq` starts at 1 per conversation with no gaps, and a `(senderId, messageId)`
 * pair is stored once per conversation; a repeat returns the first result.
 *
 * `append` never awaits between reading and writing, so concurrent calls on one
 * event loop cannot interleave: it never throws `SendInProgressError`.
 */
export class InMemoryMessageLog implements MessageLog {
  private readonly logs = new Map<string, StoredMessage[]>();
  private readonly seqBySend = new Map<string, number>();

  async append(request: AppendRequest): Promise<AppendResult> {
    const log = this.logOf(request.conversationId);
    const sendKey = JSON.stringify([request.conversationId, request.senderId, request.messageId]);
    const firstSeq = this.seqBySend.get(sendKey);
    if (firstSeq !== undefined) {
      const first = log[firstSeq - 1] as StoredMessage;
      return { seq: first.seq, sentAt: first.sentAt, duplicate: true, contentCount: first.contentCount };
    }
    const seq = log.length + 1;
    const stored = messageAt(request, seq, log.at(-1)?.contentCount ?? 0);
    // A copy of the body: the caller may reuse its buffer.
    log.push(stored.body ? { ...stored, body: new Uint8Array(stored.body) } : stored);
    this.seqBySend.set(sendKey, seq);
    return { seq, sentAt: request.now, duplicate: false, contentCount: stored.contentCount };
  }

  async get(conversationId: string, seq: number): Promise<StoredMessage | undefined> {
    const message = this.logs.get(conversationId)?.[seq - 1];
    return message && { ...message };
  }

  async list(
    conversationId: string,
    query: HistoryQuery,
  ): Promise<{ messages: StoredMessage[]; more: boolean }> {
    const log = this.logs.get(conversationId) ?? [];
    const from = query.after === undefined ? 1 : query.after + 1;
    const to = Math.min(log.length, query.before === undefined ? log.length : query.before - 1);
    if (from > to || query.limit < 1) return { messages: [], more: false };
    const range = log.slice(from - 1, to);
    // Without `after`, the page is the newest of the range.
    const page = query.after === undefined ? range.slice(-query.limit) : range.slice(0, query.limit);
    return { messages: page.map((message) => ({ ...message })), more: range.length > query.limit };
  }

  async heads(conversationIds: readonly string[]): Promise<Map<string, LogHead>> {
    return new Map(
      conversationIds.map((conversationId) => {
        const log = this.logs.get(conversationId) ?? [];
        const last = log.at(-1);
        const content = log.findLast((message) => isContent(message.kind));
        const head: LogHead = last
          ? {
              conversationId,
              seq: last.seq,
              lastAt: last.sentAt,
              contentCount: last.contentCount,
              ...(content ? { contentSeq: content.seq, contentAt: content.sentAt } : {}),
            }
          : { conversationId, seq: 0, contentCount: 0 };
        return [conversationId, head];
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
    if (!log || !message || message.senderId !== senderId) return undefined;
    const { body: _removed, bodyRef: _gone, ...kept } = message;
    const tombstone: StoredMessage = { ...kept, deletedAt: message.deletedAt ?? now };
    log[seq - 1] = tombstone;
    return { ...tombstone };
  }

  /** Every stored message of a conversation, in `seq` order; for assertions. */
  messagesOf(conversationId: string): readonly StoredMessage[] {
    return [...(this.logs.get(conversationId) ?? [])];
  }

  private logOf(conversationId: string): StoredMessage[] {
    let log = this.logs.get(conversationId);
    if (!log) {
      log = [];
      this.logs.set(conversationId, log);
    }
    return log;
  }
}
