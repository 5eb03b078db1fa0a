import { DynamoDbAttachmentStore } from '../adapters/dynamodb/dynamodb-attachment-store';
import { DynamoDbBackupStore } from '../adapters/dynamodb/dynamodb-backup-store';
import { DynamoDbBlobQuota } from '../adapters/dynamodb/dynamodb-blob-quota';
import { DynamoDbConversationStore } from '../adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbDeviceDirectory } from '../adapters/dynamodb/dynamodb-device-directory';
import { DynamoDbHistoryTransferStore } from '../adapters/dynamodb/dynamodb-history-transfer-store';
import { DynamoDbMessageLog } from '../adapters/dynamodb/dynamodb-message-log';
import { DynamoDbProfileStore } from '../adapters/dynamodb/dynamodb-profile-store';
import { DynamoDbRelationshipStore } from '../adapters/dynamodb/dynamodb-relationship-store';
import type { CreateUploadDeps } from '../chat/attachment/create-upload';
import type { GetAttachmentDeps } from '../chat/attachment/get-attachment';
import type { CreateChunkUploadDeps } from '../chat/backup/create-chunk-upload';
import type { DeleteBackupDeps } from '../chat/backup/delete-backup';
import type { GetBackupDeps } from '../chat/backup/get-backup';
import type { GetChunkDeps } from '../chat/backup/get-chunk';
import type { PutBackupDeps } from '../chat/backup/put-backup';
import type { CreateAvatarUploadDeps } from '../chat/profile/create-avatar-upload';
import type { GetAvatarDeps } from '../chat/profile/get-avatar';
import type { SetAvatarDeps } from '../chat/profile/set-avatar';
import type { AnnounceHistoryChunkDeps } from '../chat/transfer/announce-history-chunk';
import type { CancelHistoryTransferDeps } from '../chat/transfer/cancel-history-transfer';
import type { ConfirmHistoryChunksDeps } from '../chat/transfer/confirm-history-chunks';
import type { CreateHistoryChunkUploadDeps } from '../chat/transfer/create-history-chunk-upload';
import type { GetHistoryChunkDeps } from '../chat/transfer/get-history-chunk';
import type { GetHistoryTransferDeps } from '../chat/transfer/get-history-transfer';
import type { ListHistoryTransfersDeps } from '../chat/transfer/list-history-transfers';
import type { OfferHistoryTransferDeps } from '../chat/transfer/offer-history-transfer';
import type { RequestHistoryTransferDeps } from '../chat/transfer/request-history-transfer';
import type { HttpHandlerDeps } from '../edge/http-handler';
import { clock } from './client-options';
import { mainTable, rateLimiter, sessionMarks } from './dynamodb';
import { caps } from './limits';
import { attachmentObjects, avatarObjects, backupObjects, historyChunkObjects } from './s3';
import { fanoutQueue } from './sqs';

/**
 * Upload forms and download links for attachments, profile pictures, history transfers' chunks and backup
 * chunks: the table, the bucket's `attachments/`, `avatars/`, `history/` and `backups/` prefixes, and the
 * fan-out queue for the `profile` push a new picture makes and the `history-transfer` pushes.
 */
export function buildFilesDeps(): CreateUploadDeps &
  GetAttachmentDeps &
  CreateAvatarUploadDeps &
  SetAvatarDeps &
  GetAvatarDeps &
  RequestHistoryTransferDeps &
  ListHistoryTransfersDeps &
  GetHistoryTransferDeps &
  OfferHistoryTransferDeps &
  CreateHistoryChunkUploadDeps &
  AnnounceHistoryChunkDeps &
  GetHistoryChunkDeps &
  ConfirmHistoryChunksDeps &
  CancelHistoryTransferDeps &
  GetBackupDeps &
  CreateChunkUploadDeps &
  GetChunkDeps &
  PutBackupDeps &
  DeleteBackupDeps &
  HttpHandlerDeps {
  const { client, tableName } = mainTable();
  return {
    conversations: new DynamoDbConversationStore(client, tableName),
    messages: new DynamoDbMessageLog(client, tableName),
    attachments: new DynamoDbAttachmentStore(client, tableName),
    attachmentObjects: attachmentObjects(),
    attachmentQuota: new DynamoDbBlobQuota(client, tableName, caps(), 'attachmentBytesPerUserPerDay'),
    profiles: new DynamoDbProfileStore(client, tableName),
    relationships: new DynamoDbRelationshipStore(client, tableName),
    avatarObjects: avatarObjects(),
    historyTransfers: new DynamoDbHistoryTransferStore(client, tableName),
    historyChunkObjects: historyChunkObjects(),
    devices: new DynamoDbDeviceDirectory(client, tableName),
    fanout: fanoutQueue(),
    backups: new DynamoDbBackupStore(client, tableName),
    backupObjects: backupObjects(),
    caps: caps(),
    rateLimiter: rateLimiter(),
    sessions: sessionMarks(),
    clock,
  };
}
