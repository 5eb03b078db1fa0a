import {
  ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS,
  ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS,
  EXPORT_BLOCKS_PER_PAGE,
  EXPORT_CONVERSATIONS_PER_PAGE,
  EXPORT_FRIENDS_PER_PAGE,
  HISTORY_TRANSFER_LIFETIME_IN_MS,
  MAX_ATTACHMENT_SIZE_IN_BYTES,
  MAX_AVATAR_SIZE_IN_BYTES,
  MAX_BACKUP_CHUNK_SIZE_IN_BYTES,
  MAX_BACKUP_CHUNKS,
  MAX_BACKUP_HEADER_LENGTH,
  MAX_HISTORY_CHUNK_SIZE_IN_BYTES,
  MAX_HISTORY_CHUNKS_PER_TRANSFER,
  MAX_HISTORY_TRANSFER_SIZE_IN_BYTES,
  MAX_LISTED_HISTORY_TRANSFERS,
  MAX_PINNED_CONVERSATIONS,
  MUTED_FOREVER,
} from '../protocol/limits';
import type { RouteId } from './routes';

/**
 * What the OpenAPI document says of one route: a one-line summary and,
 * where the summary is not enough, a description (Markdown).
 */
export interface RouteDescription {
  readonly summary: string;
  readonly description?: string;
}

/**
 * The prose of every route, by its id in the route table (`routes.ts`). Only
 * the OpenAPI document reads it: it lives apart from the table so that the
 * functions, which import the table to validate requests, do not carry it (a
 * test holds their bundles to that).
 *
 * @example
 * ROUTE_DESCRIPTIONS.getMe.summary // 'My profile; created on first call after sign-up'
 */
export const ROUTE_DESCRIPTIONS = {
  getMe: {
    summary: 'My profile; created on first call after sign-up',
  },
  getMySockets: {
    summary: 'How many WebSockets I have open, and the most I may',
    description:
      'A WebSocket handshake past the `socketsPerUser` cap is refused (409 `LIMIT_REACHED`), and a browser ' +
      'cannot read why a handshake failed. A client whose handshakes keep failing asks here: `open` at `max` ' +
      'means it has to wait until one of the user’s other tabs or devices closes its socket. A socket whose ' +
      'client vanished without closing counts until the server notices, within the idle timeout (10 minutes). ' +
      'Counts against the `read` allowance.',
  },
  getBackup: {
    summary: 'My encrypted history backup: its header and which chunks make it',
    description:
      '`{ backup }`, the head of the backup: `version` (one more at every write), the opaque `header` (what the client reads ' +
      'before it can decrypt anything: KDF parameters, salt, the wrapped data key), the index chunk, every ' +
      'chunk id and their total size. `backup` is `null` when I keep none. The server never sees the recovery key ' +
      'nor a byte of history. Counts against the `read` allowance.',
  },
  createBackupChunkUpload: {
    summary: 'Reserve a backup chunk and get a form to upload it',
    description:
      `A form that stores exactly \`size\` bytes (at most ${MAX_BACKUP_CHUNK_SIZE_IN_BYTES}) under a fresh ` +
      `chunk id, for ${ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS / 60} minutes: POST its fields, then the bytes as ` +
      '`file`. The chunk stays pending until `PUT /me/backup` lists it, and is deleted a day after this slot ' +
      'if none does. `LIMIT_REACHED` when the backup’s bytes, pending ones included, would pass ' +
      '`backupBytesPerUser` (1 GiB), or when `pendingBackupChunksPerUser` (500) chunks are pending already: ' +
      'write the backup to list them first. Counts against the `write` allowance.',
  },
  getBackupChunk: {
    summary: 'A short-lived link to one of my backup chunks',
    description:
      `A presigned GET of the chunk's encrypted bytes for ${ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS / 60} ` +
      'minutes, and its size. Any chunk of mine, pending or listed; `NOT_FOUND` for any other id (another ' +
      'user’s chunk is no different from none). Counts against the `read` allowance.',
  },
  putBackup: {
    summary: 'Write my backup’s head: which of my chunks make it',
    description:
      'Lists the chunks of the backup (the index chunk among them, each once, at most ' +
      `${MAX_BACKUP_CHUNKS}) and its header (at most ${MAX_BACKUP_HEADER_LENGTH} base64 characters), over ` +
      'the version I read (`expectedVersion`, 0 when I had none). `CONFLICT` when another device wrote ' +
      'meanwhile (read again and retry), or when a chunk listed is not one of mine or was never uploaded ' +
      'at the size reserved. Chunks the previous backup listed and this one does not are deleted. Counts ' +
      'against the `write` allowance.',
  },
  deleteBackup: {
    summary: 'Delete my backup and every chunk of mine',
    description:
      'The head and every chunk, listed or pending, objects and records. Deleting when there is none is no ' +
      'error. Counts against the `write` allowance.',
  },
  updateMe: {
    summary: 'Change my username or display name',
  },
  syncMyEmail: {
    summary: 'Take my new email from my account, after I changed it there',
    description:
      'The email is changed at the user pool, from the client: `UpdateUserAttributes` sends a code to the ' +
      'new address, and the change counts once `VerifyUserAttribute` takes that code (until then the old ' +
      'email still signs in). Then this call reads the account’s email from the user pool and makes it the ' +
      'profile’s: others find me by exact email with the new one, and by the old one nobody. `CONFLICT` when ' +
      'another profile holds the new email (nothing changes); `NOT_FOUND` before my profile exists (`GET /me`). ' +
      'Repeating it, or calling it with nothing changed, answers my profile as it is. Counts against the ' +
      '`write` allowance.',
  },
  exportMyData: {
    summary: 'Everything the server holds about me, as JSON, page by page',
    description:
      'My profile (with my email, and whether a picture is set), my devices (with their public signing key and, ' +
      'where notifications are on, the push service they go to, never the subscription or its keys), my friends ' +
      'and pending requests both ways, the users I blocked, and every conversation I am in: its kind, name and ' +
      'creation, my role, when I joined and my own settings of it, and its members by user id, username and ' +
      'display name (never their email). Messages are not in it: the server holds only their ciphertext, and ' +
      'the plaintext is on my devices. The profile and devices come on the first page; each page then holds up ' +
      `to ${EXPORT_FRIENDS_PER_PAGE} friends, ${EXPORT_BLOCKS_PER_PAGE} blocks and ${EXPORT_CONVERSATIONS_PER_PAGE} conversations, in that order, and \`next\` ` +
      'while more follow: pass it back as `cursor`. Each page counts against the `read` allowance.',
  },
  createAvatarUpload: {
    summary: 'Get a slot to upload my encrypted profile picture',
    description: `The client scales the picture, encrypts it under a fresh key with the attachment cipher (see docs/e2ee.md, "Profile pictures") and asks for a slot of the ciphertext's exact size, at most ${MAX_AVATAR_SIZE_IN_BYTES} bytes. The answer is a presigned form POST to the object store, pinned to one object and that size and valid for ${ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS / 60} minutes. Only the latest slot can become the picture: asking again deletes an earlier upload that never became one. Counts against the \`write\` rate limit. Then \`PUT /me/avatar\`.`,
  },
  setAvatar: {
    summary: 'Make my uploaded picture my profile picture',
    description: `\`avatarId\` must be the caller's latest slot of \`POST /me/avatar/upload\` (else \`NOT_FOUND\`, also for someone else's upload), its form posted (else \`CONFLICT\`: the upload is not complete) and the object at most ${MAX_AVATAR_SIZE_IN_BYTES} bytes (else \`PAYLOAD_TOO_LARGE\`). The previous picture's object is deleted. Friends and co-members get a \`profile\` push with the new \`avatarId\`; the server never has the key, which the client sends inside its end-to-end encrypted messages. Counts against the \`write\` rate limit.`,
  },
  clearAvatar: {
    summary: 'Remove my profile picture',
    description:
      'The object is deleted and the profile no longer names one; friends and co-members get a `profile` push without `avatarId`, and show initials again. Removing when there is none is no error.',
  },
  getAvatar: {
    summary: "Get a short-lived link to a user's encrypted profile picture",
    description: `For the user themself, their friends and the members of their groups, never for someone blocked either way (the audience of their \`profile\` pushes); anyone else, and a user without a picture, gets \`NOT_FOUND\`, so nobody learns whether a stranger has one. The link works for ${ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS / 60} minutes. The bytes are ciphertext: the key and the digest reach a viewer only inside a message from the user.`,
  },
  signOutEverywhere: {
    summary: 'Sign out everywhere: end every session of my account, this one included',
    description:
      'Revokes every refresh token of the account, so no browser or app can renew its tokens; from the ' +
      'next second on, access tokens issued before the call open no WebSocket and change nothing over ' +
      'HTTP (`SESSION_ENDED`), and every open WebSocket of the account is closed. Answers once that ' +
      'second has begun, so a sign-in after the answer gets tokens that work. Idempotent.',
  },
  deleteMe: {
    summary: 'Delete my account and everything the server keeps of it but others’ history',
    description:
      'Needs an access token from a sign-in in the last 5 minutes (`auth_time`; a token renewed from an ' +
      'older sign-in gets `REAUTHENTICATION_REQUIRED`). The account leaves every group and direct ' +
      'conversation (members see it leave; a direct conversation closes), its friendships, requests and ' +
      'blocks go (friends are told), and its devices, key packages, Welcomes, push subscriptions, pins, ' +
      'counters, profile, profile picture and email are deleted; its username stays reserved for 30 days; ' +
      'the identity provider deletes the account, and every session ends and every WebSocket closes. ' +
      'Messages it sent stay in the conversations, as ciphertext, for the people who received them. ' +
      'Idempotent: a retry after a failure carries on where it stopped.',
  },
  findUsers: {
    summary: 'Find users by exact email or by username prefix',
    description:
      'A prefix needs at least 3 characters and answers at most 10 users, with no further pages (type more ' +
      'to narrow it); searches count against the `search` allowance. There is no way to list every user.',
  },
  getUser: {
    summary: 'A user’s public profile',
  },
  listFriends: {
    summary: 'My friends and pending requests, both ways',
  },
  sendFriendRequest: {
    summary: 'Ask a user, by id, username or email, to be friends',
    description:
      'If they already asked me, this accepts their request. A user has at most 5,000 friends and pending ' +
      'requests, sent and received together (`friendsPerUser`): a request from a user at the cap is ' +
      '`LIMIT_REACHED` until they remove a friend or cancel or reject a request; one to a user at the cap is ' +
      '`NOT_FOUND`, the answer for a user who blocked me, so a sender learns nothing of anyone else’s count. ' +
      'Nothing is stored either way.',
  },
  acceptFriendRequest: {
    summary: 'Accept a request',
    description:
      'A pending request already counts against both users’ `friendsPerUser` cap, so accepting it needs no ' +
      'room. Only a request stored before the cap was counted can be refused, with `LIMIT_REACHED`, when it ' +
      'would take either user past the cap.',
  },
  rejectFriendRequest: {
    summary: 'Reject a request',
  },
  cancelFriendRequest: {
    summary: 'Withdraw my request',
  },
  removeFriend: {
    summary: 'Unfriend',
  },
  listBlocks: {
    summary: 'Users I blocked',
  },
  blockUser: {
    summary: 'Block a user',
    description:
      'Ends any friendship or request. The blocked user can no longer send me requests or direct messages, nor see my presence. A user who blocked me is, to me, a user who does not exist: blocking them answers 404 like a request to them does, and stores nothing.',
  },
  unblockUser: {
    summary: 'Unblock a user',
  },
  listConversations: {
    summary: 'My conversations, with last message and unread count, a page at a time',
    description:
      'Pages follow in conversation-id order; each page is sorted newest activity first (the last content message, else the creation; commits do not count). A client with more than one page sorts the whole list by `lastActivityAt`. Each request reads only the conversations of its page, however many the user has.',
  },
  createConversation: {
    summary: 'Open a direct conversation with a friend, or create a group of friends',
    description:
      'A direct conversation is unique per pair: asking again returns the same one. A user is in at most 500 groups (`groupsPerUser`; direct conversations do not count): a group with a member who is full, the creator included, is `LIMIT_REACHED` naming them, and nothing is stored.',
  },
  getConversation: {
    summary: 'A conversation with its members and their receipts',
  },
  updateConversation: {
    summary: 'Rename a group (admins)',
  },
  updateConversationSettings: {
    summary: 'Pin, archive, mute or mark unread a conversation, for me alone',
    description: `My own settings, which no other member sees; only the fields given change, and the answer holds them all. Every one of my devices gets a \`settings\` push. At most ${MAX_PINNED_CONVERSATIONS} conversations are pinned at once: one more is \`LIMIT_REACHED\` until one is unpinned. An archived conversation stays archived when a message arrives. \`mutedUntil\` mutes until a time (\`${MUTED_FOREVER}\` is "always"); \`null\` or a past time unmutes. The change counts against the \`write\` allowance.`,
  },
  addMembers: {
    summary: 'Add friends of mine to a group (admins)',
    description:
      'A user is in at most 500 groups (`groupsPerUser`): when one of them is full, nobody is added and the answer is `LIMIT_REACHED` naming the full ones. Leaving a group, or being removed, makes room.',
  },
  removeMember: {
    summary: 'Remove a member (admins), or leave (my own id)',
  },
  updateMember: {
    summary: 'Make a member an admin, or an admin a member again (admins)',
    description:
      'A group keeps at least one admin: the last admin cannot step down (`CONFLICT`); they make another member admin first, or leave, which hands the role to the longest-standing member. Giving a member the role they have changes nothing. Every member is told with a `conversation` push (`role_changed`), and the change is logged in the chat as a message of kind `event`.',
  },
  listMessages: {
    summary: 'History in seq order: after a seq (resume), before a seq (scroll back), or the latest',
    description:
      '`after=N` returns the messages from N+1 on, oldest first: a reconnecting client asks with its last seen seq and pages with `next` until there is none. `before=N` returns the page just before N. Neither returns the latest page. `receipts` holds every member’s delivered and read marks: a message with seq s is delivered to a member when s ≤ delivered, read when s ≤ read. A page of large messages (MLS commits) stops early, with `next`, once its bodies reach 4 MiB of base64; it always holds at least one message.',
  },
  postMessage: {
    summary: 'Send a message (opaque ciphertext)',
    description:
      'The client chooses `messageId`; a retry with the same id returns the first result. Every device of every member gets the message pushed, except the device named by `deviceId` (as its WebSocket named itself with `?deviceId=` at `$connect`): it has the message from this answer. A client with an open WebSocket sends there instead (`send`), answered by an `ack`.',
  },
  createUpload: {
    summary: 'Get a slot to upload one encrypted attachment',
    description: `The client encrypts the file first (see docs/e2ee.md, "Attachments") and asks for a slot of the ciphertext's exact size, at most ${MAX_ATTACHMENT_SIZE_IN_BYTES} bytes. The answer is a presigned form POST to the object store, pinned to one object and that size and valid for ${ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS / 60} minutes. The size counts against the user's daily attachment allowance at once (\`LIMIT_REACHED\` with \`Retry-After\` past it). Then send a message naming the attachment in \`attachmentIds\`: an upload no message names within a day is deleted.`,
  },
  getAttachment: {
    summary: "Get a short-lived link to an attachment's encrypted bytes",
    description: `For current members of the conversation only (a removed member gets 403), and only for an attachment a message names (or, before that, for its uploader). The link works for ${ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS / 60} minutes. The bytes are ciphertext: the key and the digest to check them against are in the message.`,
  },
  deleteMessage: {
    summary: 'Delete my message: its body goes, a tombstone keeps its place',
    description:
      "Only content: an MLS commit is the group's history, and deleting it is refused with `IMMUTABLE` (so are an edit, reply or reaction whose `refSeq` is a commit).",
  },
  updateReceipts: {
    summary: 'Move my delivered and read marks forward',
  },
  getPresence: {
    summary: 'Online state and last seen of friends and co-members',
    description: 'Users the caller may not see are left out.',
  },
  registerDevice: {
    summary: 'Register one of my devices with its signature public key',
    description:
      'Registering the same `deviceId` again with the same key returns the stored device; with another key it is a conflict. A revoked device stays revoked. A user has at most 10 unrevoked devices (`devicesPerUser`): one more is `LIMIT_REACHED` until one is revoked.',
  },
  listDevices: {
    summary: 'A user’s devices, revoked ones included',
    description: 'Any signed-in user may list them: clients check MLS credentials against these keys.',
  },
  revokeDevice: {
    summary: 'Revoke my device: it stays listed as revoked and its key packages are no longer handed out',
  },
  renameDevice: {
    summary: 'Rename my device: a label people recognise, such as "Laptop at work"',
    description:
      'The name is 1 to 64 characters. Only the name changes: the key, and so every safety number, stays the same. A revoked device can be renamed too.',
  },
  putPushSubscription: {
    summary: 'Store my device’s Web Push subscription, replacing any it had',
    description:
      'The body is the browser’s `PushSubscription.toJSON()` (`expirationTime` is ignored) and `preview`: `name` (the default) lets a notification say who wrote, `none` only "New message"; it never holds message text. `endpoint` is an `https:` URL of at most 1,024 characters with no user name or password; `keys.p256dh` is base64url of a 65-byte uncompressed P-256 point, `keys.auth` base64url of 16 bytes. A device holds one subscription; a revoked device none (`FORBIDDEN`). Revoking the device or signing out everywhere removes it. Counts against the `write` allowance.',
  },
  getPushSubscription: {
    summary: 'Where my device’s pushes go, and what they may show',
    description:
      'The push service’s origin, the `preview` setting and when it was stored: never the keys. `NOT_FOUND` when the device has no subscription.',
  },
  deletePushSubscription: {
    summary: 'Remove my device’s Web Push subscription',
    description: 'Removing one that is not there changes nothing and answers 204 all the same.',
  },
  uploadKeyPackages: {
    summary: 'Upload one-use key packages (and optionally a last-resort one) for my device',
    description:
      'Key packages are opaque to the server. Each one-use package is handed out at most once. A device holds at most 200 unclaimed one-use packages (`keyPackagesPerDevice`): an upload that would pass it is `LIMIT_REACHED` and stores none of its packages.',
  },
  countKeyPackages: {
    summary: 'How many one-use key packages my device has left, and whether it has a last-resort one',
  },
  claimKeyPackages: {
    summary: 'Claim one key package for every current device of each user',
    description:
      'A one-use package is removed as it is handed out; when a device has none left, its last-resort package is returned and kept. Devices with neither are listed in `missing`. Only oneself, friends and co-members can be claimed (never anyone blocked either way): a claim naming anyone else is refused whole.',
  },
  postCommit: {
    summary: 'Submit the MLS commit for the current epoch, with an optional Welcome',
    description:
      'Exactly one commit is accepted per epoch: `epoch` must be the conversation’s current one, and the loser of a race gets a conflict naming the current epoch (it applies the winner from the log and retries). The accepted commit is appended to the log as a message of kind `commit` with id `commit-{epoch}` and pushed to every member (as a `message-ref` when too large for one frame). Posting the same commit again returns the first result. A Welcome is stored for each recipient device and announced with a `welcome` push. When the epoch was claimed by a commit whose request never finished, that commit is finished first (logged, Welcomes stored and pushed) and this one gets the conflict. `membersVersion`, when given, must not be ahead of the conversation’s (a conflict otherwise); the group then counts as in line with that member list. A commit or Welcome over 16 KiB is stored in S3 and counted against the sender’s 50 MiB a UTC day (`blobBytesPerUserPerDay`): past it, `LIMIT_REACHED` with `Retry-After` until the next UTC midnight, and nothing is stored.',
  },
  getEpoch: {
    summary:
      'The epoch the server accepts the next commit for, and whether a membership change awaits a commit',
    description:
      'A member change is pending while `committedMembersVersion < membersVersion`. An epoch claimed by a commit whose request never finished is finished first, so the epoch returned is always one a commit can be made at.',
  },
  listWelcomes: {
    summary: 'Welcomes waiting for my device, oldest conversation id first',
    description:
      'Each stays until acknowledged, or for 30 days. A page stops early (with `next`) once its Welcomes reach 4 MiB of base64.',
  },
  acknowledgeWelcome: {
    summary: 'Acknowledge a Welcome my device processed: it is removed (a repeat is a no-op)',
  },
  requestHistoryTransfer: {
    summary: 'Ask one of my devices for its history, for another of my devices (the new one)',
    description: `The new device asks: \`fromDeviceId\` holds the history, \`toDeviceId\` is the new device, both the caller's own (\`NOT_FOUND\` for any other id, another user's devices included) and not revoked (\`FORBIDDEN\`, naming the revoked one); they must differ. \`request\` is opaque to the server (the new device's signed public key), at most 1,024 base64 characters. The transfer starts \`requested\` and lives ${HISTORY_TRANSFER_LIFETIME_IN_MS / 3_600_000} hours, after which every route answers \`NOT_FOUND\` for it. A user has at most 3 open transfers (\`historyTransfersPerUser\`: not done, cancelled or expired): one more is \`LIMIT_REACHED\`. Every change of a transfer is pushed to all of the user's devices as a \`history-transfer\` frame. Counts against the \`write\` allowance.`,
  },
  listHistoryTransfers: {
    summary: 'My history transfers, newest first',
    description: `The unexpired ones: every open one, then the newest finished ones, ${MAX_LISTED_HISTORY_TRANSFERS} in all at most.`,
  },
  getHistoryTransfer: {
    summary: 'One of my history transfers',
    description: 'An unknown id, another user’s transfer and an expired one are all `NOT_FOUND`.',
  },
  offerHistoryTransfer: {
    summary: 'The old device offers its history: `requested` → `offered`',
    description:
      '`offer` is opaque to the server (at most 1,024 base64 characters). Only from `requested` (`CONFLICT` otherwise). Every step after the request is refused (`FORBIDDEN`) once either device was revoked. Counts against the `write` allowance.',
  },
  approveHistoryTransfer: {
    summary: 'The old device approves the transfer: `offered` → `approved`',
    description:
      '`approval` is opaque to the server (the key the chunks are sealed under, sealed to the new device; at most 1,024 base64 characters). Only from `offered` (`CONFLICT` otherwise). Counts against the `write` allowance.',
  },
  createHistoryChunkUpload: {
    summary: 'Get a form to upload the next chunk of a history transfer',
    description: `Only while \`approved\`, and only for the next chunk (\`index\` equal to the transfer's \`chunks\`; \`CONFLICT\` otherwise); asking again for the same index gives a fresh form, which is how an upload is retried. The answer is a presigned form POST to the object store, pinned to the chunk's object and exactly \`size\` bytes (at most ${MAX_HISTORY_CHUNK_SIZE_IN_BYTES}), valid for ${ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS / 60} minutes. A transfer carries at most ${MAX_HISTORY_TRANSFER_SIZE_IN_BYTES / 1024 ** 3} GiB in at most ${MAX_HISTORY_CHUNKS_PER_TRANSFER} chunks: past either, \`LIMIT_REACHED\`. Then \`PUT …/chunks/{index}\`. Counts against the \`write\` allowance.`,
  },
  announceHistoryChunk: {
    summary: 'Announce an uploaded chunk: the transfer counts it, and `final` makes it `sent`',
    description:
      'Only while `approved` and for the next chunk; its object must be stored at exactly `size` bytes (`CONFLICT` “chunk N was not uploaded” otherwise). `descriptor` is opaque to the server (the chunk’s sealed key and digest, at most 1,024 base64 characters); the new device reads it with the chunk. Announcing the last announced chunk again with the same descriptor answers the transfer as it is (a retry); any other index is `CONFLICT`. Counts against the `write` allowance.',
  },
  getHistoryChunk: {
    summary: 'Get a short-lived link to an announced chunk, with its size and descriptor',
    description: `Only for an announced chunk (\`index\` below \`chunks\`; \`NOT_FOUND\` otherwise). The link works for ${ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS / 60} minutes.`,
  },
  confirmHistoryChunks: {
    summary: 'The new device confirms how many chunks it has: a `sent` transfer received whole is `done`',
    description:
      '`received` only grows: a smaller value than the one stored changes nothing and is no error; one above `chunks` is `VALIDATION_FAILED`. Only while `approved` or `sent` (`CONFLICT` otherwise). Counts against the `write` allowance.',
  },
  cancelHistoryTransfer: {
    summary: 'Cancel a history transfer: its chunks are deleted',
    description:
      'Either device may cancel. An open transfer becomes `cancelled` and its uploaded chunks are deleted; a finished one stays as it is, and cancelling again is no error. Counts against the `write` allowance.',
  },
  getApiDescription: {
    summary: 'This API’s OpenAPI 3.1 description',
  },
} as const satisfies Record<RouteId, RouteDescription>;
