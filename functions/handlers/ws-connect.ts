import type { Context } from 'aws-lambda';
import { WEBSOCKET_SUBPROTOCOL } from '../../shared/protocol/limits';
import { parseProtocols } from '../chat/connection/authorize-connection';
import { openConnection } from '../chat/connection/open-connection';
import { buildConnectionDeps } from '../composition/ws-connection';
import { ConnectionAuthSchema, header, WebSocketEventSchema } from '../edge/events';
import { beginRequest, createLogger } from '../observability';

const logger = createLogger('ws-connect');
const open = openConnection(buildConnectionDeps());

/** `$connect`, after the authorizer: stores the connection and echoes our sub-protocol if offered. */
export const handler = async (rawEvent: unknown, context?: Context) => {
  const event = WebSocketEventSchema.parse(rawEvent);
  const { connectionId, requestId } = event.requestContext;
  beginRequest(logger, context, requestId);
  const { userId } = ConnectionAuthSchema.parse(event.requestContext.authorizer);
  await open({ connectionId, userId, correlationId: requestId });
  logger.info('Connection opened', { connectionId, userId });
  const offered = parseProtocols(header(event.headers, 'sec-websocket-protocol'));
  // A browser that offered sub-protocols drops a connection whose answer names none of them.
  return offered.includes(WEBSOCKET_SUBPROTOCOL)
    ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': WEBSOCKET_SUBPROTOCOL } }
    : { statusCode: 200 };
};
