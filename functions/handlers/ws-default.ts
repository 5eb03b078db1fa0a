import type { Context } from 'aws-lambda';
import { parseEnvelope, peekRequestId } from '../../shared/protocol/inbound';
import { metricsRecorder } from '../composition/metrics';
import { frameText, WebSocketEventSchema } from '../edge/events';
import { parseJson } from '../edge/parse';
import { errorResult } from '../edge/ws-response';
import { UnknownActionError, ValidationError } from '../errors';
import { beginRequest, createLogger, withMetrics } from '../observability';

const logger = createLogger('ws-default');
const metrics = metricsRecorder('ws-default');

/** `$default`: every frame no route matched. Always answers with an error frame. */
export const handler = withMetrics(metrics, async (rawEvent: unknown, context?: Context) => {
  const event = WebSocketEventSchema.parse(rawEvent);
  const { requestId } = event.requestContext;
  beginRequest(logger, context, requestId);
  let raw: unknown;
  try {
    raw = parseJson(frameText(event));
    const envelope = parseEnvelope(raw);
    if (!envelope.success) throw new ValidationError('A frame is a JSON object with a string "action"');
    throw new UnknownActionError(envelope.data.action);
  } catch (error) {
    return errorResult(error, peekRequestId(raw) ?? requestId, logger, metrics);
  }
});
