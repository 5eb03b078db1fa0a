import type { ApiClient } from '../../../shared/client/api-client';
import type { ChatEvent } from '../../../shared/e2ee/e2ee-client';
import { type ReceiptFrame, receiptFrame } from '../../../shared/protocol/inbound';
import type { ReceiptPush } from '../../../shared/protocol/outbound';
import { type Marks, raiseMarks } from './receipts';
import type { ConversationView, ModelStore } from './store';

/** At most one read mark a second per conversation goes to the server. */
const RECEIPT_INTERVAL_IN_MS = 1_000;
/** How long a delivered mark waits for a read mark to go with it (the screen shows a message within a frame or two). */
const DELIVERED_JOINS_READ_WITHIN_IN_MS = 250;

/**
 * My delivered and read marks: shown at once, sent to the server at most once a second per conversation
 * (the latest marks), and only when they moved past what the server has from me. Receipts count against
 * the user's `write` allowance, which registering the device at the next start also draws on. Others'
 * marks, as pushed, are kept here too.
 */
export class ReceiptSender {
  /** Conversations whose marks were sent in the last second ('recent'), or are to be sent after it ('due'). */
  private readonly pacing = new Map<string, 'recent' | 'due'>();
  /** Conversation → the marks the server has from this browser (or was last sent), so none is sent twice. */
  private readonly sentMarks = new Map<string, Marks>();

  constructor(
    private readonly store: ModelStore,
    /** Where marks go when the socket is not open. */
    private readonly api: Pick<ApiClient, 'updateReceipts'>,
    /** Sends a frame over the open socket; false when there is none. */
    private readonly sendFrame: (frame: ReceiptFrame) => boolean,
  ) {}

  /**
   * Marks everything up to `upTo` (by default the newest) read, here at once and on the server at most once a second per
   * conversation (the latest marks): a busy conversation would otherwise spend the user's `write` allowance,
   * which device registration at the next start also draws on.
   */
  async markRead(conversationId: string, upTo?: number): Promise<void> {
    const conversation = this.store.find(conversationId);
    const messages = this.store.state.messages[conversationId] ?? [];
    // Up to the newest entry: edits and reactions are shown in place, past the newest message.
    const newest = Math.max(conversation?.lastSeq ?? 0, messages.at(-1)?.seq ?? 0);
    const last = upTo === undefined ? newest : Math.min(upTo, newest);
    if (!conversation || last === 0 || (conversation.receipts[this.store.myId]?.read ?? 0) >= last) return;
    // What is still below what the person saw stays unread.
    conversation.unread = this.store.unreadAfter(conversationId, last, newest);
    this.raiseMine(conversation, { delivered: last, read: last });
    this.store.changed();
    await this.queue(conversationId);
  }

  /** What reached this browser is delivered, read or not (a message it cannot decrypt reached it too). */
  async reached(events: readonly ChatEvent[]): Promise<void> {
    const reached = new Map<string, number>();
    for (const event of events) {
      if ((event.kind !== 'message' && event.kind !== 'undecryptable') || event.senderId === this.store.myId)
        continue;
      reached.set(event.conversationId, Math.max(reached.get(event.conversationId) ?? 0, event.seq));
    }
    await Promise.all([...reached].map(([conversationId, seq]) => this.markDelivered(conversationId, seq)));
  }

  /**
   * Marks what reached this browser delivered, so the sender's tick turns from Sent to Delivered before the
   * person opens the chat; sent with the same once-a-second pacing as read marks.
   */
  private async markDelivered(conversationId: string, seq: number): Promise<void> {
    const conversation = this.store.find(conversationId);
    if (!conversation || (conversation.receipts[this.store.myId]?.delivered ?? 0) >= seq) return;
    this.raiseMine(conversation, { delivered: seq, read: 0 });
    // A moment's wait: when the chat is open, the read mark follows at once and one receipt carries both.
    setTimeout(() => void this.queue(conversationId), DELIVERED_JOINS_READ_WITHIN_IN_MS);
  }

  /** A `receipt` push: a member's marks, which only move forward; mine also set my unread count. */
  heard(frame: ReceiptPush): void {
    const conversation = this.store.find(frame.conversationId);
    if (!conversation) return;
    // Pushes may arrive out of order or twice: a mark only moves forward.
    const marks = raiseMarks(conversation.receipts[frame.userId], frame);
    conversation.receipts[frame.userId] = marks;
    if (frame.userId === this.store.myId) {
      conversation.unread = Math.max(0, conversation.lastSeq - marks.read);
      this.heardMine(frame);
    }
    this.store.changed();
  }

  /** Takes the marks the server reported as mine: already there, so never sent again from here. */
  heardMine(marks: { conversationId: string; delivered: number; read: number }): void {
    const conversation = this.store.find(marks.conversationId);
    if (conversation) this.raiseMine(conversation, marks);
    this.sentMarks.set(marks.conversationId, raiseMarks(this.sentMarks.get(marks.conversationId), marks));
  }

  private raiseMine(conversation: ConversationView, marks: Marks): void {
    const me = this.store.myId;
    conversation.receipts[me] = raiseMarks(conversation.receipts[me], marks);
  }

  /** Sends my marks now, or when the second since the last sending is over. */
  private async queue(conversationId: string): Promise<void> {
    const pending = this.pacing.get(conversationId);
    if (pending === 'due') return;
    if (pending === 'recent') {
      // One was sent less than a second ago: the next goes when that second is over, with the latest marks.
      this.pacing.set(conversationId, 'due');
      return;
    }
    await this.send(conversationId);
  }

  /** Sends my marks for a conversation when they moved past what the server has, then keeps the next back for a second. */
  private async send(conversationId: string): Promise<void> {
    const mine = this.store.find(conversationId)?.receipts[this.store.myId];
    const sent = this.sentMarks.get(conversationId);
    if (!mine || (sent && mine.delivered <= sent.delivered && mine.read <= sent.read)) return;
    this.pacing.set(conversationId, 'recent');
    setTimeout(() => {
      const due = this.pacing.get(conversationId) === 'due';
      this.pacing.delete(conversationId);
      if (due) void this.send(conversationId);
    }, RECEIPT_INTERVAL_IN_MS);
    const marks = {
      delivered: mine.delivered,
      ...(mine.read > (sent?.read ?? 0) ? { read: mine.read } : {}),
    };
    this.sentMarks.set(
      conversationId,
      raiseMarks(sent, { delivered: marks.delivered, read: marks.read ?? 0 }),
    );
    if (!this.sendFrame(receiptFrame({ conversationId, ...marks }))) {
      await this.api
        .updateReceipts({ params: { conversationId }, body: marks })
        .catch(() => this.sentMarks.set(conversationId, sent ?? { delivered: 0, read: 0 }));
    }
  }
}
