import { DynamoDbAttachmentStore } from '../adapters/dynamodb/dynamodb-attachment-store';
import { DynamoDbMessageLog } from '../adapters/dynamodb/dynamodb-message-log';
import type { SweepAttachmentsDeps } from '../chat/attachment/sweep-attachments';
import { clock } from './client-options';
import { mainTable } from './dynamodb';
import { attachmentObjects } from './s3';

/** The sweep: the table, and DeleteObject under the bucket's `attachments/` prefix. */
export function buildSweeperDeps(): SweepAttachmentsDeps {
  const { client, tableName } = mainTable();
  return {
    attachments: new DynamoDbAttachmentStore(client, tableName),
    attachmentObjects: attachmentObjects(),
    messages: new DynamoDbMessageLog(client, tableName),
    clock,
  };
}
