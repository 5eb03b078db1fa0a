import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
// Types only: the response schemas are not bundled with a function (the client parses answers with them).
import type { RouteResponse } from '../../shared/api/route-responses';
import { ROUTES, type RouteId, type RouteInput, type Routes } from '../../shared/api/routes';
import type { HttpEvent } from './events';
import { jsonResult } from './http-response';
import { parseJson, parseWith } from './parse';

/** Who is calling: from the access token's claims (empty on public routes). */
export interface HttpCaller {
  readonly userId: string;
  readonly username: string;
  readonly correlationId: string;
  /** Epoch seconds: when the person signed in with their password (the token's `auth_time`), when known. */
  readonly signedInAt?: number;
}

type Awaitable<T> = T | Promise<T>;

/** One function per route: parsed input in, the route's response shape out (nothing for 204). */
export type Handlers = {
  readonly [K in RouteId]: (input: RouteInput<Routes[K]>, caller: HttpCaller) => Result<K>;
};

/** A 204 route answers nothing; every other route its response shape. */
type Result<K extends RouteId> = Routes[K] extends { status: 204 }
  ? Promise<void>
  : Awaitable<RouteResponse<K>>;

/**
 * Validates a request against its route's schemas (path, query, body), calls
 * the route's handler, and shapes the answer. Validation failures throw
 * VALIDATION_FAILED or INVALID_JSON for the caller's error mapper.
 */
export async function serveRoute<K extends RouteId>(
  id: K,
  event: HttpEvent,
  caller: HttpCaller,
  handlers: Pick<Handlers, K>,
): Promise<APIGatewayProxyStructuredResultV2> {
  const spec = ROUTES[id];
  const params = 'params' in spec ? parseWith(spec.params, event.pathParameters ?? {}) : {};
  const query = 'query' in spec ? parseWith(spec.query, event.queryStringParameters ?? {}) : {};
  let body: unknown;
  if ('body' in spec) {
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : (event.body ?? '');
    body = parseWith(spec.body, parseJson(text === '' ? 'null' : text));
  }
  const handler = handlers[id] as (input: unknown, caller: HttpCaller) => Awaitable<unknown>;
  const result = await handler({ params, query, body }, caller);
  if (spec.status === 204) return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
  return jsonResult(spec.status, result);
}
