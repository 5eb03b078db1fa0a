import { type OutboundFrame, parseOutboundFrame } from '../../../shared/protocol/outbound';

export type ConnectionStatus = 'connecting' | 'online' | 'offline';

const FIRST_RETRY_IN_MS = 500;
const LAST_RETRY_IN_MS = 10_000;

/**
 * The WebSocket to the stage, reconnecting with backoff (0.5 s doubling to 10 s) until closed. The access
 * token travels as a sub-protocol (`parley`, token), since browsers cannot set headers on a WebSocket.
 */
export class ChatSocket {
  private ws: WebSocket | undefined;
  private closed = false;
  private retry = FIRST_RETRY_IN_MS;
  private timer: ReturnType<typeof setTimeout> | undefined;
  status: ConnectionStatus = 'connecting';

  constructor(
    private readonly url: string,
    private readonly token: () => Promise<string>,
    private readonly handlers: {
      frame(frame: OutboundFrame): void;
      /** Called on every (re)connection, after the socket is open. */
      open(): void;
      status(status: ConnectionStatus): void;
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
    return true;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    this.ws?.close();
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
      token = await this.token();
    } catch {
      this.scheduleRetry();
      return;
    }
    const ws = new WebSocket(this.url, ['parley', token]);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = FIRST_RETRY_IN_MS;
      this.setStatus('online');
      this.handlers.open();
    };
    ws.onmessage = (message) => {
      try {
        this.handlers.frame(parseOutboundFrame(String(message.data)));
      } catch {
        // A frame this client does not know: newer server. Ignore it.
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    this.setStatus('offline');
    this.timer = setTimeout(() => void this.connect(), this.retry);
    this.retry = Math.min(this.retry * 2, LAST_RETRY_IN_MS);
  }
}
