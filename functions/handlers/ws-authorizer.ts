import type { APIGatewayAuthorizerResult, Context } from 'aws-lambda';
import { authorizeConnection } from '../chat/connection/authorize-connection';
import { metricsRecorder } from '../composition/metrics';
import { buildAuthorizerDeps } from '../composition/ws-authorizer';
import { AuthorizerEventSchema, header } from '../edge/events';
import { UnauthorizedError } from '../errors';
import { beginRequest, createLogger, withMetrics } from '../observability';

const logger = createLogger('ws-authorizer');
const metrics = metricsRecorder('ws-authorizer');
const authorize = authorizeConnection(buildAuthorizerDeps());

/** `$connect` REQUEST authorizer. Throwing `Unauthorized` is API Gateway's signal for a 401. */
export const handler = withMetrics(
  metrics,
  async (rawEvent: unknown, context?: Context): Promise<APIGatewayAuthorizerResult> => {
    const event = AuthorizerEventSchema.parse(rawEvent);
    beginRequest(logger, context, event.requestContext.requestId);
    try {
      const identity = await authorize({
        queryToken: event.queryStringParameters?.token,
        protocolHeader: header(event.headers, 'sec-websocket-protocol'),
      });
      logger.info('Connection authorized', { userId: identity.userId });
      return {
        principalId: identity.userId,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
        },
        // `$connect` stores the connection only if no sign-out came since this token was issued.
        context: { userId: identity.userId, issuedAt: identity.issuedAt },
      };
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      const cause = error.cause instanceof Error ? error.cause.name : undefined;
      logger.info('Connection refused', { reason: error.message, cause });
      throw new Error('Unauthorized');
    }
  },
);
