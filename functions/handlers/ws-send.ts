import type { Context } from 'aws-lambda';
import { peekRequestId, SendFrameSchema } from '../../shared/protocol/inbound';
import { sendMessage } from '../chat/message/send-message';
import { metricsRecorder } from '../composition/metrics';
import { buildSendDeps } from '../composition/ws-send';
import { ConnectionAuthSchema, frameText, WebSocketEventSchema } from '../edge/events';
import { parseJson, parseWith } from '../edge/parse';
import { errorResult, frameResult } from '../edge/ws-response';
import { beginRequest, createLogger, withMetrics } from '../observability';

const logger = createLogger('ws-send');
const metrics = metricsRecorder('ws-send');
const send = sendMessage({ ...buildSendDeps(), metrics });

/** `send`: stores a message and answers with an ack frame (or an error frame). */
export const handler = withMetrics(metrics, async (rawEvent: unknown, context?: Context) => {
  const event = WebSocketEventSchema.parse(rawEvent);
  const { connectionId, requestId } = event.requestContext;
  beginRequest(logger, context, requestId);
  let raw: unknown;
  try {
    raw = parseJson(frameText(event));
    const frame = parseWith(SendFrameSchema, raw);
    const { userId } = ConnectionAuthSchema.parse(event.requestContext.authorizer);
    const ack = await send({
      senderId: userId,
      connectionId,
      correlationId: requestId,
      requestId: frame.requestId,
      conversationId: frame.conversationId,
      recipientId: frame.recipientId,
      messageId: frame.messageId,
      body: frame.body,
      kind: frame.kind,
      refSeq: frame.refSeq,
      attachmentIds: frame.attachmentIds,
    });
    logger.info('Message stored', { conversationId: ack.conversationId, seq: ack.seq });
    return frameResult(ack);
  } catch (error) {
    return errorResult(error, peekRequestId(raw) ?? requestId, logger, metrics);
  }
});
