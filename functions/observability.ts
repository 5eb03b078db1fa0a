import { Logger } from '@aws-lambda-powertools/logger';
import type { MetricsRecorder } from './ports/metrics';

/**
 * One logger per function. Messages are fixed strings; data goes in an object.
 * Never pass bodies, ciphertext, tokens or whole events.
 *
 * @example
 * const logger = createLogger('ws-send');
 * logger.info('Message stored', { conversationId, seq });
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName, persistentKeys: { stage: process.env.PARLEY_STAGE ?? 'unknown' } });
}

/**
 * Starts a request's log scope: the Lambda context and a correlation id that
 * follows the request into its fan-out job.
 */
export function beginRequest(
  logger: Logger,
  context: { awsRequestId: string; functionName: string } | undefined,
  correlationId: string,
): void {
  logger.resetKeys();
  if (context) logger.addContext(context as Parameters<Logger['addContext']>[0]);
  logger.appendKeys({ correlationId });
}

/**
 * A handler whose invocation's metrics are sent once it ends, however it ends: one EMF line per
 * invocation at most.
 *
 * @example
 * export const handler = withMetrics(metrics, async (event, context) => { … });
 */
export function withMetrics<A extends unknown[], R>(
  metrics: Pick<MetricsRecorder, 'flush'>,
  handler: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await handler(...args);
    } finally {
      metrics.flush();
    }
  };
}
