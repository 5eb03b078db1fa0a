import { DynamoDbAttachmentStore } from '../adapters/dynamodb/dynamodb-attachment-store';
import { DynamoDbBackupStore } from '../adapters/dynamodb/dynamodb-backup-store';
import { DynamoDbMessageLog } from '../adapters/dynamodb/dynamodb-message-log';
import type { SweepAttachmentsDeps } from '../chat/attachment/sweep-attachments';
import type { SweepBackupChunksDeps } from '../chat/backup/sweep-backup-chunks';
import { clock } from './client-options';
import { mainTable } from './dynamodb';
import { attachmentObjects, backupObjects } from './s3';

/** The sweep: the table, and DeleteObject under the bucket's `attachments/` and `backups/` prefixes. */
export function buildSweeperDeps(): SweepAttachmentsDeps & SweepBackupChunksDeps {
  const { client, tableName } = mainTable();
  return {
    attachments: new DynamoDbAttachmentStore(client, tableName),
    attachmentObjects: attachmentObjects(),
    messages: new DynamoDbMessageLog(client, tableName),
    backups: new DynamoDbBackupStore(client, tableName),
    backupObjects: backupObjects(),
    clock,
  };
}
