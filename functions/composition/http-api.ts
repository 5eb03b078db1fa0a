import { DynamoDbCommitLog } from '../adapters/dynamodb/dynamodb-commit-log';
import { DynamoDbConnectionStore } from '../adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbConversationStore } from '../adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbDeviceDirectory } from '../adapters/dynamodb/dynamodb-device-directory';
import { DynamoDbKeyPackageStore } from '../adapters/dynamodb/dynamodb-key-package-store';
import { DynamoDbMessageLog } from '../adapters/dynamodb/dynamodb-message-log';
import { DynamoDbProfileStore } from '../adapters/dynamodb/dynamodb-profile-store';
import { DynamoDbRelationshipStore } from '../adapters/dynamodb/dynamodb-relationship-store';
import { DynamoDbWelcomeStore } from '../adapters/dynamodb/dynamodb-welcome-store';
import { clock } from './client-options';
import { accountDirectory } from './cognito';
import { mainTable, rateLimiter } from './dynamodb';
import { blobStore } from './s3';
import { fanoutQueue } from './sqs';

/** The HTTP API serves every route from one function, so it builds every store and client. */
export function buildHttpDeps() {
  const { client, tableName } = mainTable();
  return {
    commits: new DynamoDbCommitLog(client, tableName),
    connections: new DynamoDbConnectionStore(client, tableName),
    conversations: new DynamoDbConversationStore(client, tableName),
    devices: new DynamoDbDeviceDirectory(client, tableName),
    keyPackages: new DynamoDbKeyPackageStore(client, tableName),
    messages: new DynamoDbMessageLog(client, tableName),
    profiles: new DynamoDbProfileStore(client, tableName),
    relationships: new DynamoDbRelationshipStore(client, tableName),
    welcomes: new DynamoDbWelcomeStore(client, tableName),
    blobs: blobStore(),
    fanout: fanoutQueue(),
    rateLimiter: rateLimiter(),
    accounts: accountDirectory(),
    clock,
  };
}
