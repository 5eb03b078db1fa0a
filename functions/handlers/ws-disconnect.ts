import type { Context } from 'aws-lambda';
import { closeConnection } from '../chat/connection/close-connection';
import { metricsRecorder } from '../composition/metrics';
import { buildDisconnectDeps } from '../composition/ws-connection';
import { ConnectionAuthSchema, WebSocketEventSchema } from '../edge/events';
import { beginRequest, createLogger, withMetrics } from '../observability';

const logger = createLogger('ws-disconnect');
const metrics = metricsRecorder('ws-disconnect');
const close = closeConnection(buildDisconnectDeps());

/** `$disconnect`: best effort by API Gateway; a missed one is made up for by the liveness check (`checkConnection`). */
export const handler = withMetrics(metrics, async (rawEvent: unknown, context?: Context) => {
  const event = WebSocketEventSchema.parse(rawEvent);
  const { connectionId, requestId } = event.requestContext;
  beginRequest(logger, context, requestId);
  const { userId } = ConnectionAuthSchema.parse(event.requestContext.authorizer);
  await close({ connectionId, userId, correlationId: requestId });
  logger.info('Connection closed', { connectionId, userId });
  return { statusCode: 200 };
});
