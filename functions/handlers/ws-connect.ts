import type { Context } from 'aws-lambda';
import { DeviceIdSchema } from '../../shared/protocol/ids';
import { WEBSOCKET_SUBPROTOCOL } from '../../shared/protocol/limits';
import { parseProtocols } from '../chat/connection/authorize-connection';
import { openConnection } from '../chat/connection/open-connection';
import { buildConnectDeps } from '../composition/ws-connection';
import { ConnectionAuthSchema, header, WebSocketEventSchema } from '../edge/events';
import { beginRequest, createLogger } from '../observability';

const logger = createLogger('ws-connect');
const open = openConnection(buildConnectDeps());

/**
 * `$connect`, after the authorizer: stores the connection (with the device it names in `?deviceId=`, if
 * any) and echoes our sub-protocol if offered. A malformed device id refuses the connection (400).
 */
export const handler = async (rawEvent: unknown, context?: Context) => {
  const event = WebSocketEventSchema.parse(rawEvent);
  const { connectionId, requestId } = event.requestContext;
  beginRequest(logger, context, requestId);
  const { userId } = ConnectionAuthSchema.parse(event.requestContext.authorizer);
  const named = event.queryStringParameters?.deviceId;
  const device = named === undefined ? undefined : DeviceIdSchema.safeParse(named);
  if (device && !device.success) {
    logger.warn('Connection refused: malformed device id', { connectionId, userId });
    return { statusCode: 400 };
  }
  await open({
    connectionId,
    userId,
    correlationId: requestId,
    ...(device ? { deviceId: device.data } : {}),
  });
  logger.info('Connection opened', { connectionId, userId, ...(device ? { deviceId: device.data } : {}) });
  const offered = parseProtocols(header(event.headers, 'sec-websocket-protocol'));
  // A browser that offered sub-protocols drops a connection whose answer names none of them.
  return offered.includes(WEBSOCKET_SUBPROTOCOL)
    ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': WEBSOCKET_SUBPROTOCOL } }
    : { statusCode: 200 };
};
