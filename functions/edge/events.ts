import * as z from '../../shared/zod';

/**
 * The parts of API Gateway's events Parley reads, validated rather than cast.
 * Only the fields used are listed; API Gateway sends many more.
 */
const headers = z.nullish(z.record(z.string(), z.optional(z.string())));

export const AuthorizerEventSchema = z.object({
  methodArn: z.string(),
  headers,
  queryStringParameters: z.nullish(z.record(z.string(), z.optional(z.string()))),
  requestContext: z.object({ requestId: z.string(), connectionId: z.optional(z.string()) }),
});

/** The authorizer's `context`, as API Gateway hands it to every route of the connection. */
export const ConnectionAuthSchema = z.object({
  userId: z.string().check(z.minLength(1)),
  /** The `iat` of the token the connection opened with, epoch seconds (a context value may arrive as text). */
  issuedAt: z.optional(z.coerce.number().check(z.int(), z.nonnegative())),
});

export const WebSocketEventSchema = z.object({
  body: z.nullish(z.string()),
  isBase64Encoded: z.optional(z.boolean()),
  headers,
  /** `$connect` only. */
  queryStringParameters: z.nullish(z.record(z.string(), z.optional(z.string()))),
  requestContext: z.object({
    routeKey: z.string(),
    connectionId: z.string().check(z.minLength(1)),
    requestId: z.string(),
    authorizer: z.optional(ConnectionAuthSchema),
  }),
});
export type WebSocketEvent = z.infer<typeof WebSocketEventSchema>;

export const HttpEventSchema = z.object({
  routeKey: z.string(),
  body: z.nullish(z.string()),
  isBase64Encoded: z.optional(z.boolean()),
  pathParameters: z.nullish(z.record(z.string(), z.optional(z.string()))),
  queryStringParameters: z.nullish(z.record(z.string(), z.optional(z.string()))),
  requestContext: z.object({
    requestId: z.string(),
    // Absent on public routes. API Gateway's JWT authorizer also passes id tokens; the handler insists on access tokens.
    authorizer: z.optional(z.object({ jwt: z.object({ claims: z.record(z.string(), z.unknown()) }) })),
  }),
});
export type HttpEvent = z.infer<typeof HttpEventSchema>;

/** EventBridge's scheduled event (`detail-type: Scheduled Event`), as a schedule invokes a function. */
export const ScheduledEventSchema = z.object({
  id: z.string(),
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  time: z.string(),
});

/** Claims of a Cognito access token: the only token the HTTP API accepts. */
export const AccessClaimsSchema = z.object({
  sub: z.string().check(z.minLength(1)),
  username: z.string().check(z.minLength(1)),
  token_use: z.literal('access'),
  /** Epoch seconds. API Gateway's JWT authorizer passes every claim as text. */
  iat: z.coerce.number().check(z.int(), z.nonnegative()),
  /** Epoch seconds: when the person signed in with their password; a refresh keeps it. */
  auth_time: z.optional(z.coerce.number().check(z.int(), z.nonnegative())),
});

/** Header lookup ignoring case: API Gateway keeps the client's casing. */
export function header(all: Record<string, string | undefined> | null | undefined, name: string) {
  if (!all) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(all)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** Text of a WebSocket frame, whether API Gateway passed it as text or base64. */
export function frameText(event: WebSocketEvent): string {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}
