import { DynamoDbAttachmentStore } from '../adapters/dynamodb/dynamodb-attachment-store';
import { DynamoDbBackupStore } from '../adapters/dynamodb/dynamodb-backup-store';
import { DynamoDbBlobQuota } from '../adapters/dynamodb/dynamodb-blob-quota';
import { DynamoDbConversationStore } from '../adapters/dynamodb/dynamodb-conversation-store';
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
import type { HttpHandlerDeps } from '../edge/http-handler';
import { clock } from './client-options';
import { mainTable, rateLimiter, sessionMarks } from './dynamodb';
import { caps } from './limits';
import { attachmentObjects, avatarObjects, backupObjects } from './s3';
import { fanoutQueue } from './sqs';

/**
 * Upload forms and download links for attachments and profile pictures: the table, the bucket's
 * `attachments/` and `avatars/` prefixes, and the fan-out queue for the `profile` push a new picture makes;
 * and the encrypted history backup: its items, and the bucket's `backups/` prefix.
 */
export function buildFilesDeps(): CreateUploadDeps &
  GetAttachmentDeps &
  CreateAvatarUploadDeps &
  SetAvatarDeps &
  GetAvatarDeps &
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
    fanout: fanoutQueue(),
    backups: new DynamoDbBackupStore(client, tableName),
    backupObjects: backupObjects(),
    caps: caps(),
    rateLimiter: rateLimiter(),
    sessions: sessionMarks(),
    clock,
  };
}
