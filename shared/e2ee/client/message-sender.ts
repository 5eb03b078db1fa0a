import { toBase64 } from '../base64';
import { NotInGroupError } from '../errors';
import {
  type ClientContext,
  type MessageAck,
  type SendableMessageKind,
  WELCOME_WAIT_FIRST_IN_MS,
  WELCOME_WAIT_LAST_IN_MS,
} from './context';
import type { ConversationStates } from './conversation-state';
import type { LogReader } from './log-reader';
import type { Reconciliation } from './reconciliation';

/** What `E2eeClient.send` takes besides the plaintext. */
export interface SendOptions {
  messageId?: string;
  kind?: SendableMessageKind;
  refSeq?: number;
  /** The attachments the plaintext names (uploaded already), so the server keeps them with the message. */
  attachmentIds?: readonly string[];
}

/**
 * Encrypts and posts this device's messages, once the group is in step with the server, and reads each
 * back into the log's order.
 */
export class MessageSender {
  constructor(
    private readonly ctx: ClientContext,
    private readonly states: ConversationStates,
    private readonly reader: LogReader,
    private readonly reconciliation: Reconciliation,
  ) {}

  /** Sends one message; for a task already serialized on the conversation. */
  async sendNow(conversationId: string, plaintext: Uint8Array, options: SendOptions): Promise<MessageAck> {
    // The Welcome of a member's commit may be on its way: give it a moment before giving up.
    for (
      let wait = WELCOME_WAIT_FIRST_IN_MS;
      !(await this.reconciliation.inStep(conversationId)) &&
      (await this.reconciliation.reconcileNow(conversationId)) === 'waiting';
      wait *= 2
    ) {
      if (wait > WELCOME_WAIT_LAST_IN_MS) {
        throw new NotInGroupError('This device is not in the conversation’s group yet');
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const state = await this.states.get(conversationId);
    const session = state.session;
    if (session === undefined) throw new NotInGroupError('This device is not in the conversation’s group');
    const messageId = options.messageId ?? crypto.randomUUID();
    const { session: next, message } = await session.encrypt(plaintext);
    state.session = next;
    state.own.set(messageId, toBase64(plaintext));
    await this.states.save(conversationId, state);
    const body = toBase64(message);
    const ack = await this.ctx.post(conversationId, {
      messageId,
      body,
      ...(options.kind === undefined ? {} : { kind: options.kind }),
      ...(options.refSeq === undefined ? {} : { refSeq: options.refSeq }),
      ...(options.attachmentIds === undefined ? {} : { attachmentIds: [...options.attachmentIds] }),
    });
    // Next in the log: read it back now (from what was sent) rather than wait for a push or a sync.
    if (ack.seq === state.cursor.seq + 1) {
      await this.reader.process(conversationId, state, [
        {
          conversationId,
          seq: ack.seq,
          messageId,
          senderId: this.ctx.self.userId,
          sentAt: ack.sentAt,
          kind: options.kind ?? 'message',
          ...(options.refSeq === undefined ? {} : { refSeq: options.refSeq }),
          body,
        },
      ]);
    } else if (ack.seq > state.cursor.seq) {
      // Others' messages came first and their pushes are not here yet; no push of this one will come to
      // the connection that sent it (or to this device): read up to it from the log.
      state.announced = Math.max(state.announced ?? 0, ack.seq);
      await this.reader.syncNow(conversationId);
    }
    return ack;
  }
}
