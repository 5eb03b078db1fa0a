import { type DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { DailyBytesCap } from '../../caps';

/**
 * Every key format of the main table, in one place.
 *
 * | item            | pk                | sk                      | gsi1pk              | gsi1sk        |
 * |-----------------|-------------------|-------------------------|---------------------|---------------|
 * | profile         | USER#{userId}     | PROFILE                 | UNAME#{first 2}     | {username}    |
 * | username claim  | UNAME#{username}  | CLAIM                   |                     |               |
 * | email claim     | EMAIL#{email}     | CLAIM                   |                     |               |
 * | presence        | USER#{userId}     | PRESENCE                |                     |               |
 * | friend edge     | USER#{userId}     | FRIEND#{otherId}        |                     |               |
 * | block           | USER#{userId}     | BLOCK#{blockedId}       |                     |               |
 * | block, reversed | USER#{blockedId}  | BLOCKEDBY#{userId}      |                     |               |
 * | device          | USER#{userId}     | DEVICE#{deviceId}       |                     |               |
 * | key package     | USER#{userId}     | KP#{deviceId}#{uploadedAt, 13 digits}#{random} |  |        |
 * | last resort     | USER#{userId}     | KPLR#{deviceId}         |                     |               |
 * | welcome         | USER#{userId}     | WELCOME#{deviceId}#{convId}#{epoch, 12 digits} |  |        |
 * | send record     | USER#{senderId}   | SEND#{convId}#{msgId}   |                     |               |
 * | rate bucket     | RATE#{userId}     | {action}                |                     |               |
 * | blob bytes      | QUOTA#{userId}    | BLOB#{UTC day, YYYY-MM-DD} |                  |               |
 * | attachment bytes | QUOTA#{userId}   | ATTACH#{UTC day, YYYY-MM-DD} |                |               |
 * | user's groups   | QUOTA#{userId}    | GROUPS                  |                     |               |
 * | user's friends  | QUOTA#{userId}    | FRIENDS                 |                     |               |
 * | pinned chats    | USER#{userId}     | PINS                    |                     |               |
 * | conversation    | CONV#{convId}     | META                    |                     |               |
 * | membership      | CONV#{convId}     | MEMBER#{userId}         | USER#{userId}       | CONV#{convId} |
 * | log head        | CONV#{convId}     | HEAD                    |                     |               |
 * | message         | CONV#{convId}     | MSG#{seq, 12 digits}    |                     |               |
 * | commit record   | CONV#{convId}     | EPOCH#{epoch, 12 digits} |                    |               |
 * | attachment      | CONV#{convId}     | ATTACH#{attachmentId}   |                     |               |
 * | attachment due  | DUE#{UTC hour, YYYY-MM-DDTHH} | {dueAt, 13 digits}#{convId}#{attachmentId} |  |   |
 * | history transfer | USER#{userId}    | HXFER#{transferId}      |                     |               |
 * | history chunk   | USER#{userId}     | HXCHUNK#{transferId}#{index, 6 digits} |      |               |
 * | user's transfers | QUOTA#{userId}   | HXFERS                  |                     |               |
 * | backup head     | USER#{userId}     | BACKUP                  |                     |               |
 * | backup chunk    | USER#{userId}     | BKCHUNK#{chunkId}       |                     |               |
 * | backup usage    | QUOTA#{userId}    | BACKUP                  |                     |               |
 * | backup chunk due | BKDUE#{UTC hour, YYYY-MM-DDTHH} | {dueAt, 13 digits}#{userId}#{chunkId} |  |     |
 *
 * The presence item holds the user's open connections in one map
 * (`connections.{connectionId} = { connectedAt, expiresAt }`), so fan-out
 * reaches every member's devices with one BatchGetItem per 100 members, and
 * `pushDevices`, the string set of the user's devices that take Web Push, so
 * the same read tells fan-out which devices to push to instead.
 * Usernames and emails are stored lowercased. Device ids never hold `#`, so
 * the `KP#{deviceId}#` and `WELCOME#{deviceId}#` prefixes of one device never
 * match another's items. The conversation's MLS epoch is the `epoch` attribute
 * of its `META` item (absent = 0). `HEAD` is the log's counter: the last seq
 * taken, content counts, and `blockedBy`, the users blocking a direct
 * conversation. A block is kept on both users' sides: `BLOCK#` under the
 * blocker, `BLOCKEDBY#` under the blocked user, so one Query of a user's
 * `BLOCK` prefix answers "blocked either way" for everyone at once.
 * `HXFERS` indexes a user's history transfers: `open` (id → expiresAt) holds the ones not yet done or
 * cancelled, counted against the cap by a conditional write on its `version`; `recent` (id → expiresAt)
 * the newest ones, which the list reads back by key.
 */
/** The sort key prefix of each daily bytes count under `QUOTA#{userId}`. */
const DAILY_BYTES_SK_PREFIX: Record<DailyBytesCap, string> = {
  blobBytesPerUserPerDay: 'BLOB',
  attachmentBytesPerUserPerDay: 'ATTACH',
};

export const keys = {
  profile: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  /** Username search partitions: the first two characters of the username. */
  usernameIndex: (username: string) => ({ gsi1pk: `UNAME#${username.slice(0, 2)}`, gsi1sk: username }),
  usernameIndexPk: (prefix: string) => `UNAME#${prefix.slice(0, 2)}`,
  usernameClaim: (username: string) => ({ pk: `UNAME#${username}`, sk: 'CLAIM' }),
  emailClaim: (email: string) => ({ pk: `EMAIL#${email}`, sk: 'CLAIM' }),
  presence: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PRESENCE' }),
  friend: (userId: string, otherId: string) => ({ pk: `USER#${userId}`, sk: `FRIEND#${otherId}` }),
  friendPrefix: 'FRIEND#',
  block: (userId: string, blockedId: string) => ({ pk: `USER#${userId}`, sk: `BLOCK#${blockedId}` }),
  blockPrefix: 'BLOCK#',
  /** The reverse of a block, on the blocked user's side. */
  blockedBy: (blockedId: string, userId: string) => ({ pk: `USER#${blockedId}`, sk: `BLOCKEDBY#${userId}` }),
  blockedByPrefix: 'BLOCKEDBY#',
  /** Covers `BLOCK#` and `BLOCKEDBY#`: both directions in one Query. */
  eitherWayBlockPrefix: 'BLOCK',
  userPk: (userId: string) => `USER#${userId}`,
  device: (userId: string, deviceId: string) => ({ pk: `USER#${userId}`, sk: `DEVICE#${deviceId}` }),
  devicePrefix: 'DEVICE#',
  /** One one-use key package: oldest first under its device's prefix, the random part keeps uploads apart. */
  keyPackage: (userId: string, deviceId: string, uploadedAt: number, random: string) => ({
    pk: `USER#${userId}`,
    sk: `KP#${deviceId}#${String(uploadedAt).padStart(13, '0')}#${random}`,
  }),
  keyPackagePrefix: (deviceId: string) => `KP#${deviceId}#`,
  lastResortKeyPackage: (userId: string, deviceId: string) => ({
    pk: `USER#${userId}`,
    sk: `KPLR#${deviceId}`,
  }),
  /** A Welcome for one device: by conversation, then epoch, under the device's prefix. */
  welcome: (userId: string, deviceId: string, conversationId: string, epoch: number) => ({
    pk: `USER#${userId}`,
    sk: `WELCOME#${deviceId}#${conversationId}#${String(epoch).padStart(12, '0')}`,
  }),
  welcomePrefix: (deviceId: string) => `WELCOME#${deviceId}#`,
  rateBucket: (userId: string, action: string) => ({ pk: `RATE#${userId}`, sk: action }),
  /** Bytes a user wrote to the blob bucket on one UTC day. */
  dailyBytes: (userId: string, cap: DailyBytesCap, day: string) => ({
    pk: `QUOTA#${userId}`,
    sk: `${DAILY_BYTES_SK_PREFIX[cap]}#${day}`,
  }),
  /** The ids of the groups a user is counted in (`groupIds`, a string set). */
  userGroups: (userId: string) => ({ pk: `QUOTA#${userId}`, sk: 'GROUPS' }),
  /** How many friend edges of a user are counted (`edges`, a number): friends and requests either way. */
  userFriends: (userId: string) => ({ pk: `QUOTA#${userId}`, sk: 'FRIENDS' }),
  /** The ids of the conversations a user pinned (`conversationIds`, a string set). */
  userPins: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PINS' }),
  conversation: (conversationId: string) => ({ pk: `CONV#${conversationId}`, sk: 'META' }),
  conversationPk: (conversationId: string) => `CONV#${conversationId}`,
  member: (conversationId: string, userId: string) => ({
    pk: `CONV#${conversationId}`,
    sk: `MEMBER#${userId}`,
  }),
  memberPrefix: 'MEMBER#',
  memberIndex: (conversationId: string, userId: string) => ({
    gsi1pk: `USER#${userId}`,
    gsi1sk: `CONV#${conversationId}`,
  }),
  memberIndexPrefix: 'CONV#',
  head: (conversationId: string) => ({ pk: `CONV#${conversationId}`, sk: 'HEAD' }),
  message: (conversationId: string, seq: number) => ({
    pk: `CONV#${conversationId}`,
    sk: `MSG#${String(seq).padStart(12, '0')}`,
  }),
  messagePrefix: 'MSG#',
  /** Under the sender's own partition: a send claims its id before membership is known. */
  sendRecord: (senderId: string, conversationId: string, messageId: string) => ({
    pk: `USER#${senderId}`,
    sk: `SEND#${conversationId}#${messageId}`,
  }),
  attachment: (conversationId: string, attachmentId: string) => ({
    pk: `CONV#${conversationId}`,
    sk: `ATTACH#${attachmentId}`,
  }),
  /** Attachments due for deletion, one partition per UTC hour of their due time: the sweep reads the hours gone by. */
  attachmentDue: (dueAt: number, conversationId: string, attachmentId: string) => ({
    pk: keys.attachmentDueHour(dueAt),
    sk: `${String(dueAt).padStart(13, '0')}#${conversationId}#${attachmentId}`,
  }),
  attachmentDueHour: (at: number) => `DUE#${new Date(at).toISOString().slice(0, 13)}`,
  historyTransfer: (userId: string, transferId: string) => ({
    pk: `USER#${userId}`,
    sk: `HXFER#${transferId}`,
  }),
  historyChunk: (userId: string, transferId: string, index: number) => ({
    pk: `USER#${userId}`,
    sk: `HXCHUNK#${transferId}#${String(index).padStart(6, '0')}`,
  }),
  /** The index of a user's history transfers: the open ones and the recent ones. */
  userHistoryTransfers: (userId: string) => ({ pk: `QUOTA#${userId}`, sk: 'HXFERS' }),
  // Encrypted history backup: the head and each chunk under the user, the usage beside the other counts.
  backupHead: (userId: string) => ({ pk: `USER#${userId}`, sk: 'BACKUP' }),
  backupChunk: (userId: string, chunkId: string) => ({ pk: `USER#${userId}`, sk: `BKCHUNK#${chunkId}` }),
  backupChunkPrefix: 'BKCHUNK#',
  /** Bytes of all the user's chunks (`bytes`) and how many are pending (`pendingChunks`). */
  backupUsage: (userId: string) => ({ pk: `QUOTA#${userId}`, sk: 'BACKUP' }),
  /** Backup chunks due for the sweep, one partition per UTC hour of their due time, as attachments'. */
  backupChunkDue: (dueAt: number, userId: string, chunkId: string) => ({
    pk: keys.backupChunkDueHour(dueAt),
    sk: `${String(dueAt).padStart(13, '0')}#${userId}#${chunkId}`,
  }),
  backupChunkDueHour: (at: number) => `BKDUE#${new Date(at).toISOString().slice(0, 13)}`,
  /** Which commit an MLS epoch belongs to. */
  commitRecord: (conversationId: string, epoch: number) => ({
    pk: `CONV#${conversationId}`,
    sk: `EPOCH#${String(epoch).padStart(12, '0')}`,
  }),
} as const;

/** DynamoDB TTL is in epoch seconds. */
export function ttlFromMs(epochMs: number): number {
  return Math.ceil(epochMs / 1000);
}

/** Whether DynamoDB's condition check rejected a write (by name: SDK error classes differ by bundle). */
export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Sends a conditional update; `false` when its condition did not hold (another writer came first), so the
 * caller decides whether that is news or an error.
 */
export async function updateIf(client: DynamoDBDocumentClient, input: UpdateCommandInput): Promise<boolean> {
  try {
    await client.send(new UpdateCommand(input));
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}
