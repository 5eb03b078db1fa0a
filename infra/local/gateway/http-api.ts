import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { ErrorCode, HTTP_STATUS_BY_CODE } from '../../../shared/protocol/errors';
import { PROBLEM_CONTENT_TYPE, problem } from '../../../shared/protocol/problem';
import { type FunctionName, HTTP_API, type HttpRouteDefinition } from '../../topology';
import { close, LOCAL_HOST, listen } from '../listen';
import type { Invoke, TrafficRecord } from './websocket-api';
import { flatHeaders, readBody } from './wire';

export interface HttpApiOptions {
  readonly port: number;
  readonly invoke: Invoke;
  /** The JWT authorizer's issuer and audience (the app client id). */
  readonly jwt: { readonly issuer: string; readonly jwksUri: string; readonly audience: string };
  /** Origins CORS allows. */
  readonly allowOrigins: readonly string[];
  readonly onTraffic?: (record: TrafficRecord) => void;
  readonly onError?: (message: string, error: unknown) => void;
}

export interface LocalHttpApi {
  readonly url: string;
  /** Routes served behind the JWT authorizer, from the topology. */
  readonly routes: ReadonlyArray<{ routeKey: string; function: FunctionName; auth: 'jwt' | 'none' }>;
  stop(): Promise<void>;
}

/** API Gateway's payload limit for HTTP APIs. */
const MAX_BODY_SIZE_IN_BYTES = 10 * 1024 * 1024;

interface CompiledRoute {
  readonly route: HttpRouteDefinition;
  readonly routeKey: string;
  readonly pattern: RegExp;
  readonly parameters: string[];
}

/**
 * API Gateway HTTP API stand-in, served from the topology: the Cognito JWT
 * authorizer (issuer, audience or `client_id`, expiry, signature), CORS, and
 * payload format 2.0 events. Its own refusals look like API Gateway's
 * (`{"message":"Unauthorized"}`); everything else is the function's answer.
 */
export async function startHttpApi(options: HttpApiOptions): Promise<LocalHttpApi> {
  // API Gateway picks the most specific route; static segments before parameters does the same here.
  const routes = HTTP_API.routes.map(compile).sort((a, b) => a.parameters.length - b.parameters.length);
  const verifier = JwtRsaVerifier.create(
    { issuer: options.jwt.issuer, jwksUri: options.jwt.jwksUri, audience: null },
    {
      jwksCache: new SimpleJwksCache({
        fetcher: { fetch: async (uri: string) => (await fetch(uri)).arrayBuffer() },
      }),
    },
  );

  const server = createServer((request, response) => {
    void handle(request, response).catch((error) => {
      options.onError?.('HTTP request failed', error);
      if (!response.headersSent) json(response, 500, { message: 'Internal Server Error' });
    });
  });
  const port = await listen(server, options.port);

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const origin = request.headers.origin;
    const allowedOrigin = origin && options.allowOrigins.includes(origin) ? origin : undefined;
    if (allowedOrigin) {
      response.setHeader('access-control-allow-origin', allowedOrigin);
      response.setHeader('vary', 'origin');
      response.setHeader('access-control-expose-headers', HTTP_API.cors.exposeHeaders.join(','));
    }
    const url = new URL(request.url ?? '/', 'http://local');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      if (allowedOrigin) {
        response.setHeader('access-control-allow-methods', HTTP_API.cors.allowMethods.join(','));
        response.setHeader('access-control-allow-headers', HTTP_API.cors.allowHeaders.join(','));
        response.setHeader('access-control-max-age', String(HTTP_API.cors.maxAgeSeconds));
      }
      response.writeHead(204).end();
      return;
    }
    let match: ReturnType<typeof findRoute>;
    try {
      match = findRoute(routes, request.method ?? 'GET', url.pathname);
    } catch (error) {
      // A path parameter that is not valid percent-encoding (`%E0%A4%A`): refused before anything else.
      if (!(error instanceof URIError)) throw error;
      return malformedPath(response);
    }
    if (!match) return json(response, 404, { message: 'Not Found' });

    const claims = match.compiled.route.auth === 'none' ? {} : await authorize(request.headers.authorization);
    if (!claims) {
      response.setHeader('www-authenticate', 'Bearer');
      return json(response, 401, { message: 'Unauthorized' });
    }
    const body = await readBody(request, MAX_BODY_SIZE_IN_BYTES);
    if (body === undefined) return json(response, 413, { message: 'Request Entity Too Large' });
    const text = body.toString('utf8');
    if (text.length > 0) options.onTraffic?.({ api: 'http', body: text });

    const now = Date.now();
    const event = {
      version: '2.0',
      routeKey: match.compiled.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers: flatHeaders(request),
      queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
      pathParameters: Object.keys(match.parameters).length > 0 ? match.parameters : undefined,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: `${LOCAL_HOST}:${port}`,
        domainPrefix: 'local',
        http: {
          method: request.method,
          path: url.pathname,
          protocol: 'HTTP/1.1',
          sourceIp: request.socket.remoteAddress ?? LOCAL_HOST,
          userAgent: request.headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: match.compiled.routeKey,
        stage: '$default',
        time: new Date(now).toISOString(),
        timeEpoch: now,
        authorizer: { jwt: { claims, scopes: null } },
      },
      body: text.length > 0 ? text : undefined,
      isBase64Encoded: false,
    };
    let result: unknown;
    try {
      result = await options.invoke(match.compiled.route.function as FunctionName, event);
    } catch (error) {
      options.onError?.(`Route ${match.compiled.routeKey} failed`, error);
      return json(response, 500, { message: 'Internal Server Error' });
    }
    respond(response, result);
  }

  /** Bearer token → claims, or undefined (API Gateway answers 401 itself). */
  async function authorize(authorization: string | undefined): Promise<Record<string, unknown> | undefined> {
    if (!authorization) return undefined;
    const token = authorization.replace(/^Bearer\s+/i, '');
    try {
      const claims = (await verifier.verify(token)) as Record<string, unknown>;
      // API Gateway's JWT authorizer accepts `aud` or, for access tokens, `client_id`.
      const audiences = [claims.aud, claims.client_id].flat();
      return audiences.includes(options.jwt.audience) ? asClaimText(claims) : undefined;
    } catch {
      return undefined;
    }
  }

  return {
    url: `http://${LOCAL_HOST}:${port}`,
    routes: routes.map(({ route, routeKey }) => ({ routeKey, function: route.function, auth: route.auth })),
    stop: () => close(server),
  };
}

function compile(route: HttpRouteDefinition): CompiledRoute {
  const parameters: string[] = [];
  const source = route.path.replace(/\{([^}+]+)(\+)?\}/g, (_all, name: string, greedy?: string) => {
    parameters.push(name);
    return greedy ? '(.+)' : '([^/]+)';
  });
  return { route, routeKey: `${route.method} ${route.path}`, pattern: new RegExp(`^${source}$`), parameters };
}

function findRoute(routes: CompiledRoute[], method: string, path: string) {
  for (const compiled of routes) {
    if (compiled.route.method !== method) continue;
    const found = compiled.pattern.exec(path);
    if (!found) continue;
    const parameters = Object.fromEntries(
      compiled.parameters.map((name, index) => [name, decodeURIComponent(found[index + 1] as string)]),
    );
    return { compiled, parameters };
  }
  return undefined;
}

/** Payload format 2.0: a result without `statusCode` is a 200 JSON body. */
function respond(response: ServerResponse, result: unknown) {
  const shaped = result as
    | { statusCode?: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean }
    | undefined;
  if (!shaped || typeof shaped !== 'object' || typeof shaped.statusCode !== 'number') {
    return json(response, 200, result ?? null);
  }
  for (const [name, value] of Object.entries(shaped.headers ?? {})) response.setHeader(name, value);
  response.writeHead(shaped.statusCode);
  response.end(
    shaped.body === undefined ? '' : Buffer.from(shaped.body, shaped.isBase64Encoded ? 'base64' : 'utf8'),
  );
}

function malformedPath(response: ServerResponse) {
  const code = ErrorCode.ValidationFailed;
  const status = HTTP_STATUS_BY_CODE[code];
  response.writeHead(status, { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' });
  response.end(
    JSON.stringify(
      problem({
        title: 'Validation failed',
        status,
        code,
        detail: 'The path is not valid percent-encoding',
        requestId: randomUUID(),
      }),
    ),
  );
}

function json(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/**
 * Claims as API Gateway's JWT authorizer hands them to a function: every value as text (`iat` too), a
 * list as `[a b]`.
 */
function asClaimText(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([name, value]) => [
      name,
      Array.isArray(value)
        ? `[${value.join(' ')}]`
        : typeof value === 'string'
          ? value
          : JSON.stringify(value),
    ]),
  );
}
