/**
 * Every key format of the blob bucket, in one place. Commits are kept for
 * good (they are the group's history); Welcomes expire with a lifecycle rule
 * on their prefix (see `BUCKETS` in infra/topology.ts).
 *
 * | object  | key                                                         |
 * |---------|-------------------------------------------------------------|
 * | commit  | commits/{convId}/{epoch}/{senderId}/{sha256 hex of the bytes}  |
 * | welcome | welcomes/{convId}/{epoch joined}/{senderId}/{sha256 hex}       |
 * | attachment | attachments/{attachmentId}                               |
 * | avatar  | avatars/{avatarId}                                             |
 * | history chunk | history/{transferId}/{index}                             |
 * | backup chunk | backups/{userId}/{chunkId}                                |
 *
 * The sender and the hash make a key the same for a retry of one commit and
 * different for any rival's, so a loser can delete its own objects without
 * touching the winner's. An attachment's key is its opaque id alone: the
 * conversation and the uploader stay in the table, not in the bucket's listing; so is an avatar's (its
 * owner's profile names it).
 */
export const BLOB_PREFIXES = {
  commits: 'commits/',
  welcomes: 'welcomes/',
  attachments: 'attachments/',
  avatars: 'avatars/',
  history: 'history/',
  backups: 'backups/',
} as const;
export type BlobPrefix = (typeof BLOB_PREFIXES)[keyof typeof BLOB_PREFIXES];

export const blobKeys = {
  commit: (conversationId: string, epoch: number, senderId: string, hashHex: string) =>
    `${BLOB_PREFIXES.commits}${conversationId}/${epoch}/${senderId}/${hashHex}`,
  welcome: (conversationId: string, epoch: number, senderId: string, hashHex: string) =>
    `${BLOB_PREFIXES.welcomes}${conversationId}/${epoch}/${senderId}/${hashHex}`,
  attachment: (attachmentId: string) => `${BLOB_PREFIXES.attachments}${attachmentId}`,
  avatar: (avatarId: string) => `${BLOB_PREFIXES.avatars}${avatarId}`,
  /** A chunk of a history transfer, by its object id (`historyChunkId`). */
  historyChunk: (chunkId: string) => `${BLOB_PREFIXES.history}${chunkId}`,
  /** Under its user: their chunks are theirs alone, and a deletion names them by user. */
  backupChunk: (userId: string, chunkId: string) => `${BLOB_PREFIXES.backups}${userId}/${chunkId}`,
} as const;

/** The object id of a history transfer's chunk: `{transferId}/{index}`, as `blobKeys.historyChunk` takes it. */
export function historyChunkId(transferId: string, index: number): string {
  return `${transferId}/${index}`;
}
