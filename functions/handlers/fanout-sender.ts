import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { checkConnection } from '../chat/connection/check-connection';
import { isLastAttempt, parkFailedJob } from '../chat/push/dead-letter';
import { deliverJob } from '../chat/push/deliver-job';
import { buildSenderDeps } from '../composition/fanout-sender';
import { metricsRecorder } from '../composition/metrics';
import { parseJson, parseWith } from '../edge/parse';
import { ParleyError } from '../errors';
import { createLogger, withMetrics } from '../observability';
import { type FanoutJob, FanoutJobSchema } from '../ports/fanout-queue';

const logger = createLogger('fanout-sender');
const metrics = metricsRecorder('fanout-sender');
const deps = buildSenderDeps();
const deliver = deliverJob(deps);
const check = checkConnection(deps);
const park = parkFailedJob(deps);
const processor = new BatchProcessor(EventType.SQS);

/**
 * One record = one fan-out job. A failed record is reported alone, so only it is retried; on its last
 * attempt it is parked in the dead-letter queue without its body instead (see `chat/push/dead-letter.ts`).
 */
async function processRecord(record: SQSRecord): Promise<void> {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount);
  let job: FanoutJob;
  try {
    job = parseWith(FanoutJobSchema, parseJson(record.body));
  } catch (error) {
    // A poison job: said at ERROR with what names it, never its body, and parked at once the same way
    // (no retry can read it). If parking fails, the record fails and is tried again.
    const note = {
      messageId: record.messageId,
      receiveCount,
      code: error instanceof ParleyError ? error.code : 'INTERNAL',
      reason: error instanceof ParleyError ? error.message : 'The job could not be read',
    };
    logger.error('Fan-out job refused', note);
    metrics.fanoutJobFailed();
    await deps.deadLetters.parkRefused(note);
    return;
  }
  const log = logger.createChild({
    persistentKeys: { correlationId: job.correlationId, messageId: record.messageId },
  });
  const subject = subjectOf(job);
  try {
    if (job.kind === 'connection-check') {
      const outcome = await check(job);
      if (outcome === 'gone') metrics.connectionGone();
      log.info('Connection checked', { ...subject, outcome });
      return;
    }
    // The queue gave this job out before: the first attempt may have pushed it, or failed before.
    const report = await deliver(job, { redelivered: receiveCount > 1 });
    log.info('Fan-out done', { ...subject, ...report });
    metrics.fanoutPosted(report);
    // The job's `takenAt` is the message's stored time (its `sentAt`): what a recipient waited for it.
    if (job.kind === 'message' && job.takenAt !== undefined && report.delivered > 0) {
      metrics.messagePushed(deps.clock() - job.takenAt);
    }
  } catch (error) {
    log.error('Fan-out failed', { ...subject, receiveCount, error: error as Error });
    metrics.fanoutJobFailed();
    if (!isLastAttempt(receiveCount, deps.maxReceiveCount)) throw error;
    await park(job, {
      messageId: record.messageId,
      receiveCount,
      code: error instanceof ParleyError ? error.code : (error as Error).name || 'Error',
      reason: error instanceof ParleyError ? error.message : 'The delivery failed',
    });
    log.warn('Fan-out job dead-lettered', { ...subject, receiveCount });
  }
}

/** What names a job in the logs: never a frame's body. */
function subjectOf(job: FanoutJob): Record<string, unknown> {
  switch (job.kind) {
    case 'message':
      return { kind: job.kind, conversationId: job.conversationId, seq: job.seq };
    case 'conversation':
      return { kind: job.kind, conversationId: job.conversationId, frame: job.frame.type };
    case 'users':
      return { kind: job.kind, users: job.userIds.length, frame: job.frame.type };
    case 'presence':
      return { kind: job.kind, userId: job.userId, online: job.online };
    case 'device':
      return { kind: job.kind, userId: job.userId, deviceId: job.deviceId, event: job.event };
    case 'profile':
      return { kind: job.kind, userId: job.user.userId };
    case 'connection-check':
      return { kind: job.kind, userId: job.userId, connectionId: job.connectionId };
    case 'close':
      return { kind: job.kind, userId: job.userId, connections: job.connections.length };
  }
}

/** SQS event source with partial batch responses (`ReportBatchItemFailures`). */
export const handler = withMetrics(metrics, async (event: SQSEvent, context: Context) => {
  logger.resetKeys();
  logger.addContext(context);
  return processPartialResponse(event, processRecord, processor, { context });
});
