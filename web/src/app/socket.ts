import { pingFrame } from '../../../shared/protocol/inbound';
import { isGatewayFailure, type OutboundFrame, parseOutboundFrame } from '../../../shared/protocol/outbound';
import { Heartbeat } from './heartbeat';

export type ConnectionStatus = 'connecting' | 'online' | 'offline';

/** The frames that answer a request frame carrying a `requestId`. */
export type ReplyFrame = Extract<OutboundFrame, { type: 'ack' | 'ok' | 'error' }>;

/** A request got no answer: the socket was not open, closed, or stayed silent past the wait. */
export class NoReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoReplyError';
  }
}

interface Waiting {
  resolve(reply: ReplyFrame): void;
  reject(error: NoReplyError): void;
  timer: ReturnType<typeof setTimeout>;
}

const FIRST_RETRY_IN_MS = 500;
const LAST_RETRY_IN_MS = 10_000;

/**
 * The WebSocket to the stage, reconnecting with backoff (0.5 s doubling to 10 s) until closed. The access
 * token travels as a sub-protocol (`parley`, token), since browsers cannot set headers on a WebSocket.
 *
 * A browser does not see why a handshake failed: a refused token (401) and a network failure look alike.
 * So after a handshake that never opened, the next attempt asks for a freshly refreshed token: a token
 * refused because its session ended (the user signed out everywhere) then fails to refresh, and the
 * token provider ends the session instead of this socket retrying forever.
 *
 * A socket that has sent nothing for 5 minutes pings, so API Gateway's idle timeout does not close it while
 * it only receives; one that gets nothing back is dropped and opened again (see `Heartbeat`).
 */
export class ChatSocket {
  private ws: WebSocket | undefined;
  private closed = false;
  private retry = FIRST_RETRY_IN_MS;
  /** The last handshake failed: the next one takes a freshly refreshed token. */
  private refused = false;
  /** Handshakes that failed in a row. */
  private failedHandshakes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly waiting = new Map<string, Waiting>();
  private readonly heartbeat = new Heartbeat({
    ping: () => this.send(pingFrame()),
    dead: () => {
      if (this.ws) this.dropped(this.ws);
    },
  });
  status: ConnectionStatus = 'connecting';

  constructor(
    private readonly url: string,
    private readonly token: (options: { fresh: boolean }) => Promise<string>,
    private readonly handlers: {
      frame(frame: OutboundFrame): void;
      /** Called on every (re)connection, after the socket is open. */
      open(): void;
      status(status: ConnectionStatus): void;
      /**
       * Handshakes keep failing (twice in a row, a fresh token the second time): called after each such
       * failure, so the caller can ask the server why (a browser cannot read the handshake's status).
       */
      handshakesFailing?(): void;
    },
  ) {
    void this.connect();
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
  }

  /** Sends a frame; `false` when offline (the caller keeps it for later). */
  send(frame: unknown): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    this.heartbeat.sent();
    return true;
  }

  /**
   * Sends a request frame and resolves with the server's answer to it (matched by `requestId`). Rejects
   * with `NoReplyError` at once when the socket is not open, or when it closes or stays silent for
   * `timeoutMs` first: the request may or may not have been done, so only a repeatable one is sent so.
   */
  request(frame: { readonly requestId: string }, timeoutMs: number): Promise<ReplyFrame> {
    return new Promise((resolve, reject) => {
      if (!this.send(frame)) {
        reject(new NoReplyError('The socket is not open'));
        return;
      }
      const timer = setTimeout(() => {
        this.waiting.delete(frame.requestId);
        reject(new NoReplyError(`No answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(frame.requestId, { resolve, reject, timer });
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.heartbeat.stop();
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    this.ws?.close();
    this.abandonRequests();
  }

  /** Requests in flight get no answer once their socket is gone, or a function died serving one of them. */
  private abandonRequests(reason = 'The socket closed before the answer came'): void {
    for (const [requestId, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(new NoReplyError(reason));
      this.waiting.delete(requestId);
    }
  }

  /** The browser lost the network: a socket can linger half-open, so drop it and say so at once. */
  private readonly onOffline = () => {
    this.ws?.close();
  };

  private readonly onOnline = () => {
    if (this.status === 'offline') {
      clearTimeout(this.timer);
      void this.connect();
    }
  };

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    this.handlers.status(status);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.setStatus('connecting');
    let token: string;
    try {
      token = await this.token({ fresh: this.refused });
    } catch {
      this.scheduleRetry();
      return;
    }
    if (this.closed) return;
    let opened = false;
    const ws = new WebSocket(this.url, ['parley', token]);
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
      this.refused = false;
      this.failedHandshakes = 0;
      this.retry = FIRST_RETRY_IN_MS;
      this.heartbeat.sent();
      this.setStatus('online');
      this.handlers.open();
    };
    ws.onmessage = (message) => {
      this.heartbeat.received();
      let frame: OutboundFrame;
      try {
        frame = parseOutboundFrame(String(message.data));
      } catch {
        // API Gateway's own: a function died before answering, and which request it served is not said.
        // Only repeatable requests are sent through `request`, so the ones in flight fail now, not later.
        if (isGatewayFailure(String(message.data)))
          this.abandonRequests('The server failed before answering');
        // Otherwise a frame this client does not know: newer server. Ignore it.
        return;
      }
      // API Gateway's answer to a ping: proof of life, already noted.
      if (frame.type === 'pong') return;
      const waiting = isReply(frame) ? this.waiting.get(frame.requestId ?? '') : undefined;
      if (waiting && isReply(frame)) {
        clearTimeout(waiting.timer);
        this.waiting.delete(frame.requestId ?? '');
        waiting.resolve(frame);
        return;
      }
      this.handlers.frame(frame);
    };
    ws.onclose = () => {
      // A handshake that never opened: the next attempt asks for a freshly refreshed token.
      if (this.ws === ws && !opened) {
        this.refused = true;
        this.failedHandshakes += 1;
        if (this.failedHandshakes >= 2) this.handlers.handshakesFailing?.();
      }
      this.dropped(ws);
    };
  }

  /** The socket closed, or is given up: its requests get no answer, and a new one is opened. */
  private dropped(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.ws = undefined;
    this.heartbeat.stop();
    // A socket given up may still be half open: close it without waiting for its close event.
    ws.close();
    this.abandonRequests();
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    this.setStatus('offline');
    this.timer = setTimeout(() => void this.connect(), this.retry);
    this.retry = Math.min(this.retry * 2, LAST_RETRY_IN_MS);
  }
}

function isReply(frame: OutboundFrame): frame is ReplyFrame {
  return frame.type === 'ack' || frame.type === 'ok' || frame.type === 'error';
}
