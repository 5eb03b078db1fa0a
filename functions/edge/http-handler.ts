import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { ROUTES, refusesEndedSessions, routeKeyOf } from '../../shared/api/routes';
import { ErrorCode } from '../../shared/protocol/errors';
import { checkSession } from '../chat/session/session-mark';
import { beginRequest, withMetrics } from '../observability';
import type { ConnectionStore } from '../ports/connection-store';
import type { MetricsRecorder } from '../ports/metrics';
import type { RateLimiter } from '../ports/rate-limiter';
import { AccessClaimsSchema, HttpEventSchema } from './events';
import { httpErrorResult, problemResult } from './http-response';
import { HTTP_ROUTE_GROUPS, type HttpRouteGroup, type RoutesOf } from './http-route-groups';
import { type Handlers, type HttpCaller, serveRoute } from './http-router';

/** One use-case call per route of a group. */
export type GroupHandlers<G extends HttpRouteGroup> = Pick<Handlers, RoutesOf<G>>;

export interface HttpHandlerDeps {
  /** Where the users' sign-out marks are read; required by a group with a route that changes state. */
  readonly sessions?: Pick<ConnectionStore, 'signedOutAt'>;
  /** Counts a signed-in caller's GETs against their `read` allowance. */
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * The Lambda handler of one group of HTTP routes, behind API Gateway's Cognito
 * JWT authorizer (all but the API description): finds the route, takes the
 * caller from the access token's claims, refuses a token issued before its user
 * signed out everywhere on a route that changes state (API Gateway's authorizer
 * cannot know of the sign-out), counts a GET against the caller's `read`
 * allowance, serves it, and maps a thrown error. The invocation's metrics are
 * sent once it ends.
 *
 * @example
 * export const handler = httpHandler('chat', { listConversations: …, … }, logger, metrics, deps);
 */
export function httpHandler<G extends HttpRouteGroup>(
  group: G,
  handlers: GroupHandlers<G>,
  logger: Logger,
  metrics: MetricsRecorder,
  /** `undefined` only for a group of public routes: no caller to count, no sign-out to check. */
  deps: HttpHandlerDeps | undefined,
) {
  const routeIds = new Map<string, RoutesOf<G>>(
    HTTP_ROUTE_GROUPS[group].map((id: RoutesOf<G>) => [routeKeyOf(ROUTES[id]), id]),
  );
  const sessions = deps?.sessions;
  if (!sessions && HTTP_ROUTE_GROUPS[group].some((id: RoutesOf<G>) => refusesEndedSessions(ROUTES[id]))) {
    throw new Error(`The ${group} routes change state: they need the sign-out marks (sessions)`);
  }
  const check = sessions ? checkSession({ connections: sessions }) : undefined;
  return withMetrics(metrics, async (rawEvent: unknown, context?: Context) => {
    const event = HttpEventSchema.parse(rawEvent);
    const { requestId } = event.requestContext;
    beginRequest(logger, context, requestId);
    const id = routeIds.get(event.routeKey);
    if (!id) return problemResult(ErrorCode.NotFound, `No route ${event.routeKey}`, requestId);
    let caller: HttpCaller = { userId: '', username: '', correlationId: requestId };
    let issuedAt = 0;
    if (ROUTES[id].auth === 'jwt') {
      const claims = AccessClaimsSchema.safeParse(event.requestContext.authorizer?.jwt.claims);
      if (!claims.success)
        return problemResult(ErrorCode.Unauthorized, 'An access token is required', requestId);
      caller = {
        userId: claims.data.sub,
        username: claims.data.username,
        correlationId: requestId,
        ...(claims.data.auth_time === undefined ? {} : { signedInAt: claims.data.auth_time }),
      };
      issuedAt = claims.data.iat;
    }
    try {
      if (check && refusesEndedSessions(ROUTES[id])) await check({ userId: caller.userId, issuedAt });
      // Reads are counted like writes: one user's polling must not use up the stage's shared throttle.
      if (ROUTES[id].method === 'GET' && caller.userId !== '') {
        if (!deps) throw new Error(`Route ${id} has a caller but no read allowance`);
        // Counted while it is served rather than before, saving a round trip on every read; a refusal wins.
        // A read changes nothing a retry would not (the first GET /me makes the profile, reading an epoch
        // finishes an abandoned commit: both repeatable), so serving one that is then refused is harmless.
        const [counted, served] = await Promise.allSettled([
          deps.rateLimiter.consume(caller.userId, 'read', deps.clock()),
          serveRoute(id, event, caller, handlers),
        ]);
        if (counted.status === 'rejected') throw counted.reason;
        if (served.status === 'rejected') throw served.reason;
        return served.value;
      }
      return await serveRoute(id, event, caller, handlers);
    } catch (error) {
      return httpErrorResult(error, requestId, logger, metrics);
    }
  });
}
