import type { Context } from 'aws-lambda';
import {
  DeleteFrameSchema,
  InboundAction,
  peekRequestId,
  ReceiptFrameSchema,
  TypingFrameSchema,
} from '../../shared/protocol/inbound';
import { okFrame } from '../../shared/protocol/outbound';
import { deleteMessage } from '../chat/message/delete-message';
import { relayTyping } from '../chat/presence/relay-typing';
import { advanceReceipts } from '../chat/receipt/advance-receipts';
import { metricsRecorder } from '../composition/metrics';
import { buildActionDeps } from '../composition/ws-action';
import { ConnectionAuthSchema, frameText, WebSocketEventSchema } from '../edge/events';
import { parseJson, parseWith } from '../edge/parse';
import { errorResult, frameResult, noReply } from '../edge/ws-response';
import { UnknownActionError } from '../errors';
import { beginRequest, createLogger, withMetrics } from '../observability';

const logger = createLogger('ws-action');
const metrics = metricsRecorder('ws-action');
const deps = buildActionDeps();
const remove = deleteMessage(deps);
const receipt = advanceReceipts(deps);
const typing = relayTyping(deps);

/**
 * `delete`, `receipt` and `typing`. They answer `{type:"ok"}` only when the
 * frame carried a `requestId`: every reply is a billed message.
 */
export const handler = withMetrics(metrics, async (rawEvent: unknown, context?: Context) => {
  const event = WebSocketEventSchema.parse(rawEvent);
  const { connectionId, requestId, routeKey } = event.requestContext;
  beginRequest(logger, context, requestId);
  let raw: unknown;
  try {
    raw = parseJson(frameText(event));
    const { userId } = ConnectionAuthSchema.parse(event.requestContext.authorizer);
    const caller = { userId, connectionId, correlationId: requestId };
    let clientRequestId: string | undefined;
    switch (routeKey) {
      case InboundAction.Delete: {
        const frame = parseWith(DeleteFrameSchema, raw);
        clientRequestId = frame.requestId;
        await remove(caller, frame.conversationId, frame.seq);
        logger.info('Message deleted', { conversationId: frame.conversationId, seq: frame.seq });
        break;
      }
      case InboundAction.Receipt: {
        const frame = parseWith(ReceiptFrameSchema, raw);
        clientRequestId = frame.requestId;
        await receipt(caller, frame.conversationId, { delivered: frame.delivered, read: frame.read });
        break;
      }
      case InboundAction.Typing: {
        const frame = parseWith(TypingFrameSchema, raw);
        clientRequestId = frame.requestId;
        const report = await typing(caller, frame.conversationId, frame.state);
        logger.debug('Typing relayed', { conversationId: frame.conversationId, ...report });
        break;
      }
      default:
        throw new UnknownActionError(routeKey);
    }
    return clientRequestId ? frameResult(okFrame({ requestId: clientRequestId })) : noReply();
  } catch (error) {
    return errorResult(error, peekRequestId(raw) ?? requestId, logger, metrics);
  }
});
