import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { ROUTES, routeKeyOf } from '../../shared/api/routes';
import { ErrorCode } from '../../shared/protocol/errors';
import { beginRequest } from '../observability';
import type { RateLimiter } from '../ports/rate-limiter';
import { AccessClaimsSchema, HttpEventSchema } from './events';
import { httpErrorResult, problemResult } from './http-response';
import { HTTP_ROUTE_GROUPS, type HttpRouteGroup, type RoutesOf } from './http-route-groups';
import { type Handlers, serveRoute } from './http-router';

/** One use-case call per route of a group. */
export type GroupHandlers<G extends HttpRouteGroup> = Pick<Handlers, RoutesOf<G>>;

/** What counts a signed-in caller's GETs against their `read` allowance. */
export interface ReadAllowance {
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * The Lambda handler of one group of HTTP routes, behind API Gateway's Cognito
 * JWT authorizer (all but the API description): finds the route, takes the
 * caller from the access token's claims, counts a GET against the caller's
 * `read` allowance, serves it, and maps a thrown error.
 *
 * @example
 * export const handler = httpHandler('chat', { listConversations: …, … }, logger, deps);
 */
export function httpHandler<G extends HttpRouteGroup>(
  group: G,
  handlers: GroupHandlers<G>,
  logger: Logger,
  /** `undefined` only for a group of public routes, which have no caller to count. */
  reads: ReadAllowance | undefined,
) {
  const routeIds = new Map<string, RoutesOf<G>>(
    HTTP_ROUTE_GROUPS[group].map((id: RoutesOf<G>) => [routeKeyOf(ROUTES[id]), id]),
  );
  return async (rawEvent: unknown, context?: Context) => {
    const event = HttpEventSchema.parse(rawEvent);
    const { requestId } = event.requestContext;
    beginRequest(logger, context, requestId);
    const id = routeIds.get(event.routeKey);
    if (!id) return problemResult(ErrorCode.NotFound, `No route ${event.routeKey}`, requestId);
    let caller = { userId: '', username: '', correlationId: requestId };
    if (ROUTES[id].auth === 'jwt') {
      const claims = AccessClaimsSchema.safeParse(event.requestContext.authorizer?.jwt.claims);
      if (!claims.success)
        return problemResult(ErrorCode.Unauthorized, 'An access token is required', requestId);
      caller = { userId: claims.data.sub, username: claims.data.username, correlationId: requestId };
    }
    try {
      // Reads are counted like writes: one user's polling must not use up the stage's shared throttle.
      if (ROUTES[id].method === 'GET' && caller.userId !== '') {
        if (!reads) throw new Error(`Route ${id} has a caller but no read allowance`);
        await reads.rateLimiter.consume(caller.userId, 'read', reads.clock());
      }
      return await serveRoute(id, event, caller, handlers);
    } catch (error) {
      return httpErrorResult(error, requestId, logger);
    }
  };
}
