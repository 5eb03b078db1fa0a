import { type RouteResponse, responseSchemaOf } from '../api/route-responses';
import { ROUTES, type RouteId, type RouteRequest, type RouteSpec, type Routes } from '../api/routes';
import { ErrorCode } from '../protocol/errors';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from '../protocol/problem';
import type * as z from '../zod';

/**
 * A typed client for the HTTP API: one method per route of {@link ROUTES},
 * with its params, query, body and response types; every answer is parsed
 * with its route's response schema (`route-responses.ts`). Runs wherever a global
 * `fetch` does (Node 20, browsers); no AWS SDK.
 */

/**
 * How to reach the API and who is calling.
 *
 * @example
 * const options: ApiClientOptions = { baseUrl: stage.httpApiUrl, accessToken: () => auth.currentAccessToken() };
 */
export interface ApiClientOptions {
  /** The HTTP API's URL, as the stage outputs give it (`HttpApiUrl`); a trailing slash is fine. */
  readonly baseUrl: string;
  /**
   * Returns the Cognito access token to send as `Authorization: Bearer …`.
   * Called before every authenticated request, so a refreshed token is picked up.
   * @default none: authenticated routes are sent without a token, and answer 401
   */
  readonly accessToken?: () => string | Promise<string>;
  /** @default the global `fetch` */
  readonly fetch?: typeof fetch;
}

/**
 * Per-call options.
 *
 * @example
 * await api.listConversations({}, { signal: AbortSignal.timeout(5_000) });
 */
export interface CallOptions {
  /** Aborts the request; the call then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

type Parts<R extends RouteSpec> = RouteRequest<R>;
/** The parts (params, query, body) a route has. */
type PartOf<R extends RouteSpec> = {
  [K in keyof Parts<R>]-?: [Parts<R>[K]] extends [undefined] ? never : K;
}[keyof Parts<R>];
/** A query whose every field is optional or defaulted may be left out. */
type OptionalPartOf<R extends RouteSpec> = {
  [K in PartOf<R>]: K extends 'query' ? (Partial<Parts<R>[K]> extends Parts<R>[K] ? K : never) : never;
}[PartOf<R>];

/**
 * What a client method takes: only the parts its route has, before defaults apply.
 *
 * @example
 * const request: ApiRequest<Routes['listMessages']> = { params: { conversationId }, query: { after: 41 } };
 */
export type ApiRequest<R extends RouteSpec> = Flatten<
  { readonly [K in Exclude<PartOf<R>, OptionalPartOf<R>>]: Parts<R>[K] } & {
    readonly [K in OptionalPartOf<R>]?: Parts<R>[K];
  }
>;

/** One object type instead of an intersection, so editors show the request plainly. */
type Flatten<T> = { [K in keyof T]: T[K] };

/**
 * A client method: resolves with the validated response body (`undefined`
 * for 204), rejects with {@link ApiError}. The request may be omitted when
 * nothing in it is required.
 *
 * @example
 * const getUser: ApiMethod<'getUser'> = api.getUser;
 */
export type ApiMethod<K extends RouteId> =
  Partial<ApiRequest<Routes[K]>> extends ApiRequest<Routes[K]>
    ? (request?: ApiRequest<Routes[K]>, options?: CallOptions) => Promise<RouteResponse<K>>
    : (request: ApiRequest<Routes[K]>, options?: CallOptions) => Promise<RouteResponse<K>>;

/**
 * One method per route id.
 *
 * @example
 * const api: ApiClient = createApiClient({ baseUrl, accessToken: () => token });
 */
export type ApiClient = { readonly [K in RouteId]: ApiMethod<K> };

// API Gateway refuses some requests before the function runs, with `{"message"}` and no problem body.
const GATEWAY_CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  401: ErrorCode.Unauthorized,
  404: ErrorCode.NotFound,
  413: ErrorCode.PayloadTooLarge,
  429: ErrorCode.RateLimited,
};

/**
 * A request the API refused or failed, or answered with a body that breaks
 * the route's schema (then `code` is `INTERNAL` and `cause` zod's `$ZodError`).
 * Network failures and aborts are not wrapped: they reject as `fetch` does.
 *
 * @example
 * try {
 *   await api.postMessage({ params: { conversationId }, body: { messageId, body } });
 * } catch (error) {
 *   if (error instanceof ApiError && error.code === ErrorCode.RateLimited) await sleep(error.retryAfterSeconds ?? 1);
 *   else throw error;
 * }
 */
export class ApiError extends Error {
  /** The route called. */
  readonly routeId: RouteId;
  /** The HTTP status received. */
  readonly status: number;
  /** From the problem body; from the status when API Gateway answered itself (401, 404, 413, 429), else `INTERNAL`. */
  readonly code: ErrorCode;
  /** Human-readable, for logs; branch on `code`. */
  readonly detail: string;
  /** The server's request id, to quote in a report, when it sent one. */
  readonly requestId: string | undefined;
  /** On 429: seconds to wait, from `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    fields: {
      readonly routeId: RouteId;
      readonly status: number;
      readonly code: ErrorCode;
      readonly detail: string;
      readonly requestId?: string | undefined;
      readonly retryAfterSeconds?: number | undefined;
    },
    options?: ErrorOptions,
  ) {
    super(`${fields.routeId} failed with ${fields.status} ${fields.code}: ${fields.detail}`, options);
    this.name = 'ApiError';
    this.routeId = fields.routeId;
    this.status = fields.status;
    this.code = fields.code;
    this.detail = fields.detail;
    this.requestId = fields.requestId;
    this.retryAfterSeconds = fields.retryAfterSeconds;
  }
}

/**
 * Every item of a cursor-paged list, fetching page after page until there is no `next`.
 *
 * @example
 * const friends = await allPages((cursor) => api.listFriends({ query: { limit: 100, ...(cursor ? { cursor } : {}) } }));
 */
export async function allPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; next?: string | undefined }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  return items;
}

/**
 * A client for the HTTP API, its methods generated from {@link ROUTES}.
 *
 * @example
 * const api = createApiClient({ baseUrl: stage.httpApiUrl, accessToken: () => session.accessToken });
 * const me = await api.getMe();
 * const page = await api.listConversations({ query: { limit: 20 } });
 * await api.postMessage({ params: { conversationId }, body: { messageId, body: ciphertext } });
 */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  // Called unbound: browsers reject `fetch` invoked as a method of another object.
  const send: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function call(
    id: RouteId,
    request: RawRequest = {},
    callOptions: CallOptions = {},
  ): Promise<unknown> {
    const spec: RouteSpec = ROUTES[id];
    const headers: Record<string, string> = { accept: `application/json, ${PROBLEM_CONTENT_TYPE}` };
    if (spec.auth === 'jwt' && options.accessToken) {
      headers.authorization = `Bearer ${await options.accessToken()}`;
    }
    if (spec.body) headers['content-type'] = 'application/json';
    const response = await send(`${baseUrl}${pathOf(id, spec, request.params)}${queryOf(request.query)}`, {
      method: spec.method,
      headers,
      ...(spec.body ? { body: JSON.stringify(request.body) } : {}),
      ...(callOptions.signal ? { signal: callOptions.signal } : {}),
    });
    if (!response.ok) throw await apiErrorOf(id, response);
    const schema = responseSchemaOf(id);
    if (spec.status === 204 || !schema) {
      await response.body?.cancel();
      return undefined;
    }
    return parseResponse(id, schema, response);
  }

  // One untyped function per id at runtime; ApiClient gives each its route's exact types.
  return Object.fromEntries(
    (Object.keys(ROUTES) as RouteId[]).map((id) => [
      id,
      (request?: RawRequest, callOptions?: CallOptions) => call(id, request, callOptions),
    ]),
  ) as unknown as ApiClient;
}

interface RawRequest {
  readonly params?: Readonly<Record<string, unknown>>;
  readonly query?: Readonly<Record<string, unknown>>;
  readonly body?: unknown;
}

function pathOf(id: RouteId, spec: RouteSpec, params: RawRequest['params']): string {
  return spec.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params?.[name];
    // An empty segment would silently address another route (`/users/` is not `/users/{userId}`).
    if (value === undefined || value === null || value === '') {
      throw new TypeError(`${id} needs params.${name}`);
    }
    return encodeURIComponent(String(value));
  });
}

function queryOf(query: RawRequest['query']): string {
  const pairs = Object.entries(query ?? {})
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([name, value]) => {
      const text = Array.isArray(value) ? value.map(String).join(',') : String(value);
      // encodeURIComponent, not URLSearchParams: a space must travel as %20, not `+`; commas stay readable.
      return `${encodeURIComponent(name)}=${encodeURIComponent(text).replaceAll('%2C', ',')}`;
    });
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
}

async function parseResponse(id: RouteId, schema: z.ZodMiniType, response: Response) {
  const requestId = response.headers.get('apigw-requestid') ?? undefined;
  const broken = (detail: string, cause: unknown) =>
    new ApiError(
      { routeId: id, status: response.status, code: ErrorCode.Internal, detail, requestId },
      { cause },
    );
  let json: unknown;
  try {
    json = JSON.parse(await response.text());
  } catch (error) {
    throw broken('The response is not JSON', error);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw broken(`The response does not match the route's schema (${where}${issue?.message})`, parsed.error);
  }
  return parsed.data;
}

async function apiErrorOf(id: RouteId, response: Response): Promise<ApiError> {
  const { status, headers } = response;
  const text = await response.text().catch(() => '');
  const json = parseJsonObject(text);
  // Sent with 429 (a rate) and 409 `SEND_IN_PROGRESS` (a send still being stored).
  const retryAfterSeconds = retryAfterOf(headers.get('retry-after'));
  const fields = { routeId: id, status, retryAfterSeconds };
  const problem = headers.get('content-type')?.includes(PROBLEM_CONTENT_TYPE)
    ? ProblemSchema.safeParse(json)
    : undefined;
  if (problem?.success) {
    const { code, detail, requestId } = problem.data;
    return new ApiError({ ...fields, code, detail, requestId });
  }
  const detail = [json?.detail, json?.message].find((value) => typeof value === 'string');
  const requestId = [json?.requestId, headers.get('apigw-requestid')].find(
    (value) => typeof value === 'string',
  );
  return new ApiError({
    ...fields,
    code: GATEWAY_CODE_BY_STATUS[status] ?? ErrorCode.Internal,
    detail: (detail as string | undefined) ?? (response.statusText || `HTTP ${status}`),
    requestId: requestId as string | undefined,
  });
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `Retry-After` is delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterOf(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
