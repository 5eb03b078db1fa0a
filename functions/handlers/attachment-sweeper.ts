import type { Context } from 'aws-lambda';
import { sweepAttachments } from '../chat/attachment/sweep-attachments';
import { sweepBackupChunks } from '../chat/backup/sweep-backup-chunks';
import { buildSweeperDeps } from '../composition/attachment-sweeper';
import { metricsRecorder } from '../composition/metrics';
import { ScheduledEventSchema } from '../edge/events';
import { beginRequest, createLogger, withMetrics } from '../observability';

const logger = createLogger('attachment-sweeper');
const metrics = metricsRecorder('attachment-sweeper');
const deps = buildSweeperDeps();
const sweep = sweepAttachments(deps);
const sweepBackups = sweepBackupChunks(deps);

/**
 * The schedule's tick: deletes the objects no message keeps, and the backup chunks no backup keeps, and
 * says how many.
 */
export const handler = withMetrics(metrics, async (rawEvent: unknown, context?: Context) => {
  const event = ScheduledEventSchema.parse(rawEvent);
  beginRequest(logger, context, event.id);
  const outcome = await sweep();
  logger.info('Attachments swept', { ...outcome });
  const backupChunks = await sweepBackups();
  logger.info('Backup chunks swept', { ...backupChunks });
  return { ...outcome, backupChunks };
});
