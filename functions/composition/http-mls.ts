import { DynamoDbBlobQuota } from '../adapters/dynamodb/dynamodb-blob-quota';
import { DynamoDbCommitLog } from '../adapters/dynamodb/dynamodb-commit-log';
import { DynamoDbConnectionStore } from '../adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbConversationStore } from '../adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbDeviceDirectory } from '../adapters/dynamodb/dynamodb-device-directory';
import { DynamoDbHistoryTransferStore } from '../adapters/dynamodb/dynamodb-history-transfer-store';
import { DynamoDbKeyPackageStore } from '../adapters/dynamodb/dynamodb-key-package-store';
import { DynamoDbMessageLog } from '../adapters/dynamodb/dynamodb-message-log';
import { DynamoDbRelationshipStore } from '../adapters/dynamodb/dynamodb-relationship-store';
import { DynamoDbWelcomeStore } from '../adapters/dynamodb/dynamodb-welcome-store';
import type { ClaimKeyPackagesDeps } from '../chat/device/claim-key-packages';
import type { RegisterDeviceDeps } from '../chat/device/register-device';
import type { RemovePushSubscriptionDeps } from '../chat/device/remove-push-subscription';
import type { RevokeDeviceDeps } from '../chat/device/revoke-device';
import type { SavePushSubscriptionDeps } from '../chat/device/save-push-subscription';
import type { UploadKeyPackagesDeps } from '../chat/device/upload-key-packages';
import type { listHistory } from '../chat/message/list-history';
import type { GetEpochDeps } from '../chat/mls/get-epoch';
import type { PostCommitDeps } from '../chat/mls/post-commit';
import type { WelcomesDeps } from '../chat/mls/welcomes';
import type { HttpHandlerDeps } from '../edge/http-handler';
import { clock } from './client-options';
import { mainTable, rateLimiter, sessionMarks } from './dynamodb';
import { caps } from './limits';
import { blobStore } from './s3';
import { fanoutQueue } from './sqs';

/** Devices, key packages, commits, Welcomes and history pages: the users of the blob bucket. */
export function buildMlsDeps(): RegisterDeviceDeps &
  RevokeDeviceDeps &
  SavePushSubscriptionDeps &
  RemovePushSubscriptionDeps &
  UploadKeyPackagesDeps &
  ClaimKeyPackagesDeps &
  PostCommitDeps &
  GetEpochDeps &
  WelcomesDeps &
  Parameters<typeof listHistory>[0] &
  HttpHandlerDeps {
  const { client, tableName } = mainTable();
  const stageCaps = caps();
  return {
    commits: new DynamoDbCommitLog(client, tableName),
    connections: new DynamoDbConnectionStore(client, tableName),
    conversations: new DynamoDbConversationStore(client, tableName),
    devices: new DynamoDbDeviceDirectory(client, tableName),
    // Revoking a device cancels the history transfers it is an end of.
    historyTransfers: new DynamoDbHistoryTransferStore(client, tableName),
    keyPackages: new DynamoDbKeyPackageStore(client, tableName),
    messages: new DynamoDbMessageLog(client, tableName),
    relationships: new DynamoDbRelationshipStore(client, tableName),
    welcomes: new DynamoDbWelcomeStore(client, tableName),
    blobs: blobStore(),
    blobQuota: new DynamoDbBlobQuota(client, tableName, stageCaps, 'blobBytesPerUserPerDay'),
    fanout: fanoutQueue(),
    rateLimiter: rateLimiter(),
    sessions: sessionMarks(),
    caps: stageCaps,
    clock,
  };
}
