import { DynamoDbConnectionStore } from '../adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbConversationStore } from '../adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbDeviceDirectory } from '../adapters/dynamodb/dynamodb-device-directory';
import { DynamoDbMessageLog } from '../adapters/dynamodb/dynamodb-message-log';
import { DynamoDbProfileStore } from '../adapters/dynamodb/dynamodb-profile-store';
import { DynamoDbRelationshipStore } from '../adapters/dynamodb/dynamodb-relationship-store';
import type { CountMySocketsDeps } from '../chat/connection/count-my-sockets';
import type { FriendsDeps } from '../chat/friend/friends';
import type { getPresence } from '../chat/presence/get-presence';
import type { FindUsersDeps } from '../chat/profile/find-users';
import type { GetMeDeps } from '../chat/profile/get-me';
import type { SignOutEverywhereDeps } from '../chat/session/sign-out-everywhere';
import type { HttpHandlerDeps } from '../edge/http-handler';
import { clock, sleep } from './client-options';
import { accountDirectory } from './cognito';
import { mainTable, rateLimiter } from './dynamodb';
import { caps } from './limits';
import { fanoutQueue } from './sqs';

/** Profile, sign-out everywhere, users, friends, blocks and presence. */
export function buildAccountDeps(): GetMeDeps &
  FindUsersDeps &
  FriendsDeps &
  Parameters<typeof getPresence>[0] &
  CountMySocketsDeps &
  SignOutEverywhereDeps &
  HttpHandlerDeps {
  return accountStores();
}

/** The account routes' adapters, as their own classes: the lifecycle function builds on them. */
export function accountStores() {
  const { client, tableName } = mainTable();
  const connections = new DynamoDbConnectionStore(client, tableName);
  return {
    connections,
    // The sign-out and deletion marks live on the presence items, beside the connections.
    sessions: connections,
    marks: connections,
    caps: caps(),
    // Presence is shown to friends and co-members.
    conversations: new DynamoDbConversationStore(client, tableName),
    // Sign-out everywhere removes the push subscriptions, kept on the device items.
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
