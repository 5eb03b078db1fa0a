import type { RouteId } from '../../shared/api/routes';

/**
 * The HTTP API's routes, grouped by what they need from AWS; each group is one
 * function (`infra/topology.ts`). One function for the whole API would keep
 * one warm pool, but every cold start would load every client: Cognito, S3,
 * SQS and DynamoDB. A few groups, each a flow a client runs in a session, keep
 * each function's cold start to the clients it uses and its role to the grants
 * it needs, while each group still sees enough traffic to stay warm.
 *
 * - `account`: profile, sign-out everywhere, user search, friends, blocks and
 *   presence. DynamoDB, the fan-out queue, and Cognito (the first `GET /me` reads the account's
 *   email; sign-out everywhere revokes its refresh tokens).
 * - `accountLifecycle`: what a person does to their account as a whole, rarely: delete it, export
 *   their data, take up a changed email. Apart from `account` because deletion brings the S3 client,
 *   every conversation's departure and Cognito's delete grant, which the everyday profile and friends
 *   routes never use (they kept `account` over its bundle target).
 * - `chat`: conversations (and each member's own settings of them), sending, deleting and receipts. DynamoDB and the
 *   fan-out queue: the same clients as the WebSocket `send`.
 * - `mls`: devices, key packages, commits, Welcomes and history pages:
 *   everything that reads or writes the blob bucket (large commits and
 *   Welcomes live there, and history pages read commits back from it).
 * - `files`: upload forms and download links for attachments, profile
 *   pictures, the chunks of history transfers and backups. DynamoDB, the blob
 *   bucket's `attachments/`, `avatars/`, `history/` and `backups/` prefixes only (the forms and
 *   links are signed with its role, so that role, not the MLS one, is what S3
 *   checks), and the fan-out queue for the `profile` push a new picture makes
 *   and the `history-transfer` pushes. A history transfer's steps are all
 *   forms, links and small state changes, the same clients as attachments:
 *   a group of their own would be one more cold start in the same flow. The
 *   encrypted backup (its chunks under `backups/` and its head) is here for
 *   the same reason: sign forms and links for opaque objects, read their size
 *   before naming them.
 * - `description`: the public OpenAPI document, in a function with no data
 *   access at all, as the only route without a token.
 */
export const HTTP_ROUTE_GROUPS = {
  account: [
    'getMe',
    'getMySockets',
    'updateMe',
    'signOutEverywhere',
    'findUsers',
    'getUser',
    'listFriends',
    'sendFriendRequest',
    'acceptFriendRequest',
    'rejectFriendRequest',
    'cancelFriendRequest',
    'removeFriend',
    'listBlocks',
    'blockUser',
    'unblockUser',
    'getPresence',
  ],
  accountLifecycle: ['deleteMe', 'exportMyData', 'syncMyEmail'],
  chat: [
    'listConversations',
    'createConversation',
    'getConversation',
    'updateConversation',
    'updateConversationSettings',
    'addMembers',
    'removeMember',
    'updateMember',
    'postMessage',
    'deleteMessage',
    'updateReceipts',
  ],
  mls: [
    'listMessages',
    'registerDevice',
    'listDevices',
    'revokeDevice',
    'renameDevice',
    'putPushSubscription',
    'getPushSubscription',
    'deletePushSubscription',
    'uploadKeyPackages',
    'countKeyPackages',
    'claimKeyPackages',
    'postCommit',
    'getEpoch',
    'listWelcomes',
    'acknowledgeWelcome',
  ],
  files: [
    'createUpload',
    'getAttachment',
    'createAvatarUpload',
    'setAvatar',
    'clearAvatar',
    'getAvatar',
    'requestHistoryTransfer',
    'listHistoryTransfers',
    'getHistoryTransfer',
    'offerHistoryTransfer',
    'approveHistoryTransfer',
    'createHistoryChunkUpload',
    'announceHistoryChunk',
    'getHistoryChunk',
    'confirmHistoryChunks',
    'cancelHistoryTransfer',
    // The encrypted history backup: chunk forms and links, and the head naming the chunks.
    'getBackup',
    'createBackupChunkUpload',
    'getBackupChunk',
    'putBackup',
    'deleteBackup',
  ],
  description: ['getApiDescription'],
} as const satisfies Record<string, readonly RouteId[]>;

export type HttpRouteGroup = keyof typeof HTTP_ROUTE_GROUPS;

/** The route ids of one group. */
export type RoutesOf<G extends HttpRouteGroup> = (typeof HTTP_ROUTE_GROUPS)[G][number];
