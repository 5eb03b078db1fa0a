import { DynamoDbAccountData } from '../adapters/dynamodb/dynamodb-account-data';
import { DynamoDbConnectionStore } from '../adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbConversationStore } from '../adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbDeviceDirectory } from '../adapters/dynamodb/dynamodb-device-directory';
import { DynamoDbMessageLog } from '../adapters/dynamodb/dynamodb-message-log';
import { DynamoDbProfileStore } from '../adapters/dynamodb/dynamodb-profile-store';
import { DynamoDbRelationshipStore } from '../adapters/dynamodb/dynamodb-relationship-store';
import type { DeleteAccountDeps } from '../chat/account/delete-account';
import type { ExportMyDataDeps } from '../chat/account/export-my-data';
import type { ConversationsDeps } from '../chat/conversation/conversations';
import type { FriendsDeps } from '../chat/friend/friends';
import type { getPresence } from '../chat/presence/get-presence';
import type { FindUsersDeps } from '../chat/profile/find-users';
import type { GetMeDeps } from '../chat/profile/get-me';
import type { SyncMyEmailDeps } from '../chat/profile/sync-my-email';
import type { SignOutEverywhereDeps } from '../chat/session/sign-out-everywhere';
import type { HttpHandlerDeps } from '../edge/http-handler';
import { clock, sleep } from './client-options';
import { accountDirectory } from './cognito';
import { mainTable, rateLimiter } from './dynamodb';
import { caps } from './limits';
import { avatarObjects } from './s3';
import { fanoutQueue } from './sqs';

/** Profile, the export of my data, sign-out everywhere, account deletion, users, friends, blocks and presence. */
export function buildAccountDeps(): GetMeDeps &
  SyncMyEmailDeps &
  ExportMyDataDeps &
  FindUsersDeps &
  FriendsDeps &
  ConversationsDeps &
  Omit<DeleteAccountDeps, 'conversations' | 'friends' | 'signOutEverywhere'> &
  Parameters<typeof getPresence>[0] &
  SignOutEverywhereDeps &
  HttpHandlerDeps {
  const { client, tableName } = mainTable();
  const connections = new DynamoDbConnectionStore(client, tableName);
  return {
    connections,
    // The sign-out marks live on the presence items, beside the connections, as do a deletion's.
    sessions: connections,
    marks: connections,
    // Deleting an account: its own items, then its profile picture's objects.
    accountData: new DynamoDbAccountData(client, tableName),
    avatarObjects: avatarObjects(),
    // Deleting an account leaves its conversations, as a member leaving a group does.
    caps: caps(),
    conversations: new DynamoDbConversationStore(client, tableName),
    // Sign-out everywhere removes the push subscriptions, kept on the device items; the export lists the devices.
    devices: new DynamoDbDeviceDirectory(client, tableName),
    // Blocks close the two users' direct conversation on its log's head.
    messages: new DynamoDbMessageLog(client, tableName),
    profiles: new DynamoDbProfileStore(client, tableName),
    relationships: new DynamoDbRelationshipStore(client, tableName),
    accounts: accountDirectory(),
    fanout: fanoutQueue(),
    rateLimiter: rateLimiter(),
    clock,
    sleep,
  };
}
