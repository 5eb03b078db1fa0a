import WebSocket from 'ws';
import type { PostMessage } from '../../shared/e2ee/e2ee-client';
import { sendFrame } from '../../shared/protocol/inbound';
import {
  type AckFrame,
  type ErrorFrame,
  type OutboundFrame,
  parseOutboundFrame,
} from '../../shared/protocol/outbound';

/** A connected client that keeps every frame it receives. */
export interface ClientSocket {
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
): Promise<ClientSocket> {
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

  const socket: ClientSocket = {
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

/** The server refused a frame with an `error` frame. */
export class FrameRefusedError extends Error {
  constructor(readonly frame: ErrorFrame) {
    super(`${frame.code}: ${frame.message}`);
    this.name = 'FrameRefusedError';
  }
}

/**
 * Posts messages as a `send` frame on an open socket and resolves to the `ack`, as the web client does
 * while connected: the server pushes no copy back to that connection.
 *
 * @example
 * const client = await E2eeClient.open({ api, userId, deviceId, store, postMessage: postOverSocket(socket) });
 */
export function postOverSocket(socket: () => ClientSocket, timeoutMs = 10_000): PostMessage {
  return async (conversationId, fields) => {
    const requestId = `send-${fields.messageId}`.slice(0, 64);
    const open = socket();
    const since = open.frames.length;
    open.send({ ...sendFrame({ conversationId, ...fields }), requestId });
    const reply = await open.waitFor<AckFrame | ErrorFrame>(
      (frame) => (frame as { requestId?: string }).requestId === requestId,
      { timeoutMs, since },
    );
    if (reply.type === 'error') throw new FrameRefusedError(reply);
    return {
      conversationId: reply.conversationId,
      messageId: reply.messageId,
      seq: reply.seq,
      sentAt: reply.sentAt,
    };
  };
}
