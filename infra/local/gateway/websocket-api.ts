import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { MAX_MESSAGE_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import { type FunctionName, WEBSOCKET } from '../../topology';
import { close, LOCAL_HOST, listen } from '../listen';
import type { Meter } from '../meter';
import { signatureRefusal } from '../sigv4';
import type { Trace } from '../trace';
import { enforceFrameLimit } from './frame-limit';
import { flatHeaders, readBody } from './wire';

export type Invoke = (name: FunctionName, event: unknown) => Promise<unknown>;

/** Something the gateway received from a client, for audits such as "no plaintext on the wire". */
export interface TrafficRecord {
  readonly api: 'websocket' | 'http';
  readonly body: string;
}

export interface WebSocketApiOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly region: string;
  readonly stage: string;
  readonly invoke: Invoke;
  /** Closes a connection idle this long. @default API Gateway's 10 minutes */
  readonly idleTimeoutMs?: number;
  /** Closes every connection after this long. @default API Gateway's 2 hours */
  readonly maxConnectionMs?: number;
  readonly onTraffic?: (record: TrafficRecord) => void;
  /** Counts API Gateway's billable messages. */
  readonly meter?: Meter;
  /** Records frames in and out and `@connections` requests. */
  readonly trace?: Trace;
  readonly onError?: (message: string, error: unknown) => void;
}

export interface LocalWebSocketApi {
  /** `ws://127.0.0.1:{port}/{stage}` */
  readonly url: string;
  /** `http://127.0.0.1:{port}/{stage}`: the `@connections` management endpoint. */
  readonly connectionsEndpoint: string;
  /** Routes served, from the topology. */
  readonly routes: ReadonlyArray<{ routeKey: string; function: FunctionName; returnResponse: boolean }>;
  /** Routes the gateway answers itself (MOCK integrations), from the topology. */
  readonly mockRoutes: ReadonlyArray<{ routeKey: string; response: string }>;
  readonly authorizer: { readonly function: FunctionName; readonly identitySource: readonly string[] };
  /** Ids of the connections open now. */
  connectionIds(): string[];
  /**
   * A fault, for tests: drops the connection as a crash would (no close handshake) and loses its
   * `$disconnect`, which API Gateway sends only on a best-effort basis. False when it is not open.
   */
  dropWithoutDisconnect(connectionId: string): boolean;
  stop(): Promise<void>;
}

interface LiveConnection {
  readonly connectionId: string;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  /** The authorizer's output, handed to every route of the connection. */
  readonly authorizer: Record<string, unknown>;
  /** Unset while `$connect` runs: posting to a connection from its own `$connect` is refused. */
  socket?: WebSocket;
  idleTimer?: NodeJS.Timeout;
  maxTimer?: NodeJS.Timeout;
  /** Set by a fault: its `$disconnect` is lost. */
  disconnectLost?: boolean;
}

const API_ID = 'local';

/**
 * Most bytes a connection may have waiting to be sent (what its client has not read yet, past what the
 * operating system buffers): eight messages of the largest size. A client that stops reading is
 * disconnected once it is reached, and later posts answer 410 Gone, as API Gateway ends a connection it
 * cannot deliver to rather than buffer for it without bound.
 */
export const MAX_SEND_BUFFER_IN_BYTES = 8 * MAX_MESSAGE_SIZE_IN_BYTES;
const routeKeys = new Set<string>(
  [...WEBSOCKET.routes, ...WEBSOCKET.mockRoutes].map((route) => route.routeKey),
);
const routeOf = (routeKey: string) => WEBSOCKET.routes.find((route) => route.routeKey === routeKey);
const mockRouteOf = (routeKey: string) => WEBSOCKET.mockRoutes.find((route) => route.routeKey === routeKey);

/**
 * API Gateway WebSocket API stand-in, served from the topology: `$connect`
 * behind the REQUEST authorizer, route selection on `$request.body.action`
 * with `$default` as fallback, two-way routes, `$disconnect`, the
 * `@connections` API (410 GoneException for unknown connections), and API
 * Gateway's limits: 32 KB frames, 128 KB messages, idle and maximum
 * connection time.
 */
export async function startWebSocketApi(options: WebSocketApiOptions): Promise<LocalWebSocketApi> {
  enforceFrameLimit();
  const idleTimeoutMs = options.idleTimeoutMs ?? WEBSOCKET.idleTimeoutSeconds * 1000;
  const maxConnectionMs = options.maxConnectionMs ?? WEBSOCKET.maxConnectionSeconds * 1000;
  const live = new Map<string, LiveConnection>();
  const selected = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_SIZE_IN_BYTES,
    handleProtocols: (_offered, request) => selected.get(request) ?? false,
  });
  const server = createServer((request, response) => {
    options.trace?.request('apigateway', connectionsOperation(request.method), request, response);
    void serveConnections(request, response).catch((error) => {
      options.onError?.('Management request failed', error);
      if (!response.headersSent)
        reply(response, 500, 'InternalServerErrorException', 'Internal server error');
    });
  });
  server.on('upgrade', (request, socket, head) => {
    void upgrade(request, socket, head).catch((error) => {
      options.onError?.('Connect failed', error);
      refuse(socket, 500, 'Internal server error');
    });
  });
  const port = await listen(server, options.port);
  const httpBase = `http://${LOCAL_HOST}:${port}/${options.stage}`;

  const baseContext = (connection: LiveConnection, routeKey: string, eventType: string) => {
    const now = Date.now();
    return {
      routeKey,
      eventType,
      messageDirection: 'IN',
      stage: options.stage,
      apiId: API_ID,
      domainName: `${LOCAL_HOST}:${port}`,
      connectionId: connection.connectionId,
      connectedAt: connection.connectedAt,
      requestId: randomUUID(),
      extendedRequestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      authorizer: connection.authorizer,
    };
  };

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
    const url = new URL(request.url ?? '/', 'http://local');
    const headers = flatHeaders(request);
    const query = Object.fromEntries(url.searchParams);
    const connection: LiveConnection = {
      connectionId: `${randomBytes(10).toString('base64url')}=`,
      connectedAt: Date.now(),
      lastActiveAt: Date.now(),
      sourceIp: request.socket.remoteAddress ?? LOCAL_HOST,
      userAgent: headers['user-agent'] ?? '',
      authorizer: {},
    };
    const context = baseContext(connection, '$connect', 'CONNECT');
    const common = {
      headers,
      multiValueHeaders: multiValue(headers),
      queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
      multiValueQueryStringParameters: Object.keys(query).length > 0 ? multiValue(query) : undefined,
      stageVariables: {},
    };

    const authorizer = await authorize(context, common);
    if (authorizer.status !== 200) return refuse(socket, authorizer.status, authorizer.message);
    Object.assign(connection.authorizer, authorizer.context);

    live.set(connection.connectionId, connection);
    let result: { statusCode?: number; headers?: Record<string, string> } | undefined;
    try {
      result = (await options.invoke(routeOf('$connect')?.function ?? 'wsConnect', {
        ...common,
        requestContext: context,
        isBase64Encoded: false,
      })) as typeof result;
    } catch (error) {
      live.delete(connection.connectionId);
      options.onError?.('$connect failed', error);
      return refuse(socket, 500, 'Internal server error');
    }
    const status = result?.statusCode ?? 200;
    if (status < 200 || status > 299) {
      live.delete(connection.connectionId);
      return refuse(socket, status, 'Connection refused');
    }
    const protocol = Object.entries(result?.headers ?? {}).find(
      ([name]) => name.toLowerCase() === 'sec-websocket-protocol',
    )?.[1];
    if (protocol) selected.set(request, protocol);
    wss.handleUpgrade(request, socket, head, (ws) => opened(connection, ws));
  }

  async function authorize(
    context: ReturnType<typeof baseContext>,
    common: { headers: Record<string, string>; queryStringParameters?: Record<string, string> },
  ): Promise<{ status: number; message: string; context?: Record<string, unknown> }> {
    // API Gateway answers 401 itself, without the authorizer, when a listed identity source is missing.
    const sources = WEBSOCKET.authorizer.identitySource;
    if (sources.length > 0 && !sources.every((source) => identityPresent(source, common))) {
      return { status: 401, message: 'Unauthorized' };
    }
    const methodArn = `arn:aws:execute-api:${options.region}:000000000000:${API_ID}/${options.stage}/$connect`;
    let result: { principalId?: string; policyDocument?: PolicyDocument; context?: Record<string, unknown> };
    try {
      result = (await options.invoke(WEBSOCKET.authorizer.function, {
        type: 'REQUEST',
        methodArn,
        ...common,
        requestContext: context,
      })) as typeof result;
    } catch (error) {
      // A thrown "Unauthorized" is the documented way to answer 401; anything else is a 500.
      if (error instanceof Error && /Unauthorized/.test(error.message))
        return { status: 401, message: 'Unauthorized' };
      options.onError?.('Authorizer failed', error);
      return { status: 500, message: 'Internal server error' };
    }
    if (!allows(result?.policyDocument, methodArn)) return { status: 403, message: 'Forbidden' };
    return {
      status: 200,
      message: 'OK',
      context: { ...(result.context ?? {}), principalId: result.principalId, integrationLatency: 0 },
    };
  }

  function opened(connection: LiveConnection, ws: WebSocket) {
    connection.socket = ws;
    const touch = () => {
      connection.lastActiveAt = Date.now();
      clearTimeout(connection.idleTimer);
      connection.idleTimer = setTimeout(() => ws.close(1001, 'Going away'), idleTimeoutMs);
    };
    touch();
    connection.maxTimer = setTimeout(() => ws.close(1001, 'Going away'), maxConnectionMs);
    ws.on('message', (data, isBinary) => {
      touch();
      void onMessage(connection, ws, data as Buffer, isBinary).catch((error) =>
        options.onError?.('Route failed', error),
      );
    });
    ws.on('close', (code, reason) => {
      clearTimeout(connection.idleTimer);
      clearTimeout(connection.maxTimer);
      live.delete(connection.connectionId);
      if (connection.disconnectLost) return;
      const context = {
        ...baseContext(connection, '$disconnect', 'DISCONNECT'),
        disconnectStatusCode: code,
        disconnectReason: reason.toString(),
      };
      void options
        .invoke(routeOf('$disconnect')?.function ?? 'wsDisconnect', {
          headers: {},
          requestContext: context,
          isBase64Encoded: false,
        })
        .catch((error) => options.onError?.('$disconnect failed', error));
    });
    ws.on('error', (error) => options.onError?.('Socket error', error));
  }

  async function onMessage(connection: LiveConnection, ws: WebSocket, data: Buffer, isBinary: boolean) {
    const answer = (body: string, what: string) => {
      if (ws.readyState !== ws.OPEN) return;
      options.meter?.count('apigateway', what);
      options.meter?.webSocketMessage('out', Buffer.byteLength(body));
      options.trace?.event('apigateway', what);
      ws.send(body);
    };
    const text = isBinary ? data.toString('base64') : data.toString('utf8');
    options.meter?.count('apigateway', 'message in');
    options.meter?.webSocketMessage('in', data.length);
    options.trace?.event('apigateway', 'message in');
    options.onTraffic?.({ api: 'websocket', body: text });
    const routeKey = isBinary ? '$default' : selectRoute(text);
    const mock = mockRouteOf(routeKey);
    if (mock) {
      // A MOCK integration: API Gateway replies from its templates, and no function runs.
      answer(mock.response, 'message out (mock reply)');
      return;
    }
    const route = routeOf(routeKey);
    const context = { ...baseContext(connection, routeKey, 'MESSAGE'), messageId: randomUUID() };
    if (!route) {
      // API Gateway's answer when no route and no $default match.
      ws.send(
        JSON.stringify({
          message: 'Forbidden',
          connectionId: connection.connectionId,
          requestId: context.requestId,
        }),
      );
      return;
    }
    try {
      const result = (await options.invoke(route.function, {
        requestContext: context,
        body: text,
        isBase64Encoded: isBinary,
      })) as { body?: string } | undefined;
      if (route.returnResponse && typeof result?.body === 'string')
        answer(result.body, 'message out (reply)');
    } catch (error) {
      options.onError?.(`Route ${routeKey} failed`, error);
      // API Gateway's own frame when the integration fails (the function threw, timed out or its runtime
      // died): its request id, not the client's. Handlers answer every error they catch themselves, with
      // the client's `requestId`; this frame means the function could not (docs/websocket-protocol.md).
      if (ws.readyState === ws.OPEN) {
        ws.send(
          JSON.stringify({
            message: 'Internal server error',
            connectionId: connection.connectionId,
            requestId: context.requestId,
          }),
        );
      }
    }
  }

  async function serveConnections(request: IncomingMessage, response: ServerResponse) {
    const match = /^(?:\/[^/]+)?\/@connections\/([^/?]+)$/.exec((request.url ?? '').split('?')[0] ?? '');
    if (!match) return reply(response, 404, 'NotFoundException', 'Not Found');
    const refusal = signatureRefusal(request.headers, options.region, Date.now());
    if (refusal) return reply(response, refusal.status, refusal.errorType, refusal.message);
    const connection = live.get(decodeURIComponent(match[1] as string));
    const socket = connection?.socket;
    if (!connection || !socket || socket.readyState !== socket.OPEN) {
      return reply(response, 410, 'GoneException', 'Gone');
    }
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          connectedAt: new Date(connection.connectedAt).toISOString(),
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
        }),
      );
      return;
    }
    if (request.method === 'DELETE') {
      socket.close(1000, 'Closed by the server');
      response.writeHead(204).end();
      return;
    }
    if (request.method === 'POST') {
      const body = await readBody(request, MAX_MESSAGE_SIZE_IN_BYTES);
      if (!body) return reply(response, 413, 'PayloadTooLargeException', 'Message too long');
      if (socket.bufferedAmount + body.length > MAX_SEND_BUFFER_IN_BYTES) {
        // No close handshake: the client is not reading. `close` runs `$disconnect`.
        socket.terminate();
        return reply(response, 410, 'GoneException', 'Gone');
      }
      options.meter?.count('apigateway', 'message out (PostToConnection)');
      options.meter?.webSocketMessage('out', body.length);
      socket.send(body.toString('utf8'));
      response.writeHead(200).end();
      return;
    }
    reply(response, 405, 'MethodNotAllowedException', 'Method not allowed');
  }

  return {
    url: `ws://${LOCAL_HOST}:${port}/${options.stage}`,
    connectionsEndpoint: httpBase,
    routes: WEBSOCKET.routes.map((route) => ({ ...route })),
    mockRoutes: WEBSOCKET.mockRoutes.map((route) => ({ ...route })),
    authorizer: { ...WEBSOCKET.authorizer },
    connectionIds: () => [...live.values()].filter((c) => c.socket).map((c) => c.connectionId),
    dropWithoutDisconnect: (connectionId) => {
      const connection = live.get(connectionId);
      if (!connection?.socket) return false;
      connection.disconnectLost = true;
      connection.socket.terminate();
      return true;
    },
    stop: async () => {
      for (const connection of live.values()) connection.socket?.terminate();
      wss.close();
      await close(server);
    },
  };
}

/** The SDK's name for an `@connections` call. */
function connectionsOperation(method: string | undefined): string {
  if (method === 'POST') return 'PostToConnection';
  if (method === 'DELETE') return 'DeleteConnection';
  if (method === 'GET') return 'GetConnection';
  return method ?? 'unknown';
}

interface PolicyDocument {
  Statement?: Array<{ Effect?: string; Action?: string | string[]; Resource?: string | string[] }>;
}

function allows(policy: PolicyDocument | undefined, methodArn: string): boolean {
  const statements = policy?.Statement ?? [];
  const matches = (resource: string | string[] | undefined) =>
    [resource ?? []].flat().some((pattern) => globMatch(pattern, methodArn));
  if (statements.some((s) => s.Effect === 'Deny' && matches(s.Resource))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s.Resource));
}

function globMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return regex.test(value);
}

function escapeRegExp(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `$request.body.action`, falling back to `$default`. */
function selectRoute(text: string): string {
  try {
    const body = JSON.parse(text) as { action?: unknown };
    if (typeof body?.action === 'string' && !body.action.startsWith('$') && routeKeys.has(body.action)) {
      return body.action;
    }
  } catch {
    // Not JSON: API Gateway routes it to $default.
  }
  return '$default';
}

function identityPresent(
  source: string,
  request: { headers: Record<string, string>; queryStringParameters?: Record<string, string> },
): boolean {
  const header = /^route\.request\.header\.(.+)$/.exec(source);
  if (header) return request.headers[(header[1] as string).toLowerCase()] !== undefined;
  const query = /^route\.request\.querystring\.(.+)$/.exec(source);
  if (query) return request.queryStringParameters?.[query[1] as string] !== undefined;
  return true;
}

function multiValue(values: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, [value]]));
}

function refuse(socket: Duplex, status: number, message: string) {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function reply(response: ServerResponse, status: number, errorType: string, message: string) {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': errorType });
  response.end(JSON.stringify({ message }));
}
