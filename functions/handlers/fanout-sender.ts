import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { checkConnection } from '../chat/connection/check-connection';
import { deliverJob } from '../chat/push/deliver-job';
import { buildSenderDeps } from '../composition/fanout-sender';
import { parseJson, parseWith } from '../edge/parse';
import { ParleyError } from '../errors';
import { createLogger } from '../observability';
import { type FanoutJob, FanoutJobSchema } from '../ports/fanout-queue';

const logger = createLogger('fanout-sender');
const deps = buildSenderDeps();
const deliver = deliverJob(deps);
const check = checkConnection(deps);
const processor = new BatchProcessor(EventType.SQS);

/** One record = one fan-out job. A failed record is reported alone, so only it is retried. */
async function processRecord(record: SQSRecord): Promise<void> {
  let job: FanoutJob;
  try {
    job = parseWith(FanoutJobSchema, parseJson(record.body));
  } catch (error) {
    // A poison job: said at ERROR with what names it, never its body. Thrown, so the queue retries it and
    // then moves it to the dead-letter queue, where it waits to be looked at.
    logger.error('Fan-out job refused', {
      messageId: record.messageId,
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
      code: error instanceof ParleyError ? error.code : 'INTERNAL',
      reason: error instanceof ParleyError ? error.message : 'The job could not be read',
    });
    throw error;
  }
  const log = logger.createChild({
    persistentKeys: { correlationId: job.correlationId, messageId: record.messageId },
  });
  if (job.kind === 'connection-check') {
    const outcome = await check(job);
    log.info('Connection checked', { userId: job.userId, connectionId: job.connectionId, outcome });
    return;
  }
  const subject =
    job.kind === 'message'
      ? { kind: job.kind, conversationId: job.conversationId, seq: job.seq }
      : job.kind === 'conversation'
        ? { kind: job.kind, conversationId: job.conversationId, frame: job.frame.type }
        : job.kind === 'users'
          ? { kind: job.kind, users: job.userIds.length, frame: job.frame.type }
          : job.kind === 'presence'
            ? { kind: job.kind, userId: job.userId, online: job.online }
            : job.kind === 'device'
              ? { kind: job.kind, userId: job.userId, deviceId: job.deviceId, event: job.event }
              : { kind: job.kind, userId: job.userId, connections: job.connections.length };
  try {
    // The queue gave this job out before: the first attempt may have pushed it, or failed before.
    const report = await deliver(job, { redelivered: Number(record.attributes.ApproximateReceiveCount) > 1 });
    log.info('Fan-out done', { ...subject, ...report });
  } catch (error) {
    log.error('Fan-out failed', { ...subject, error: error as Error });
    throw error;
  }
}

/** SQS event source with partial batch responses (`ReportBatchItemFailures`). */
export const handler = async (event: SQSEvent, context: Context) => {
  logger.resetKeys();
  logger.addContext(context);
  return processPartialResponse(event, processRecord, processor, { context });
};
