import type { Context } from 'aws-lambda';
import { HTTP_STATUS_BY_CODE } from '../../shared/protocol/errors';
import { DeviceIdSchema } from '../../shared/protocol/ids';
import { WEBSOCKET_SUBPROTOCOL } from '../../shared/protocol/limits';
import { parseProtocols } from '../chat/connection/authorize-connection';
import { openConnection } from '../chat/connection/open-connection';
import { metricsRecorder } from '../composition/metrics';
import { buildConnectDeps } from '../composition/ws-connection';
import { ConnectionAuthSchema, header, WebSocketEventSchema } from '../edge/events';
import { LimitReachedError, SessionEndedError } from '../errors';
import { beginRequest, createLogger, withMetrics } from '../observability';

const logger = createLogger('ws-connect');
const metrics = metricsRecorder('ws-connect');
const open = openConnection(buildConnectDeps());

/**
 * `$connect`, after the authorizer: stores the connection (with the device it names in `?deviceId=`, if
 * any) and echoes our sub-protocol if offered. A malformed device id refuses the connection (400), as
 * does one past the user's socket cap (409, `LIMIT_REACHED`); a sign-out everywhere since the token was
 * issued refuses it too (401).
 */
export const handler = withMetrics(metrics, async (rawEvent: unknown, context?: Context) => {
  const event = WebSocketEventSchema.parse(rawEvent);
  const { connectionId, requestId } = event.requestContext;
  beginRequest(logger, context, requestId);
  const { userId, issuedAt } = ConnectionAuthSchema.parse(event.requestContext.authorizer);
  const named = event.queryStringParameters?.deviceId;
  const device = named === undefined ? undefined : DeviceIdSchema.safeParse(named);
  if (device && !device.success) {
    logger.warn('Connection refused: malformed device id', { connectionId, userId });
    return { statusCode: 400 };
  }
  try {
    await open({
      connectionId,
      userId,
      correlationId: requestId,
      ...(device ? { deviceId: device.data } : {}),
      ...(issuedAt === undefined ? {} : { tokenIssuedAt: issuedAt }),
    });
  } catch (error) {
    if (error instanceof SessionEndedError) {
      // The user signed out everywhere between the authorizer and here: refused as the authorizer would.
      logger.info('Connection refused: session ended', { connectionId, userId });
      return { statusCode: 401 };
    }
    if (!(error instanceof LimitReachedError)) throw error;
    metrics.capReached();
    logger.warn('Connection refused: socket cap reached', { connectionId, userId, cap: error.limit });
    return { statusCode: HTTP_STATUS_BY_CODE[error.code] };
  }
  logger.info('Connection opened', { connectionId, userId, ...(device ? { deviceId: device.data } : {}) });
  const offered = parseProtocols(header(event.headers, 'sec-websocket-protocol'));
  // A browser that offered sub-protocols drops a connection whose answer names none of them.
  return offered.includes(WEBSOCKET_SUBPROTOCOL)
    ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': WEBSOCKET_SUBPROTOCOL } }
    : { statusCode: 200 };
});
