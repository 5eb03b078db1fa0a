import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ErrorCode } from '../../shared/protocol/errors';
import { getMe } from '../chat/profile/get-me';
import { buildHttpDeps } from '../composition';
import { AccessClaimsSchema, type HttpEvent, HttpEventSchema } from '../edge/events';
import { httpErrorResult, jsonResult, problemResult } from '../edge/http-response';
import { beginRequest, createLogger } from '../observability';

const logger = createLogger('http-api');
const deps = buildHttpDeps();
const me = getMe(deps);

interface Caller {
  readonly userId: string;
  readonly username: string;
}

type Route = (event: HttpEvent, caller: Caller) => Promise<APIGatewayProxyStructuredResultV2>;

/** Route keys as API Gateway names them (`METHOD /path`), matching infra/topology.ts. */
const routes: Record<string, Route> = {
  'GET /me': async (_event, caller) => jsonResult(200, await me(caller)),
};

/** The HTTP API, behind API Gateway's Cognito JWT authorizer. */
export const handler = async (rawEvent: unknown, context?: Context) => {
  const event = HttpEventSchema.parse(rawEvent);
  const { requestId } = event.requestContext;
  beginRequest(logger, context, requestId);
  const route = routes[event.routeKey];
  if (!route) return problemResult(ErrorCode.NotFound, `No route ${event.routeKey}`, requestId);
  const claims = AccessClaimsSchema.safeParse(event.requestContext.authorizer.jwt.claims);
  if (!claims.success) return problemResult(ErrorCode.Unauthorized, 'An access token is required', requestId);
  try {
    return await route(event, { userId: claims.data.sub, username: claims.data.username });
  } catch (error) {
    return httpErrorResult(error, requestId, logger);
  }
};
