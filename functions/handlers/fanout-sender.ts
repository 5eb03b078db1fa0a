import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { FanoutJobSchema } from '../adapters/sqs/sqs-fanout-queue';
import { deliverMessage } from '../chat/message/deliver-message';
import { buildSenderDeps } from '../composition';
import { parseJson, parseWith } from '../edge/parse';
import { createLogger } from '../observability';

const logger = createLogger('fanout-sender');
const deliver = deliverMessage(buildSenderDeps());
const processor = new BatchProcessor(EventType.SQS);

/** One record = one fan-out job. A failed record is reported alone, so only it is retried. */
async function processRecord(record: SQSRecord): Promise<void> {
  const job = parseWith(FanoutJobSchema, parseJson(record.body));
  const log = logger.createChild({
    persistentKeys: { correlationId: job.correlationId, messageId: record.messageId },
  });
  try {
    const report = await deliver(job);
    log.info('Fan-out done', { conversationId: job.conversationId, seq: job.seq, ...report });
  } catch (error) {
    log.error('Fan-out failed', { conversationId: job.conversationId, seq: job.seq, error: error as Error });
    throw error;
  }
}

/** SQS event source with partial batch responses (`ReportBatchItemFailures`). */
export const handler = async (event: SQSEvent, context: Context) => {
  logger.resetKeys();
  logger.addContext(context);
  return processPartialResponse(event, processRecord, processor, { context });
};
