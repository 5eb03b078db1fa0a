import * as z from 'zod';

/**
 * The parts of API Gateway's events Parley reads, validated rather than cast.
 * Only the fields used are listed; API Gateway sends many more.
 */
const headers = z.record(z.string(), z.string().optional()).nullish();

export const AuthorizerEventSchema = z.object({
  methodArn: z.string(),
  headers,
  queryStringParameters: z.record(z.string(), z.string().optional()).nullish(),
  requestContext: z.object({ requestId: z.string(), connectionId: z.string().optional() }),
});

/** The authorizer's `context`, as API Gateway hands it to every route of the connection. */
export const ConnectionAuthSchema = z.object({ userId: z.string().min(1) });

export const WebSocketEventSchema = z.object({
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().optional(),
  headers,
  /** `$connect` only. */
  queryStringParameters: z.record(z.string(), z.string().optional()).nullish(),
  requestContext: z.object({
    routeKey: z.string(),
    connectionId: z.string().min(1),
    requestId: z.string(),
    authorizer: ConnectionAuthSchema.optional(),
  }),
});
export type WebSocketEvent = z.infer<typeof WebSocketEventSchema>;

export const HttpEventSchema = z.object({
  routeKey: z.string(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().optional(),
  pathParameters: z.record(z.string(), z.string().optional()).nullish(),
  queryStringParameters: z.record(z.string(), z.string().optional()).nullish(),
  requestContext: z.object({
    requestId: z.string(),
    // Absent on public routes. API Gateway's JWT authorizer also passes id tokens; the handler insists on access tokens.
    authorizer: z.object({ jwt: z.object({ claims: z.record(z.string(), z.unknown()) }) }).optional(),
  }),
});
export type HttpEvent = z.infer<typeof HttpEventSchema>;

/** Claims of a Cognito access token: the only token the HTTP API accepts. */
export const AccessClaimsSchema = z.object({
  sub: z.string().min(1),
  username: z.string().min(1),
  token_use: z.literal('access'),
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
