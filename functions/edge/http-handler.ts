import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { ROUTES, routeKeyOf } from '../../shared/api/routes';
import { ErrorCode } from '../../shared/protocol/errors';
import { beginRequest } from '../observability';
import { AccessClaimsSchema, HttpEventSchema } from './events';
import { httpErrorResult, problemResult } from './http-response';
import { HTTP_ROUTE_GROUPS, type HttpRouteGroup, type RoutesOf } from './http-route-groups';
import { type Handlers, serveRoute } from './http-router';

/** One use-case call per route of a group. */
export type GroupHandlers<G extends HttpRouteGroup> = Pick<Handlers, RoutesOf<G>>;

/**
 * The Lambda handler of one group of HTTP routes, behind API Gateway's Cognito
 * JWT authorizer (all but the API description): finds the route, takes the
 * caller from the access token's claims, serves it, and maps a thrown error.
 *
 * @example
 * export const handler = httpHandler('chat', { listConversations: …, … }, logger);
 */
export function httpHandler<G extends HttpRouteGroup>(group: G, handlers: GroupHandlers<G>, logger: Logger) {
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
      return await serveRoute(id, event, caller, handlers);
    } catch (error) {
      return httpErrorResult(error, requestId, logger);
    }
  };
}
