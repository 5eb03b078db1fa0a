import { type ApiClient, ApiError } from '../../../shared/client/api-client';
import type { WebConfig } from '../../../shared/client/web-config';
import type { PostMessage } from '../../../shared/e2ee/e2ee-client';
import { HTTP_STATUS_BY_CODE } from '../../../shared/protocol/errors';
import { type ReceiptFrame, sendFrame, type TypingFrame } from '../../../shared/protocol/inbound';
import { NEW_CONNECTION_PUSHED_WITHIN_IN_MS } from '../../../shared/protocol/limits';
import type { OutboundFrame } from '../../../shared/protocol/outbound';
import { type Session, SessionEndedError } from './session';
import { ChatSocket, NoReplyError } from './socket';
import type { ModelStore } from './store';

/** A send's answer over the socket: past the send function's 10 s timeout, the message goes over HTTP. */
const SOCKET_SEND_ANSWER_WITHIN_MS = 12_000;

export interface ConnectionEvents {
  /** Every frame the server sends; see `push-router.ts`. */
  frame(frame: OutboundFrame): void;
  /** On every (re)connection, once the socket is open. */
  opened(): void;
  /**
   * A moment after each (re)connection: pushes reach a new socket only after a moment, so what came in
   * between is to be read then.
   */
  settled(): void;
  /** The server ended this session: the token cannot be refreshed. */
  sessionEnded(): void;
}

/**
 * This browser's one WebSocket, naming its device so that what it posts over HTTP is not pushed back to
 * it; its status shows in the store. Messages go over it and fall back to HTTP.
 */
export class Connection {
  private socket: ChatSocket | undefined;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly config: WebConfig,
    private readonly session: Session,
    private readonly api: ApiClient,
    private readonly store: ModelStore,
  ) {}

  open(events: ConnectionEvents): void {
    const url = new URL(this.config.webSocketUrl);
    url.searchParams.set('deviceId', this.store.state.deviceId);
    this.socket = new ChatSocket(url.toString(), (options) => this.tokenFor(options, events), {
      frame: (frame) => events.frame(frame),
      open: () => {
        events.opened();
        clearTimeout(this.settleTimer);
        this.settleTimer = setTimeout(() => events.settled(), NEW_CONNECTION_PUSHED_WITHIN_IN_MS + 500);
      },
      status: (status) => {
        this.store.state.status = status;
        if (status === 'online') this.store.state.socketLimit = undefined;
        this.store.changed();
      },
      handshakesFailing: () => void this.checkSocketLimit(),
    });
  }

  /**
   * Whether the user's other tabs and devices hold every socket a user may open: then this one waits for
   * one of them to close, and the screen says so instead of only "Reconnecting".
   */
  private async checkSocketLimit(): Promise<void> {
    try {
      const { open, max } = await this.api.getMySockets();
      const limit = open >= max ? max : undefined;
      if (this.store.state.status === 'online' || this.store.state.socketLimit === limit) return;
      this.store.state.socketLimit = limit;
      this.store.changed();
    } catch {
      // Offline, or the server is down: the banner already says the connection is being retried.
    }
  }

  /** The socket's token; a session the server ended stops the socket and tells the screens. */
  private async tokenFor(options: { fresh: boolean }, events: ConnectionEvents): Promise<string> {
    try {
      return await this.session.accessToken(options);
    } catch (error) {
      if (error instanceof SessionEndedError) events.sessionEnded();
      throw error;
    }
  }

  /** Sends a frame that needs no answer; `false` when the socket is not open. */
  send(frame: ReceiptFrame | TypingFrame): boolean {
    return this.socket?.send(frame) ?? false;
  }

  /**
   * Posts a message over the open socket: the server answers with an `ack`, and pushes no copy back to
   * this tab. When the socket is closed, closes or stays silent, the same message goes over HTTP (the same
   * `messageId`, so it is never stored twice), naming this device so its socket gets no copy either.
   */
  readonly post: PostMessage = async (conversationId, body) => {
    const requestId = `send-${body.messageId}`.slice(0, 64);
    try {
      const reply = await this.requireSocket().request(
        { ...sendFrame({ conversationId, ...body }), requestId },
        SOCKET_SEND_ANSWER_WITHIN_MS,
      );
      if (reply.type === 'ack') {
        return {
          conversationId: reply.conversationId,
          messageId: reply.messageId,
          seq: reply.seq,
          sentAt: reply.sentAt,
        };
      }
      if (reply.type === 'error') {
        throw new ApiError({
          routeId: 'postMessage',
          status: HTTP_STATUS_BY_CODE[reply.code],
          code: reply.code,
          detail: reply.message,
          requestId: reply.requestId,
          retryAfterSeconds: reply.retryAfterSeconds,
        });
      }
    } catch (error) {
      if (!(error instanceof NoReplyError)) throw error;
    }
    return this.api.postMessage({
      params: { conversationId },
      body: { ...body, deviceId: this.store.state.deviceId },
    });
  };

  private requireSocket(): ChatSocket {
    if (!this.socket) throw new NoReplyError('Not connected yet');
    return this.socket;
  }

  close(): void {
    this.socket?.close();
  }
}
