import { DynamoDbAttachmentStore } from '../adapters/dynamodb/dynamodb-attachment-store';
import { DynamoDbBlobQuota } from '../adapters/dynamodb/dynamodb-blob-quota';
import { DynamoDbConversationStore } from '../adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbMessageLog } from '../adapters/dynamodb/dynamodb-message-log';
import type { CreateUploadDeps } from '../chat/attachment/create-upload';
import type { GetAttachmentDeps } from '../chat/attachment/get-attachment';
import type { HttpHandlerDeps } from '../edge/http-handler';
import { clock } from './client-options';
import { mainTable, rateLimiter, sessionMarks } from './dynamodb';
import { caps } from './limits';
import { attachmentObjects } from './s3';

/** Upload forms and download links for attachments: the table and the bucket's `attachments/` prefix. */
export function buildFilesDeps(): CreateUploadDeps & GetAttachmentDeps & HttpHandlerDeps {
  const { client, tableName } = mainTable();
  return {
    conversations: new DynamoDbConversationStore(client, tableName),
    messages: new DynamoDbMessageLog(client, tableName),
    attachments: new DynamoDbAttachmentStore(client, tableName),
    attachmentObjects: attachmentObjects(),
    attachmentQuota: new DynamoDbBlobQuota(client, tableName, caps(), 'attachmentBytesPerUserPerDay'),
    rateLimiter: rateLimiter(),
    sessions: sessionMarks(),
    clock,
  };
}
