import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ErrorCode } from '../../shared/protocol/errors';
import { getMe } from '../chat/profile/get-me';
import { buildHttpDeps } from '../composition';
import { type HttpEvent, HttpEventSchema } from '../edge/events';
import { httpErrorResult, jsonResult, problemResult } from '../edge/http-response';
import { beginRequest, createLogger } from '../observability';

const logger = createLogger('http-api');
const deps = buildHttpDeps();
const me = getMe(deps);

type Route = (event: HttpEvent) => Promise<APIGatewayProxyStructuredResultV2>;

/** Route keys as API Gateway names them (`METHOD /path`), matching infra/topology.ts. */
const routes: Record<string, Route> = {
  'GET /me': async (event) => {
    const { sub, username } = event.requestContext.authorizer.jwt.claims;
    return jsonResult(200, await me({ userId: sub, username }));
  },
};

/** The HTTP API, behind API Gateway's Cognito JWT authorizer. */
export const handler = async (rawEvent: unknown, context?: Context) => {
  const event = HttpEventSchema.parse(rawEvent);
  const { requestId } = event.requestContext;
  beginRequest(logger, context, requestId);
  const route = routes[event.routeKey];
  if (!route) return problemResult(ErrorCode.NotFound, `No route ${event.routeKey}`, requestId);
  try {
    return await route(event);
  } catch (error) {
    return httpErrorResult(error, requestId, logger);
  }
};
