import { ErrorCode, HTTP_STATUS_BY_CODE } from '../protocol/errors';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from '../protocol/problem';
import * as z from '../zod';
import { ROUTE_DESCRIPTIONS, type RouteDescription } from './route-descriptions';
import { responseSchemaOf } from './route-responses';
import { ROUTES, type RouteId, type RouteSpec, refusesEndedSessions } from './routes';

/**
 * Version of the HTTP API contract (not of the package). Bump it when a route
 * or a schema in `routes.ts` or `route-responses.ts` changes in a way
 * integrators can notice.
 *
 * @example
 * openApiDocument().info // { title: 'Parley HTTP API', version: API_VERSION, … }
 */
export const API_VERSION = '0.1.0';

type JsonSchema = Record<string, unknown>;

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' } as const;
const GATEWAY_ERROR_REF = { $ref: '#/components/schemas/GatewayError' } as const;

// The order OpenAPI lists operations in a path item, so every path reads the same way.
const METHOD_ORDER = ['get', 'put', 'post', 'delete', 'patch'] as const;

const SUCCESS_DESCRIPTIONS: Record<RouteSpec['status'], string> = {
  200: 'OK',
  201: 'Created',
  204: 'No content',
};

// A Record over ErrorCode, so a new code cannot ship without its description here.
const ERROR_DESCRIPTIONS: Record<ErrorCode, string> = {
  INVALID_JSON: 'the body is not valid JSON.',
  UNKNOWN_ACTION: 'the action is not one the server knows.',
  VALIDATION_FAILED:
    'a parameter or field is missing, has the wrong type or is out of range; `detail` says which.',
  PAYLOAD_TOO_LARGE: 'the message body exceeds the size limit.',
  UNAUTHORIZED: 'no valid access token was presented (missing, expired, or issued to another app client).',
  SESSION_ENDED:
    'the access token was issued before the user signed out everywhere (`POST /me/sign-out`); sign in again.',
  REAUTHENTICATION_REQUIRED:
    'the request needs an access token from a sign-in in the last 5 minutes (its `auth_time`), not one renewed from an older sign-in: sign in again with the password (and the second factor), then retry.',
  FORBIDDEN: 'the caller may not use this resource.',
  NOT_FOUND: 'no such resource, or the caller may not know it exists.',
  SEND_IN_PROGRESS:
    'a send with the same `messageId` is under way; retry after `Retry-After` seconds (a send that died is taken over 15 s after it began).',
  CONFLICT: 'the request conflicts with the current state (a username taken, a request already answered).',
  IMMUTABLE:
    "the message is an MLS commit (the group's history): it cannot be deleted, edited, answered or reacted to.",
  LIMIT_REACHED:
    'the request would take the caller past a cap (groups per user, friends and friend requests per user, devices per user, key packages per device, bytes of commits and Welcomes a day, open sockets); the message names it and nothing was stored. The daily byte cap answers with `Retry-After`: the seconds until it resets at midnight UTC.',
  RATE_LIMITED: 'the caller exceeded its rate; retry after `Retry-After` seconds.',
  INTERNAL: 'the server failed; the request may be retried.',
  UNAVAILABLE:
    'a service the server depends on is down or throttling; nothing was changed by the failed step; retry after `Retry-After` seconds.',
};

const DESCRIPTION = [
  'The HTTP API of Parley, an end-to-end encrypted chat. Message bodies are base64 ciphertext, opaque to the server: clients encrypt and decrypt them.',
  '',
  '**Authentication.** Every operation but this description needs `Authorization: Bearer <access token>`, where the token is a Cognito user pool *access* token (not the ID token) issued to the app client.',
  '',
  '**Paging.** Lists return `{ items, next }`. `next` is an opaque cursor: pass it back unchanged as `cursor` for the following page; it is absent on the last page.',
  '',
  '**Errors.** Failures are RFC 9457 `application/problem+json` bodies with a stable `code` (branch on it, never on `title` or `detail`) and the `requestId` to quote in a report. API Gateway itself may answer 401, 404, 413, 429 or 500 before the function runs, with `{"message": "..."}` instead.',
  '',
  '**Rate limits.** Too many requests get 429; a problem body comes with a `Retry-After` header in seconds. Wait at least that long before retrying.',
].join('\n');

/**
 * The OpenAPI 3.1 description of the HTTP API, built from {@link ROUTES}, each
 * route's response schema (`route-responses.ts`) and its prose
 * ({@link ROUTE_DESCRIPTIONS}).
 * The output is deterministic (paths sorted, methods in OpenAPI's order), so
 * the committed `docs/openapi.json` diffs cleanly; `npm run openapi` rewrites it.
 *
 * @example
 * const doc = openApiDocument({ serverUrl: 'https://api.example.com' });
 * writeFileSync('openapi.json', `${JSON.stringify(doc, null, 2)}\n`);
 */
export function openApiDocument(options: { readonly serverUrl?: string } = {}): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Parley HTTP API', version: API_VERSION, description: DESCRIPTION },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: tagsOf(),
    paths: pathsOf(),
    components: {
      securitySchemes: {
        cognito: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A Cognito user pool access token.',
        },
      },
      schemas: {
        Problem: jsonSchema(ProblemSchema, 'output', 'Problem'),
        GatewayError: {
          type: 'object',
          description: 'What API Gateway answers when it refuses a request before the function runs.',
          properties: { message: { type: 'string' } },
          required: ['message'],
        },
      },
    },
  };
}

/**
 * {@link openApiDocument} as `docs/openapi.json` holds it: two-space JSON and a final newline.
 *
 * @example
 * writeFileSync('docs/openapi.json', openApiJson());
 */
export function openApiJson(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

function routeEntries(): [RouteId, RouteSpec][] {
  return Object.entries(ROUTES) as [RouteId, RouteSpec][];
}

function tagsOf(): { name: string }[] {
  return [...new Set(routeEntries().map(([, spec]) => spec.tag))].map((name) => ({ name }));
}

function pathsOf(): Record<string, Record<string, unknown>> {
  const byPath = new Map<string, Map<string, unknown>>();
  for (const [id, spec] of routeEntries()) {
    const methods = byPath.get(spec.path) ?? new Map<string, unknown>();
    methods.set(spec.method.toLowerCase(), operationOf(id, spec));
    byPath.set(spec.path, methods);
  }
  const paths: Record<string, Record<string, unknown>> = {};
  for (const path of [...byPath.keys()].sort()) {
    const methods = byPath.get(path) ?? new Map();
    paths[path] = Object.fromEntries(
      METHOD_ORDER.filter((method) => methods.has(method)).map((method) => [method, methods.get(method)]),
    );
  }
  return paths;
}

function operationOf(id: RouteId, spec: RouteSpec): Record<string, unknown> {
  const parameters = [
    ...(spec.params ? parametersOf(id, spec.params, 'path') : []),
    ...(spec.query ? parametersOf(id, spec.query, 'query') : []),
  ];
  const { summary, description }: RouteDescription = ROUTE_DESCRIPTIONS[id];
  return {
    operationId: id,
    tags: [spec.tag],
    summary,
    ...(description ? { description } : {}),
    security: spec.auth === 'jwt' ? [{ cognito: [] }] : [],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(spec.body, 'input', `${id} body`) } },
          },
        }
      : {}),
    responses: { ...successOf(id, spec), ...errorsOf(spec) },
  };
}

/** One parameter per top-level property; `required` as the input schema says, so defaults make it optional. */
function parametersOf(
  id: RouteId,
  schema: z.ZodMiniObject,
  location: 'path' | 'query',
): Record<string, unknown>[] {
  const object = jsonSchema(schema, 'input', `${id} ${location}`);
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    // OpenAPI requires every path parameter; the route table never makes one optional.
    required: location === 'path' || required.has(name),
    schema: property,
  }));
}

function successOf(id: RouteId, spec: RouteSpec): Record<string, unknown> {
  const description = SUCCESS_DESCRIPTIONS[spec.status];
  const response = responseSchemaOf(id);
  if (spec.status === 204 || !response) return { [spec.status]: { description } };
  return {
    [spec.status]: {
      description,
      content: { 'application/json': { schema: jsonSchema(response, 'output', `${id} response`) } },
    },
  };
}

/** The route's own codes plus those every route may answer with, grouped by status. */
function errorsOf(spec: RouteSpec): Record<string, unknown> {
  const codes = new Set<ErrorCode>([
    ...spec.errors,
    // The router parses every body as JSON before validating it.
    ...(spec.body ? [ErrorCode.InvalidJson] : []),
    ...(spec.auth === 'jwt' ? [ErrorCode.Unauthorized] : []),
    ...(refusesEndedSessions(spec) ? [ErrorCode.SessionEnded] : []),
    ErrorCode.RateLimited,
    ErrorCode.Internal,
    ErrorCode.Unavailable,
  ]);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes].sort()) {
    const status = HTTP_STATUS_BY_CODE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    responses[status] = errorResponseOf(status, byStatus.get(status) ?? []);
  }
  return responses;
}

function errorResponseOf(status: number, codes: ErrorCode[]): Record<string, unknown> {
  const lines = codes.map((code) => `- \`${code}\`: ${ERROR_DESCRIPTIONS[code]}`);
  // The JWT authorizer and the stage throttle answer before the function, without a problem body.
  const fromGateway = status === 401 || status === 429;
  if (fromGateway)
    lines.push('- API Gateway may answer this status itself, as `application/json` `{"message"}`.');
  return {
    description: lines.join('\n'),
    ...(status === 429
      ? {
          headers: {
            'Retry-After': {
              description: 'Seconds to wait before retrying (sent with a problem body).',
              schema: { type: 'integer', minimum: 0 },
            },
          },
        }
      : {}),
    content: {
      [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_REF },
      ...(fromGateway ? { 'application/json': { schema: GATEWAY_ERROR_REF } } : {}),
    },
  };
}

/**
 * A zod schema as an OpenAPI 3.1 Schema Object (JSON Schema 2020-12), without
 * the `$schema` key. Refinements (`exactly one of …`) have no JSON Schema form
 * and are left out; the server still enforces them.
 */
function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output', what: string): JsonSchema {
  const { $schema: _dialect, ...converted } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  // `#/$defs/…` would resolve against the OpenAPI document's root, not the schema: it would dangle.
  if ('$defs' in converted) {
    throw new Error(`The ${what} schema has named or recursive parts; move them to components first`);
  }
  return converted;
}
