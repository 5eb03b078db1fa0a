import type { ChatEvent } from '../../../shared/e2ee/e2ee-client';
import { type TypingFrame, typingFrame } from '../../../shared/protocol/inbound';
import type { TypingPush } from '../../../shared/protocol/outbound';
import type { ModelStore } from './store';

const TYPING_SHOWN_FOR_IN_MS = 6_000;
/** A `start` goes out at most this often per conversation while the person keeps typing. */
const TYPING_SENT_EVERY_IN_MS = 3_000;

/** Who is typing where (shown for a few seconds after their last `start`), and telling others I am. */
export class Typing {
  private readonly sent = new Map<string, number>();

  constructor(
    private readonly store: ModelStore,
    /** Sends a frame over the open socket, if there is one: typing is not worth a request. */
    private readonly sendFrame: (frame: TypingFrame) => boolean,
  ) {}

  /** Tells the other members I am typing, at most every 3 s. */
  send(conversationId: string, state: 'start' | 'stop'): void {
    const last = this.sent.get(conversationId) ?? 0;
    if (state === 'start' && Date.now() - last < TYPING_SENT_EVERY_IN_MS) return;
    this.sent.set(conversationId, state === 'start' ? Date.now() : 0);
    this.sendFrame(typingFrame({ conversationId, state }));
  }

  /** A `typing` push. */
  heard(frame: TypingPush): void {
    const { state } = this.store;
    const typing = state.typing[frame.conversationId] ?? {};
    state.typing[frame.conversationId] = typing;
    if (frame.state === 'start') {
      typing[frame.userId] = Date.now() + TYPING_SHOWN_FOR_IN_MS;
      // A lost or overtaken `stop` must not leave it showing: it ends on its own, redraw or not.
      setTimeout(() => this.expire(), TYPING_SHOWN_FOR_IN_MS + 50);
    } else delete typing[frame.userId];
    this.store.changed();
  }

  /** Their message is what they were typing: whatever typing frame is still on its way. The caller redraws. */
  heardMessages(events: readonly ChatEvent[]): void {
    for (const event of events) {
      if (event.kind === 'message') delete this.store.state.typing[event.conversationId]?.[event.senderId];
    }
  }

  /** Drops typing indicators past their time. */
  private expire(): void {
    const now = Date.now();
    let expired = false;
    for (const typing of Object.values(this.store.state.typing)) {
      for (const [userId, until] of Object.entries(typing)) {
        if (until > now) continue;
        delete typing[userId];
        expired = true;
      }
    }
    if (expired) this.store.changed();
  }
}
