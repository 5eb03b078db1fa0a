import WebSocket from 'ws';
import { type OutboundFrame, parseOutboundFrame } from '../../shared/protocol/outbound';
import type { Persona } from './personas';
import type { TestStack } from './stack';
import { eventually } from './table';

/** A connected test client that keeps every frame it receives. */
export interface TestSocket {
  readonly ws: WebSocket;
  /** Frames received so far, in order (parsed when they are ours, raw otherwise). */
  readonly frames: unknown[];
  /** The negotiated sub-protocol. */
  readonly protocol: string;
  send(frame: unknown): void;
  sendRaw(data: string | Buffer): void;
  /** The first frame (received or yet to come) after `since` that matches. */
  waitFor<T = OutboundFrame>(
    predicate: (frame: unknown) => boolean,
    options?: { timeoutMs?: number; since?: number },
  ): Promise<T>;
  /** Waits for the next frame of a type. */
  next<K extends OutboundFrame['type']>(
    type: K,
    timeoutMs?: number,
  ): Promise<Extract<OutboundFrame, { type: K }>>;
  closed(): Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** How the token travels. @default 'query' */
  readonly via?: 'query' | 'protocol';
  /** The device the connection says it belongs to (`?deviceId=`). */
  readonly deviceId?: string;
}

/** Opens a WebSocket with an access token; rejects with the HTTP status when refused. */
export function connect(
  url: string,
  token: string | undefined,
  options: ConnectOptions = {},
): Promise<TestSocket> {
  const via = options.via ?? 'query';
  const query = new URLSearchParams();
  if (token && via === 'query') query.set('token', token);
  if (options.deviceId !== undefined) query.set('deviceId', options.deviceId);
  const target = query.size > 0 ? `${url}?${query}` : url;
  const ws = token && via === 'protocol' ? new WebSocket(target, ['parley', token]) : new WebSocket(target);
  const frames: unknown[] = [];
  const listeners = new Set<() => void>();
  let cursor = 0;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (data) => {
    const text = data.toString();
    try {
      frames.push(parseOutboundFrame(text));
    } catch {
      frames.push(safeJson(text));
    }
    for (const listener of listeners) listener();
  });

  const socket: TestSocket = {
    ws,
    frames,
    get protocol() {
      return ws.protocol;
    },
    send: (frame) => ws.send(JSON.stringify(frame)),
    sendRaw: (data) => ws.send(data),
    waitFor: <T>(predicate: (frame: unknown) => boolean, { timeoutMs = 10_000, since = 0 } = {}) =>
      new Promise<T>((resolve, reject) => {
        const check = () => {
          const found = frames.slice(since).find(predicate);
          if (found === undefined) return false;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found as T);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`No matching frame in ${timeoutMs} ms; got ${JSON.stringify(frames).slice(0, 2000)}`),
          );
        }, timeoutMs);
        if (!check()) listeners.add(check);
      }),
    next: (type, timeoutMs = 10_000) => {
      const start = cursor;
      return socket
        .waitFor((frame) => (frame as { type?: string }).type === type, { timeoutMs, since: start })
        .then((frame) => {
          cursor = frames.indexOf(frame) + 1;
          return frame as never;
        });
    },
    closed: () => closed,
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };

  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_request, response) => {
      const error = new Error(`WebSocket refused with ${response.statusCode}`) as Error & { status?: number };
      error.status = response.statusCode;
      reject(error);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Connects each person in turn, the next only once the previous one's presence push went out. A push that
 * reaches a connection still in its handshake is lost (the gateway answers 410 until `$connect` returns),
 * so a socket opened at the same moment could miss the other's presence.
 */
export async function connectInTurn(
  stack: TestStack,
  personas: readonly Pick<Persona, 'userId' | 'accessToken'>[],
): Promise<TestSocket[]> {
  const sockets: TestSocket[] = [];
  for (const [index, persona] of personas.entries()) {
    sockets.push(await connect(stack.endpoints.webSocketUrl, persona.accessToken));
    if (index === personas.length - 1) break;
    await eventually(async () =>
      stack.logs.find((log) => log.line.includes('Fan-out done') && log.line.includes(persona.userId)),
    );
  }
  return sockets;
}
