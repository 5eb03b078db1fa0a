import { DynamoDbAccountData } from '../adapters/dynamodb/dynamodb-account-data';
import { DynamoDbBackupStore } from '../adapters/dynamodb/dynamodb-backup-store';
import type { DeleteAccountDeps } from '../chat/account/delete-account';
import type { ExportMyDataDeps } from '../chat/account/export-my-data';
import type { ConversationsDeps } from '../chat/conversation/conversations';
import type { FriendsDeps } from '../chat/friend/friends';
import type { SyncMyEmailDeps } from '../chat/profile/sync-my-email';
import type { SignOutEverywhereDeps } from '../chat/session/sign-out-everywhere';
import type { HttpHandlerDeps } from '../edge/http-handler';
import { mainTable } from './dynamodb';
import { accountStores } from './http-account';
import { avatarObjects, backupObjects } from './s3';

/**
 * Account deletion, the export of my data and a changed email taken up: the account function's clients,
 * plus the bucket's `avatars/` and `backups/` prefixes (a deleted account's picture and backup) and its own
 * items. A deleted account
 * leaves its conversations, as a member leaving a group does, and ends its friendships.
 */
export function buildAccountLifecycleDeps(): SignOutEverywhereDeps &
  FriendsDeps &
  SyncMyEmailDeps &
  ExportMyDataDeps &
  ConversationsDeps &
  Omit<DeleteAccountDeps, 'conversations' | 'friends' | 'signOutEverywhere'> &
  HttpHandlerDeps {
  const { client, tableName } = mainTable();
  return {
    ...accountStores(),
    // Deleting an account: its own items, then its profile picture's objects.
    accountData: new DynamoDbAccountData(client, tableName),
    avatarObjects: avatarObjects(),
    // Its encrypted backup: the items name the chunks' objects, deleted first. The export reads the head.
    backups: new DynamoDbBackupStore(client, tableName),
    backupObjects: backupObjects(),
  };
}
