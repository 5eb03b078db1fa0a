import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { sendPushes } from '../chat/webpush/send-pushes';
import { metricsRecorder } from '../composition/metrics';
import { buildPushSenderDeps } from '../composition/push-sender';
import { parseJson, parseWith } from '../edge/parse';
import { ParleyError } from '../errors';
import { createLogger, withMetrics } from '../observability';
import { type PushJob, PushJobSchema } from '../ports/push-queue';

const logger = createLogger('push-sender');
const metrics = metricsRecorder('push-sender');
const send = sendPushes(buildPushSenderDeps());

/**
 * A batch of push jobs is sent as one: jobs for the same device and conversation become one notification.
 * A job that cannot be read is logged at ERROR (what names it, never its body) and dropped: it holds no
 * message, and no retry could read it. If sending fails as a whole (the table), every readable job is
 * reported failed and tried again; the push service's own answers are handled inside (`sendPushes`).
 */
export const handler = withMetrics(
  metrics,
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.resetKeys();
    logger.addContext(context);
    const jobs: Array<{ messageId: string; job: PushJob }> = [];
    for (const record of event.Records) {
      try {
        jobs.push({ messageId: record.messageId, job: parseWith(PushJobSchema, parseJson(record.body)) });
      } catch (error) {
        logger.error('Push job refused', {
          messageId: record.messageId,
          code: error instanceof ParleyError ? error.code : 'INTERNAL',
          reason: error instanceof ParleyError ? error.message : 'The job could not be read',
        });
      }
    }
    if (jobs.length === 0) return { batchItemFailures: [] };
    try {
      const report = await send(jobs.map((entry) => entry.job));
      logger.info('Pushes sent', { jobs: jobs.length, ...report });
      // Failed: refused by the push service, or out of attempts; a push tried again later is neither yet.
      metrics.webPushesSent({ sent: report.sent, failed: report.dropped });
      return { batchItemFailures: [] };
    } catch (error) {
      logger.error('Pushes failed', { jobs: jobs.length, error: error as Error });
      return { batchItemFailures: jobs.map((entry) => ({ itemIdentifier: entry.messageId })) };
    }
  },
);
