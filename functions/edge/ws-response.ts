import type { Logger } from '@aws-lambda-powertools/logger';
import { ErrorCode } from '../../shared/protocol/errors';
import { errorFrame, type OutboundFrame } from '../../shared/protocol/outbound';
import { asUnavailable, ParleyError } from '../errors';
import type { BusinessMetrics } from '../ports/metrics';
import { countRefusal } from './refusals';

/** What a two-way WebSocket route returns: API Gateway sends `body` to the caller as a frame. */
export interface WebSocketRouteResult {
  statusCode: number;
  body?: string;
}

/** A two-way route that has nothing to say: API Gateway sends no frame for an empty body. */
export function noReply(): WebSocketRouteResult {
  return { statusCode: 200 };
}

export function frameResult(frame: OutboundFrame, statusCode = 200): WebSocketRouteResult {
  return { statusCode, body: JSON.stringify(frame) };
}

/**
 * The one mapper from a thrown error to an error frame. Known errors keep
 * their code and message (a rate limit or a cap reached is counted); anything
 * else is logged and answered as INTERNAL, never with its message or stack.
 */
export function errorResult(
  error: unknown,
  requestId: string,
  logger: Logger,
  metrics: Pick<BusinessMetrics, 'rateLimited' | 'capReached'>,
): WebSocketRouteResult {
  if (error instanceof ParleyError) {
    countRefusal(error, metrics);
    logger.info('Request refused', { code: error.code, reason: error.name });
    return frameResult(
      errorFrame({
        code: error.code,
        message: error.message,
        requestId,
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      }),
      200,
    );
  }
  const unavailable = asUnavailable(error);
  if (unavailable) {
    logger.error('Dependency unavailable', { error: error as Error });
    return frameResult(
      errorFrame({
        code: unavailable.code,
        message: unavailable.message,
        requestId,
        retryAfterSeconds: unavailable.retryAfterSeconds,
      }),
      200,
    );
  }
  logger.error('Request failed', { error: error as Error });
  return frameResult(
    errorFrame({
      code: ErrorCode.Internal,
      message: 'Internal error; the request may be retried',
      requestId,
    }),
    200,
  );
}
