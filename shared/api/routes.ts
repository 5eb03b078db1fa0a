import { ErrorCode } from '../protocol/errors';
import { HistoryTransferFieldSchema, HistoryTransferIdSchema } from '../protocol/history-transfer';
import {
  AttachmentIdSchema,
  AttachmentIdsSchema,
  BackupChunkIdSchema,
  Base64Schema,
  ClientIdSchema,
  ConversationIdSchema,
  CursorSchema,
  carriesAttachmentsRightly,
  DeviceIdSchema,
  DisplayNameInputSchema,
  decodeBase64Url,
  decodedBase64Length,
  GroupNameInputSchema,
  SendableMessageKindSchema,
  SeqSchema,
  UserIdSchema,
  UsernameSchema,
} from '../protocol/ids';
import {
  MAX_ATTACHMENT_SIZE_IN_BYTES,
  MAX_AVATAR_SIZE_IN_BYTES,
  MAX_BACKUP_CHUNK_SIZE_IN_BYTES,
  MAX_BACKUP_CHUNKS,
  MAX_BACKUP_HEADER_LENGTH,
  MAX_CLAIM_USERS,
  MAX_COMMIT_SIZE_IN_BYTES,
  MAX_HISTORY_CHUNK_SIZE_IN_BYTES,
  MAX_KEY_PACKAGE_SIZE_IN_BYTES,
  MAX_KEY_PACKAGES_PER_UPLOAD,
  MAX_PUSH_ENDPOINT_LENGTH,
  MAX_USER_SEARCH_RESULTS,
  MAX_WELCOME_RECIPIENTS,
  MAX_WELCOME_SIZE_IN_BYTES,
  MIN_USER_SEARCH_PREFIX_LENGTH,
  PUSH_AUTH_SIZE_IN_BYTES,
  PUSH_P256DH_SIZE_IN_BYTES,
  SIGNATURE_PUBLIC_KEY_SIZE_IN_BYTES,
} from '../protocol/limits';
import { DeviceAddressSchema, MemberRoleSchema, PushPreviewSchema } from '../protocol/resources';
import * as z from '../zod';

/**
 * The HTTP API, one entry per route: method, path, and the schemas of its
 * parameters, query and body. The same table validates requests in the
 * function, generates the OpenAPI document, types the client in
 * `shared/client/`, and lists the routes API Gateway serves (`infra/topology.ts`).
 *
 * What a function never reads is keyed by the same route ids in modules of its
 * own, so that no function bundle carries it: each route's response schema in
 * `route-responses.ts` (read by the client and the OpenAPI document) and its
 * summary and description in `route-descriptions.ts` (the OpenAPI document only).
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/conversations/{conversationId}`. */
  readonly path: string;
  /** The OpenAPI tag the route is listed under. */
  readonly tag: string;
  /** `none` only for the API description itself. */
  readonly auth: 'jwt' | 'none';
  readonly params?: z.ZodMiniObject;
  readonly query?: z.ZodMiniObject;
  readonly body?: z.ZodMiniType;
  /** Success status; 204 has no body (the body's schema is in `route-responses.ts`). */
  readonly status: 200 | 201 | 204;
  /** Error codes this route may answer with, besides UNAUTHORIZED, RATE_LIMITED and INTERNAL. */
  readonly errors: readonly ErrorCode[];
  /**
   * A read that refuses a token from before a sign-out everywhere, as every route that changes state
   * does: what it answers is worth a stolen token's last hour (the account's export).
   */
  readonly refusesEndedSessions?: true;
}

const PAGE_LIMIT_DEFAULT = 20;
export const MAX_PAGE_LIMIT = 100;

const LimitSchema = z._default(
  z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_PAGE_LIMIT)),
  PAGE_LIMIT_DEFAULT,
);
const PagingQuerySchema = z.object({ limit: LimitSchema, cursor: z.optional(CursorSchema) });

const UserParamsSchema = z.object({ userId: UserIdSchema });
const ConversationParamsSchema = z.object({ conversationId: ConversationIdSchema });

/** Who a friend request is for: exactly one of a user id, a username or an email. */
export const FriendRequestBodySchema = z
  .object({
    userId: z.optional(UserIdSchema),
    username: z.optional(UsernameSchema),
    email: z.optional(z.email().check(z.maxLength(254))),
  })
  .check(
    z.refine((body) => [body.userId, body.username, body.email].filter((v) => v !== undefined).length === 1, {
      message: 'exactly one of userId, username and email is required',
    }),
  );

export const CreateConversationBodySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('direct'), userId: UserIdSchema }),
  z.object({
    kind: z.literal('group'),
    name: GroupNameInputSchema,
    /** Friends of the creator; the creator is added as admin. */
    memberIds: z.array(UserIdSchema).check(z.minLength(1), z.maxLength(255)),
  }),
]);

export const PostMessageBodySchema = z
  .object({
    messageId: ClientIdSchema,
    body: Base64Schema,
    kind: z.optional(SendableMessageKindSchema),
    refSeq: z.optional(SeqSchema),
    /**
     * The sending device, as its WebSocket named itself at `$connect` (`?deviceId=`): its connections get
     * no copy of the message, since it has it already.
     */
    deviceId: z.optional(DeviceIdSchema),
    /** The attachments the message carries (uploaded with `POST …/attachments`): a message or a reply only. */
    attachmentIds: z.optional(AttachmentIdsSchema),
  })
  .check(
    z.refine(carriesAttachmentsRightly, {
      message: 'attachmentIds go only with a message or a reply',
      path: ['attachmentIds'],
    }),
    z.refine((body) => ((body.kind ?? 'message') === 'message') === (body.refSeq === undefined), {
      message: 'refSeq is required for an edit, reply or reaction, and only for them',
      path: ['refSeq'],
    }),
  );

export const CreateUploadBodySchema = z.object({
  /** The exact size of the encrypted object to upload, in bytes: the upload is refused at any other size. */
  size: z.number().check(z.int(), z.positive(), z.maximum(MAX_ATTACHMENT_SIZE_IN_BYTES)),
});

export const CreateAvatarUploadBodySchema = z.object({
  /** The exact size of the encrypted picture, in bytes: the upload is refused at any other size. */
  size: z.number().check(z.int(), z.positive(), z.maximum(MAX_AVATAR_SIZE_IN_BYTES)),
});

export const SetAvatarBodySchema = z.object({
  /** The id `POST /me/avatar/upload` answered, once its form was posted. */
  avatarId: AttachmentIdSchema,
});

const AttachmentParamsSchema = z.object({
  conversationId: ConversationIdSchema,
  attachmentId: AttachmentIdSchema,
});

/**
 * A change of my own settings of a conversation: only the fields given change. Unknown fields are
 * refused, so a misspelt one is not silently ignored.
 */
export const ConversationSettingsBodySchema = z
  .strictObject({
    pinned: z.optional(z.boolean()),
    archived: z.optional(z.boolean()),
    /** Muted until then (ISO 8601 with a zone); `null` unmutes. A time already past unmutes too. */
    mutedUntil: z.optional(z.nullable(z.iso.datetime({ offset: true }))),
    /** `false` once the conversation was opened. */
    markedUnread: z.optional(z.boolean()),
  })
  .check(
    z.refine((body) => Object.values(body).some((value) => value !== undefined), {
      message: 'at least one of pinned, archived, mutedUntil and markedUnread is required',
    }),
  );

export const HistoryQuerySchema = z
  .object({
    after: z.optional(z.coerce.number().check(z.int(), z.nonnegative())),
    before: z.optional(z.coerce.number().check(z.int(), z.positive())),
    cursor: z.optional(CursorSchema),
    limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_PAGE_LIMIT)), 50),
  })
  .check(
    z.refine(
      (query) => [query.after, query.before, query.cursor].filter((v) => v !== undefined).length <= 1,
      { message: 'at most one of after, before and cursor' },
    ),
  );

export const ReceiptBodySchema = z
  .object({ delivered: z.optional(SeqSchema), read: z.optional(SeqSchema) })
  .check(
    z.refine((body) => body.delivered !== undefined || body.read !== undefined, {
      message: 'at least one of delivered and read is required',
    }),
  );

export const FindUsersQuerySchema = z
  .object({
    email: z.optional(z.email().check(z.maxLength(254))),
    /** At least 3 characters, and no further pages: nobody lists everyone. */
    prefix: z.optional(
      z
        .string()
        .check(z.minLength(MIN_USER_SEARCH_PREFIX_LENGTH), z.maxLength(32), z.regex(/^[a-z0-9_.]+$/i)),
    ),
    limit: z._default(
      z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_USER_SEARCH_RESULTS)),
      MAX_USER_SEARCH_RESULTS,
    ),
  })
  .check(
    z.refine((query) => (query.email === undefined) !== (query.prefix === undefined), {
      message: 'exactly one of email and prefix is required',
    }),
  );

export const PresenceQuerySchema = z.object({
  /** Comma-separated, at most 100. */
  userIds: z.pipe(
    z.pipe(
      z.string(),
      z.transform((value: string) => value.split(',').filter(Boolean)),
    ),
    z.array(UserIdSchema).check(z.minLength(1), z.maxLength(100)),
  ),
});

const DeviceParamsSchema = z.object({ deviceId: DeviceIdSchema });

export const RegisterDeviceBodySchema = z.object({
  deviceId: DeviceIdSchema,
  signaturePublicKey: Base64Schema.check(
    z.refine(
      (key) => decodedBase64Length(key) === SIGNATURE_PUBLIC_KEY_SIZE_IN_BYTES,
      `must be a ${SIGNATURE_PUBLIC_KEY_SIZE_IN_BYTES}-byte Ed25519 public key`,
    ),
  ),
  name: z.optional(DisplayNameInputSchema),
});

export const RenameDeviceBodySchema = z.object({ name: DisplayNameInputSchema });

/** Whether `endpoint` is an `https:` URL with no user name or password in it. */
function isHttpsEndpoint(endpoint: string): boolean {
  try {
    const url = new URL(endpoint);
    return url.protocol === 'https:' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/**
 * A Web Push subscription as the browser's `PushSubscription.toJSON()` gives it, plus what its
 * notifications may show. `expirationTime` is accepted and not kept: push services report an expired
 * subscription with 404 or 410, which is when the server drops it.
 */
export const PushSubscriptionBodySchema = z.object({
  endpoint: z
    .string()
    .check(
      z.maxLength(MAX_PUSH_ENDPOINT_LENGTH, `must be at most ${MAX_PUSH_ENDPOINT_LENGTH} characters`),
      z.refine(isHttpsEndpoint, 'must be an https: URL without a user name or password'),
    ),
  expirationTime: z.optional(z.nullable(z.number())),
  keys: z.object({
    p256dh: z.string().check(
      z.refine((key) => {
        const bytes = decodeBase64Url(key);
        return bytes?.length === PUSH_P256DH_SIZE_IN_BYTES && bytes[0] === 0x04;
      }, `must be base64url of a ${PUSH_P256DH_SIZE_IN_BYTES}-byte uncompressed P-256 point (0x04 first)`),
    ),
    auth: z
      .string()
      .check(
        z.refine(
          (secret) => decodeBase64Url(secret)?.length === PUSH_AUTH_SIZE_IN_BYTES,
          `must be base64url of ${PUSH_AUTH_SIZE_IN_BYTES} bytes`,
        ),
      ),
  }),
  /** What notifications on this device show: the sender's name (the default) or only "New message". */
  preview: z._default(PushPreviewSchema, 'name'),
});

/** Opaque MLS bytes of `1..limit` bytes. */
function mlsBytes(limitInBytes: number) {
  return Base64Schema.check(
    z.refine((bytes) => decodedBase64Length(bytes) > 0, 'must not be empty'),
    z.refine((bytes) => decodedBase64Length(bytes) <= limitInBytes, `must be at most ${limitInBytes} bytes`),
  );
}

const KeyPackageSchema = mlsBytes(MAX_KEY_PACKAGE_SIZE_IN_BYTES);

export const UploadKeyPackagesBodySchema = z.object({
  keyPackages: z.array(KeyPackageSchema).check(z.minLength(1), z.maxLength(MAX_KEY_PACKAGES_PER_UPLOAD)),
  /** Replaces the device's last-resort package, handed out (and kept) once the one-use ones run out. */
  lastResort: z.optional(KeyPackageSchema),
});

export const ClaimKeyPackagesBodySchema = z.object({
  userIds: z.array(UserIdSchema).check(z.minLength(1), z.maxLength(MAX_CLAIM_USERS)),
});

/** An MLS epoch: 0 for a new group, one more with each accepted commit. */
const EpochNumberSchema = z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER));

export const PostCommitBodySchema = z
  .object({
    /** The epoch the commit was made at: it must be the conversation's current one. */
    epoch: EpochNumberSchema,
    commit: mlsBytes(MAX_COMMIT_SIZE_IN_BYTES),
    /** A Welcome for the devices the commit adds. */
    welcome: z.optional(mlsBytes(MAX_WELCOME_SIZE_IN_BYTES)),
    /** The devices the Welcome is for: current devices of current members. */
    welcomeRecipients: z.optional(
      z.array(DeviceAddressSchema).check(z.minLength(1), z.maxLength(MAX_WELCOME_RECIPIENTS)),
    ),
    /**
     * The member list version (`membersVersion` of the conversation) this commit brings the
     * group in line with; one ahead of the conversation's is a conflict.
     */
    membersVersion: z.optional(z.number().check(z.int(), z.positive(), z.maximum(Number.MAX_SAFE_INTEGER))),
  })
  .check(
    z.refine((body) => (body.welcome === undefined) === (body.welcomeRecipients === undefined), {
      message: 'welcomeRecipients is required with a welcome, and only with one',
      path: ['welcomeRecipients'],
    }),
  );

const WelcomeParamsSchema = z.object({
  deviceId: DeviceIdSchema,
  conversationId: ConversationIdSchema,
  epoch: z.pipe(z.coerce.number(), EpochNumberSchema),
});

/** A new device asks one of the same user's devices for its history. */
export const RequestHistoryTransferBodySchema = z
  .object({
    /** The old device, which holds the history and will send it. */
    fromDeviceId: DeviceIdSchema,
    /** The new device, which asks (the caller's own). */
    toDeviceId: DeviceIdSchema,
    /** Opaque to the server: the new device's signed public key. */
    request: HistoryTransferFieldSchema,
  })
  .check(
    z.refine((body) => body.fromDeviceId !== body.toDeviceId, {
      message: 'must be another device than fromDeviceId',
      path: ['toDeviceId'],
    }),
  );

const HistoryTransferParamsSchema = z.object({ transferId: HistoryTransferIdSchema });

/** A chunk's place in its transfer: 0, 1, 2, … */
const ChunkIndexSchema = z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER));

const HistoryChunkParamsSchema = z.object({
  transferId: HistoryTransferIdSchema,
  index: z.pipe(z.coerce.number(), ChunkIndexSchema),
});

/** The exact size of one encrypted history chunk, in bytes. */
const HistoryChunkSizeSchema = z
  .number()
  .check(z.int(), z.positive(), z.maximum(MAX_HISTORY_CHUNK_SIZE_IN_BYTES));

export const CreateHistoryChunkUploadBodySchema = z.object({
  /** The next chunk: the transfer's `chunks`. */
  index: ChunkIndexSchema,
  /** The exact size of the encrypted chunk: the upload is refused at any other size. */
  size: HistoryChunkSizeSchema,
});

export const AnnounceHistoryChunkBodySchema = z.object({
  /** The size the chunk was uploaded at. */
  size: HistoryChunkSizeSchema,
  /** Opaque to the server: the chunk's sealed key and digest. */
  descriptor: HistoryTransferFieldSchema,
  /** The last chunk: the transfer becomes `sent`. */
  final: z.boolean(),
});

export const ConfirmHistoryChunksBodySchema = z.object({
  /** How many chunks, from the first, the new device has received and stored. */
  received: ChunkIndexSchema,
});

// Encrypted history backup (`/me/backup`).

export const CreateBackupChunkUploadBodySchema = z.object({
  /** The exact size of the encrypted chunk to upload, in bytes: the upload is refused at any other size. */
  size: z.number().check(z.int(), z.positive(), z.maximum(MAX_BACKUP_CHUNK_SIZE_IN_BYTES)),
});

const BackupChunkParamsSchema = z.object({ chunkId: BackupChunkIdSchema });

/** A new head for the caller's backup: which of their chunks make it, written over the version they read. */
export const PutBackupBodySchema = z
  .object({
    /** Opaque to the server: what the client reads before it can decrypt anything (KDF, salt, wrapped key). */
    header: Base64Schema.check(z.minLength(4), z.maxLength(MAX_BACKUP_HEADER_LENGTH)),
    /** The chunk holding the encrypted index of the others; one of `chunkIds`. */
    indexChunkId: BackupChunkIdSchema,
    /** Every chunk of the backup, the index chunk included, each once. */
    chunkIds: z.array(BackupChunkIdSchema).check(z.minLength(1), z.maxLength(MAX_BACKUP_CHUNKS)),
    /** The version the caller read (`GET /me/backup`), 0 when it found none: another is a conflict. */
    expectedVersion: z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER)),
  })
  .check(
    z.refine((body) => new Set(body.chunkIds).size === body.chunkIds.length, {
      message: 'chunkIds must name each chunk once',
      path: ['chunkIds'],
    }),
    z.refine((body) => body.chunkIds.includes(body.indexChunkId), {
      message: 'indexChunkId must be one of chunkIds',
      path: ['indexChunkId'],
    }),
  );

const {
  Forbidden,
  NotFound,
  Conflict,
  ValidationFailed,
  PayloadTooLarge,
  SendInProgress,
  Immutable,
  LimitReached,
  ReauthenticationRequired,
} = ErrorCode;

function route<const R extends RouteSpec>(spec: R): R {
  return spec;
}

export const ROUTES = {
  getMe: route({
    method: 'GET',
    path: '/me',
    tag: 'profile',
    auth: 'jwt',
    status: 200,
    errors: [],
  }),
  getMySockets: route({
    method: 'GET',
    path: '/me/sockets',
    tag: 'profile',
    auth: 'jwt',
    status: 200,
    errors: [],
  }),
  updateMe: route({
    method: 'PATCH',
    path: '/me',
    tag: 'profile',
    auth: 'jwt',
    body: z.object({ username: z.optional(UsernameSchema), displayName: z.optional(DisplayNameInputSchema) }),
    status: 200,
    errors: [ValidationFailed, Conflict],
  }),
  syncMyEmail: route({
    method: 'POST',
    path: '/me/email',
    tag: 'profile',
    auth: 'jwt',
    status: 200,
    errors: [NotFound, Conflict],
  }),
  signOutEverywhere: route({
    method: 'POST',
    path: '/me/sign-out',
    tag: 'profile',
    auth: 'jwt',
    status: 204,
    errors: [],
  }),
  deleteMe: route({
    method: 'DELETE',
    path: '/me',
    tag: 'profile',
    auth: 'jwt',
    status: 204,
    errors: [ReauthenticationRequired],
  }),
  exportMyData: route({
    method: 'GET',
    path: '/me/export',
    tag: 'profile',
    auth: 'jwt',
    query: z.object({ cursor: z.optional(CursorSchema) }),
    status: 200,
    errors: [ValidationFailed, NotFound],
    refusesEndedSessions: true,
  }),
  createAvatarUpload: route({
    method: 'POST',
    path: '/me/avatar/upload',
    tag: 'profile',
    auth: 'jwt',
    body: CreateAvatarUploadBodySchema,
    status: 201,
    errors: [ValidationFailed, NotFound],
  }),
  setAvatar: route({
    method: 'PUT',
    path: '/me/avatar',
    tag: 'profile',
    auth: 'jwt',
    body: SetAvatarBodySchema,
    status: 200,
    errors: [ValidationFailed, NotFound, Conflict, PayloadTooLarge],
  }),
  clearAvatar: route({
    method: 'DELETE',
    path: '/me/avatar',
    tag: 'profile',
    auth: 'jwt',
    status: 204,
    errors: [NotFound],
  }),
  getAvatar: route({
    method: 'GET',
    path: '/users/{userId}/avatar',
    tag: 'profile',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 200,
    errors: [NotFound],
  }),
  getBackup: route({
    method: 'GET',
    path: '/me/backup',
    tag: 'backup',
    auth: 'jwt',
    status: 200,
    errors: [],
  }),
  createBackupChunkUpload: route({
    method: 'POST',
    path: '/me/backup/chunks',
    tag: 'backup',
    auth: 'jwt',
    body: CreateBackupChunkUploadBodySchema,
    status: 201,
    errors: [ValidationFailed, LimitReached],
  }),
  getBackupChunk: route({
    method: 'GET',
    path: '/me/backup/chunks/{chunkId}',
    tag: 'backup',
    auth: 'jwt',
    params: BackupChunkParamsSchema,
    status: 200,
    errors: [ValidationFailed, NotFound],
  }),
  putBackup: route({
    method: 'PUT',
    path: '/me/backup',
    tag: 'backup',
    auth: 'jwt',
    body: PutBackupBodySchema,
    status: 200,
    errors: [ValidationFailed, Conflict],
  }),
  deleteBackup: route({
    method: 'DELETE',
    path: '/me/backup',
    tag: 'backup',
    auth: 'jwt',
    status: 204,
    errors: [],
  }),
  findUsers: route({
    method: 'GET',
    path: '/users',
    tag: 'profile',
    auth: 'jwt',
    query: FindUsersQuerySchema,
    status: 200,
    errors: [ValidationFailed],
  }),
  getUser: route({
    method: 'GET',
    path: '/users/{userId}',
    tag: 'profile',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 200,
    errors: [NotFound],
  }),
  listFriends: route({
    method: 'GET',
    path: '/friends',
    tag: 'friends',
    auth: 'jwt',
    query: PagingQuerySchema,
    status: 200,
    errors: [ValidationFailed],
  }),
  sendFriendRequest: route({
    method: 'POST',
    path: '/friends/requests',
    tag: 'friends',
    auth: 'jwt',
    body: FriendRequestBodySchema,
    status: 201,
    errors: [ValidationFailed, NotFound, Forbidden, Conflict, LimitReached],
  }),
  acceptFriendRequest: route({
    method: 'POST',
    path: '/friends/requests/{userId}/accept',
    tag: 'friends',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 200,
    errors: [NotFound, LimitReached],
  }),
  rejectFriendRequest: route({
    method: 'POST',
    path: '/friends/requests/{userId}/reject',
    tag: 'friends',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 204,
    errors: [NotFound],
  }),
  cancelFriendRequest: route({
    method: 'DELETE',
    path: '/friends/requests/{userId}',
    tag: 'friends',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 204,
    errors: [NotFound],
  }),
  removeFriend: route({
    method: 'DELETE',
    path: '/friends/{userId}',
    tag: 'friends',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 204,
    errors: [NotFound],
  }),
  listBlocks: route({
    method: 'GET',
    path: '/blocks',
    tag: 'friends',
    auth: 'jwt',
    query: PagingQuerySchema,
    status: 200,
    errors: [ValidationFailed],
  }),
  blockUser: route({
    method: 'PUT',
    path: '/blocks/{userId}',
    tag: 'friends',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 200,
    errors: [NotFound, ValidationFailed],
  }),
  unblockUser: route({
    method: 'DELETE',
    path: '/blocks/{userId}',
    tag: 'friends',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 204,
    errors: [],
  }),
  listConversations: route({
    method: 'GET',
    path: '/conversations',
    tag: 'conversations',
    auth: 'jwt',
    query: PagingQuerySchema,
    status: 200,
    errors: [ValidationFailed],
  }),
  createConversation: route({
    method: 'POST',
    path: '/conversations',
    tag: 'conversations',
    auth: 'jwt',
    body: CreateConversationBodySchema,
    status: 201,
    errors: [ValidationFailed, Forbidden, NotFound, LimitReached],
  }),
  getConversation: route({
    method: 'GET',
    path: '/conversations/{conversationId}',
    tag: 'conversations',
    auth: 'jwt',
    params: ConversationParamsSchema,
    status: 200,
    errors: [Forbidden],
  }),
  updateConversation: route({
    method: 'PATCH',
    path: '/conversations/{conversationId}',
    tag: 'conversations',
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: z.object({ name: GroupNameInputSchema }),
    status: 200,
    errors: [ValidationFailed, Forbidden, Conflict],
  }),
  updateConversationSettings: route({
    method: 'PATCH',
    path: '/conversations/{conversationId}/settings',
    tag: 'conversations',
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: ConversationSettingsBodySchema,
    status: 200,
    errors: [ValidationFailed, Forbidden, LimitReached],
  }),
  addMembers: route({
    method: 'POST',
    path: '/conversations/{conversationId}/members',
    tag: 'conversations',
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: z.object({ userIds: z.array(UserIdSchema).check(z.minLength(1), z.maxLength(100)) }),
    status: 200,
    errors: [ValidationFailed, Forbidden, Conflict, LimitReached],
  }),
  removeMember: route({
    method: 'DELETE',
    path: '/conversations/{conversationId}/members/{userId}',
    tag: 'conversations',
    auth: 'jwt',
    params: z.object({ conversationId: ConversationIdSchema, userId: UserIdSchema }),
    status: 204,
    errors: [Forbidden, NotFound, Conflict],
  }),
  updateMember: route({
    method: 'PATCH',
    path: '/conversations/{conversationId}/members/{userId}',
    tag: 'conversations',
    auth: 'jwt',
    params: z.object({ conversationId: ConversationIdSchema, userId: UserIdSchema }),
    body: z.object({ role: MemberRoleSchema }),
    status: 200,
    errors: [ValidationFailed, Forbidden, NotFound, Conflict],
  }),
  listMessages: route({
    method: 'GET',
    path: '/conversations/{conversationId}/messages',
    tag: 'messages',
    auth: 'jwt',
    params: ConversationParamsSchema,
    query: HistoryQuerySchema,
    status: 200,
    errors: [ValidationFailed, Forbidden],
  }),
  postMessage: route({
    method: 'POST',
    path: '/conversations/{conversationId}/messages',
    tag: 'messages',
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: PostMessageBodySchema,
    status: 201,
    errors: [ValidationFailed, Forbidden, PayloadTooLarge, SendInProgress, NotFound, Immutable],
  }),
  createUpload: route({
    method: 'POST',
    path: '/conversations/{conversationId}/attachments',
    tag: 'attachments',
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: CreateUploadBodySchema,
    status: 201,
    errors: [ValidationFailed, Forbidden, LimitReached],
  }),
  getAttachment: route({
    method: 'GET',
    path: '/conversations/{conversationId}/attachments/{attachmentId}',
    tag: 'attachments',
    auth: 'jwt',
    params: AttachmentParamsSchema,
    status: 200,
    errors: [Forbidden, NotFound],
  }),
  deleteMessage: route({
    method: 'DELETE',
    path: '/conversations/{conversationId}/messages/{seq}',
    tag: 'messages',
    auth: 'jwt',
    params: z.object({ conversationId: ConversationIdSchema, seq: z.pipe(z.coerce.number(), SeqSchema) }),
    status: 204,
    errors: [Forbidden, NotFound, Immutable],
  }),
  updateReceipts: route({
    method: 'POST',
    path: '/conversations/{conversationId}/receipts',
    tag: 'messages',
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: ReceiptBodySchema,
    status: 200,
    errors: [ValidationFailed, Forbidden],
  }),
  getPresence: route({
    method: 'GET',
    path: '/presence',
    tag: 'presence',
    auth: 'jwt',
    query: PresenceQuerySchema,
    status: 200,
    errors: [ValidationFailed],
  }),
  registerDevice: route({
    method: 'POST',
    path: '/devices',
    tag: 'devices',
    auth: 'jwt',
    body: RegisterDeviceBodySchema,
    status: 201,
    errors: [ValidationFailed, Conflict, LimitReached],
  }),
  listDevices: route({
    method: 'GET',
    path: '/users/{userId}/devices',
    tag: 'devices',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 200,
    errors: [ValidationFailed],
  }),
  revokeDevice: route({
    method: 'DELETE',
    path: '/devices/{deviceId}',
    tag: 'devices',
    auth: 'jwt',
    params: DeviceParamsSchema,
    status: 204,
    errors: [ValidationFailed, NotFound],
  }),
  renameDevice: route({
    method: 'PATCH',
    path: '/devices/{deviceId}',
    tag: 'devices',
    auth: 'jwt',
    params: DeviceParamsSchema,
    body: RenameDeviceBodySchema,
    status: 200,
    errors: [ValidationFailed, NotFound],
  }),
  putPushSubscription: route({
    method: 'PUT',
    path: '/devices/{deviceId}/push-subscription',
    tag: 'devices',
    auth: 'jwt',
    params: DeviceParamsSchema,
    body: PushSubscriptionBodySchema,
    status: 200,
    errors: [ValidationFailed, Forbidden, NotFound],
  }),
  getPushSubscription: route({
    method: 'GET',
    path: '/devices/{deviceId}/push-subscription',
    tag: 'devices',
    auth: 'jwt',
    params: DeviceParamsSchema,
    status: 200,
    errors: [ValidationFailed, NotFound],
  }),
  deletePushSubscription: route({
    method: 'DELETE',
    path: '/devices/{deviceId}/push-subscription',
    tag: 'devices',
    auth: 'jwt',
    params: DeviceParamsSchema,
    status: 204,
    errors: [ValidationFailed, NotFound],
  }),
  uploadKeyPackages: route({
    method: 'POST',
    path: '/devices/{deviceId}/key-packages',
    tag: 'devices',
    auth: 'jwt',
    params: DeviceParamsSchema,
    body: UploadKeyPackagesBodySchema,
    status: 201,
    errors: [ValidationFailed, Forbidden, NotFound, LimitReached],
  }),
  countKeyPackages: route({
    method: 'GET',
    path: '/devices/{deviceId}/key-packages/count',
    tag: 'devices',
    auth: 'jwt',
    params: DeviceParamsSchema,
    status: 200,
    errors: [ValidationFailed, NotFound],
  }),
  claimKeyPackages: route({
    method: 'POST',
    path: '/key-packages/claim',
    tag: 'devices',
    auth: 'jwt',
    body: ClaimKeyPackagesBodySchema,
    status: 200,
    errors: [ValidationFailed, Forbidden],
  }),
  postCommit: route({
    method: 'POST',
    path: '/conversations/{conversationId}/commits',
    tag: 'mls',
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: PostCommitBodySchema,
    status: 201,
    errors: [ValidationFailed, Forbidden, Conflict, SendInProgress, LimitReached],
  }),
  getEpoch: route({
    method: 'GET',
    path: '/conversations/{conversationId}/epoch',
    tag: 'mls',
    auth: 'jwt',
    params: ConversationParamsSchema,
    status: 200,
    errors: [ValidationFailed, Forbidden],
  }),
  listWelcomes: route({
    method: 'GET',
    path: '/devices/{deviceId}/welcomes',
    tag: 'mls',
    auth: 'jwt',
    params: DeviceParamsSchema,
    query: PagingQuerySchema,
    status: 200,
    errors: [ValidationFailed, NotFound],
  }),
  acknowledgeWelcome: route({
    method: 'DELETE',
    path: '/devices/{deviceId}/welcomes/{conversationId}/{epoch}',
    tag: 'mls',
    auth: 'jwt',
    params: WelcomeParamsSchema,
    status: 204,
    errors: [ValidationFailed, NotFound],
  }),
  requestHistoryTransfer: route({
    method: 'POST',
    path: '/history-transfers',
    tag: 'history',
    auth: 'jwt',
    body: RequestHistoryTransferBodySchema,
    status: 201,
    errors: [ValidationFailed, Forbidden, NotFound, LimitReached],
  }),
  listHistoryTransfers: route({
    method: 'GET',
    path: '/history-transfers',
    tag: 'history',
    auth: 'jwt',
    status: 200,
    errors: [],
  }),
  getHistoryTransfer: route({
    method: 'GET',
    path: '/history-transfers/{transferId}',
    tag: 'history',
    auth: 'jwt',
    params: HistoryTransferParamsSchema,
    status: 200,
    errors: [ValidationFailed, NotFound],
  }),
  offerHistoryTransfer: route({
    method: 'POST',
    path: '/history-transfers/{transferId}/offer',
    tag: 'history',
    auth: 'jwt',
    params: HistoryTransferParamsSchema,
    body: z.object({ offer: HistoryTransferFieldSchema }),
    status: 200,
    errors: [ValidationFailed, Forbidden, NotFound, Conflict],
  }),
  approveHistoryTransfer: route({
    method: 'POST',
    path: '/history-transfers/{transferId}/approve',
    tag: 'history',
    auth: 'jwt',
    params: HistoryTransferParamsSchema,
    body: z.object({ approval: HistoryTransferFieldSchema }),
    status: 200,
    errors: [ValidationFailed, Forbidden, NotFound, Conflict],
  }),
  createHistoryChunkUpload: route({
    method: 'POST',
    path: '/history-transfers/{transferId}/chunks',
    tag: 'history',
    auth: 'jwt',
    params: HistoryTransferParamsSchema,
    body: CreateHistoryChunkUploadBodySchema,
    status: 201,
    errors: [ValidationFailed, Forbidden, NotFound, Conflict, LimitReached],
  }),
  announceHistoryChunk: route({
    method: 'PUT',
    path: '/history-transfers/{transferId}/chunks/{index}',
    tag: 'history',
    auth: 'jwt',
    params: HistoryChunkParamsSchema,
    body: AnnounceHistoryChunkBodySchema,
    status: 200,
    errors: [ValidationFailed, Forbidden, NotFound, Conflict, LimitReached],
  }),
  getHistoryChunk: route({
    method: 'GET',
    path: '/history-transfers/{transferId}/chunks/{index}',
    tag: 'history',
    auth: 'jwt',
    params: HistoryChunkParamsSchema,
    status: 200,
    errors: [ValidationFailed, Forbidden, NotFound],
  }),
  confirmHistoryChunks: route({
    method: 'POST',
    path: '/history-transfers/{transferId}/received',
    tag: 'history',
    auth: 'jwt',
    params: HistoryTransferParamsSchema,
    body: ConfirmHistoryChunksBodySchema,
    status: 200,
    errors: [ValidationFailed, Forbidden, NotFound, Conflict],
  }),
  cancelHistoryTransfer: route({
    method: 'DELETE',
    path: '/history-transfers/{transferId}',
    tag: 'history',
    auth: 'jwt',
    params: HistoryTransferParamsSchema,
    status: 204,
    errors: [ValidationFailed, Forbidden, NotFound],
  }),
  getApiDescription: route({
    method: 'GET',
    path: '/openapi.json',
    tag: 'meta',
    auth: 'none',
    status: 200,
    errors: [],
  }),
} as const satisfies Record<string, RouteSpec>;

export type RouteId = keyof typeof ROUTES;
export type Routes = typeof ROUTES;

/**
 * Whether a route refuses an access token issued before its user signed out everywhere
 * (`SESSION_ENDED`): every authenticated route that changes state, and the reads that say so
 * (`refusesEndedSessions`: the account's export). Other reads are spared the check (a strongly
 * consistent read of the user's presence item) and answer such a token until it expires, at most an
 * hour after it was issued.
 */
export function refusesEndedSessions(spec: RouteSpec): boolean {
  return spec.auth === 'jwt' && (spec.method !== 'GET' || spec.refusesEndedSessions === true);
}

/** `METHOD /path`, as API Gateway names a route. */
export function routeKeyOf(spec: RouteSpec): string {
  return `${spec.method} ${spec.path}`;
}

type Infer<T> = T extends z.ZodMiniType ? z.infer<T> : undefined;
type Input<T> = T extends z.ZodMiniType ? z.input<T> : undefined;

/** What a handler receives for a route: parsed params, query and body. */
export interface RouteInput<R extends RouteSpec> {
  readonly params: R['params'] extends z.ZodMiniType ? z.infer<R['params']> : Record<string, never>;
  readonly query: R['query'] extends z.ZodMiniType ? z.infer<R['query']> : Record<string, never>;
  readonly body: Infer<R['body']>;
}

/** What a caller passes for a route: params, query and body before defaults apply. */
export interface RouteRequest<R extends RouteSpec> {
  readonly params: Input<R['params']>;
  readonly query: Input<R['query']>;
  readonly body: Input<R['body']>;
}
