import { IDLE_TIMEOUT_IN_SECONDS } from '../../../shared/protocol/limits';

/**
 * A socket that has sent nothing for this long sends `ping`. API Gateway closes a connection after 10
 * minutes without a frame from the client (pushes to it do not count); half of that leaves room for a
 * hidden tab, whose timers the browser may hold back by a minute or so. An idle socket thus sends 12 pings
 * an hour, each answered by a pong: 24 billed messages, and no function runs for either.
 */
export const PING_AFTER_IDLE_IN_MS = (IDLE_TIMEOUT_IN_SECONDS * 1000) / 2;

/**
 * A ping with no frame at all back within this long means the socket is dead though it looks open (a
 * half-open TCP connection after sleep or a network change): it is dropped and a new one opened.
 */
export const PONG_WAIT_IN_MS = 30_000;

export interface HeartbeatOptions {
  /** @default {@link PING_AFTER_IDLE_IN_MS} */
  readonly pingAfterIdleMs?: number;
  /** @default {@link PONG_WAIT_IN_MS} */
  readonly pongWaitMs?: number;
}

/**
 * When an open socket should ping, and when it should be given up. It pings only after sending nothing
 * for `pingAfterIdleMs`: a socket in use keeps itself open and costs no extra frame.
 *
 * @example
 * const heartbeat = new Heartbeat({ ping: () => ws.send('{"action":"ping"}'), dead: () => reconnect() });
 * heartbeat.sent(); // on open and after every frame sent
 * heartbeat.received(); // on every frame received
 * heartbeat.stop(); // on close
 */
export class Heartbeat {
  private pingTimer: ReturnType<typeof setTimeout> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pingAfterIdleMs: number;
  private readonly pongWaitMs: number;

  constructor(
    private readonly actions: {
      /** Send a `ping` frame (through the socket's own send, which calls `sent()`). */
      ping(): void;
      /** No frame came back after a ping: drop the socket. */
      dead(): void;
    },
    options: HeartbeatOptions = {},
  ) {
    this.pingAfterIdleMs = options.pingAfterIdleMs ?? PING_AFTER_IDLE_IN_MS;
    this.pongWaitMs = options.pongWaitMs ?? PONG_WAIT_IN_MS;
  }

  /** The socket opened or sent a frame: the idle time starts again. */
  sent(): void {
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => this.ping(), this.pingAfterIdleMs);
  }

  /** Any frame came in: the socket is alive. */
  received(): void {
    clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }

  stop(): void {
    clearTimeout(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = undefined;
    this.pongTimer = undefined;
  }

  private ping(): void {
    this.pongTimer ??= setTimeout(() => {
      this.stop();
      this.actions.dead();
    }, this.pongWaitMs);
    this.actions.ping();
  }
}
