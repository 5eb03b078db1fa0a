import type { AppendRequest, AppendResult, MessageLog, StoredMessage } from '../../ports/message-log';

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
      return { seq: first.seq, sentAt: first.sentAt, duplicate: true };
    }
    const seq = log.length + 1;
    log.push({
      conversationId: request.conversationId,
      seq,
      messageId: request.messageId,
      senderId: request.senderId,
      sentAt: request.now,
      // A copy: the caller may reuse its buffer.
      body: new Uint8Array(request.body),
    });
    this.seqBySend.set(sendKey, seq);
    return { seq, sentAt: request.now, duplicate: false };
  }

  async get(conversationId: string, seq: number): Promise<StoredMessage | undefined> {
    return this.logs.get(conversationId)?.[seq - 1];
  }

  /** Every stored message of a conversation, in `seq` order; for assertions. */
  list(conversationId: string): readonly StoredMessage[] {
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
