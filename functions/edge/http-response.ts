import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ErrorCode, HTTP_STATUS_BY_CODE } from '../../shared/protocol/errors';
import { PROBLEM_CONTENT_TYPE, problem } from '../../shared/protocol/problem';
import { asUnavailable, ParleyError } from '../errors';
import type { BusinessMetrics } from '../ports/metrics';
import { countRefusal } from './refusals';

const TITLES: Record<ErrorCode, string> = {
  INVALID_JSON: 'Invalid JSON',
  UNKNOWN_ACTION: 'Unknown action',
  VALIDATION_FAILED: 'Validation failed',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNAUTHORIZED: 'Unauthorized',
  SESSION_ENDED: 'Session ended',
  REAUTHENTICATION_REQUIRED: 'Sign in again',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  SEND_IN_PROGRESS: 'Send in progress',
  CONFLICT: 'Conflict',
  IMMUTABLE: 'Immutable message',
  LIMIT_REACHED: 'Limit reached',
  RATE_LIMITED: 'Too many requests',
  INTERNAL: 'Internal error',
  UNAVAILABLE: 'Service unavailable',
};

export function jsonResult(status: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

export function problemResult(
  code: ErrorCode,
  detail: string,
  requestId: string,
): APIGatewayProxyStructuredResultV2 {
  const status = HTTP_STATUS_BY_CODE[code];
  return {
    statusCode: status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' },
    body: JSON.stringify(problem({ title: TITLES[code], status, detail, code, requestId })),
  };
}

/** The one mapper from a thrown error to a problem+json response; a rate limit or a cap reached is counted. */
export function httpErrorResult(
  error: unknown,
  requestId: string,
  logger: Logger,
  metrics: Pick<BusinessMetrics, 'rateLimited' | 'capReached'>,
): APIGatewayProxyStructuredResultV2 {
  if (error instanceof ParleyError) {
    countRefusal(error, metrics);
    logger.info('Request refused', { code: error.code, reason: error.name });
    const result = problemResult(error.code, error.message, requestId);
    if (error.retryAfterSeconds !== undefined) {
      return { ...result, headers: { ...result.headers, 'retry-after': String(error.retryAfterSeconds) } };
    }
    return result;
  }
  const unavailable = asUnavailable(error);
  if (unavailable) {
    logger.error('Dependency unavailable', { error: error as Error });
    const result = problemResult(unavailable.code, unavailable.message, requestId);
    return {
      ...result,
      headers: { ...result.headers, 'retry-after': String(unavailable.retryAfterSeconds) },
    };
  }
  logger.error('Request failed', { error: error as Error });
  return problemResult(ErrorCode.Internal, 'Internal error; the request may be retried', requestId);
}
