import { ErrorCode } from '../protocol/errors';
import {
  AttachmentIdSchema,
  AttachmentIdsSchema,
  Base64Schema,
  ClientIdSchema,
  ConversationIdSchema,
  CursorSchema,
  carriesAttachmentsRightly,
  DeviceIdSchema,
  DisplayNameInputSchema,
  decodedBase64Length,
  GroupNameInputSchema,
  SendableMessageKindSchema,
  SeqSchema,
  UserIdSchema,
  UsernameSchema,
} from '../protocol/ids';
import {
  ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS,
  ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS,
  MAX_ATTACHMENT_SIZE_IN_BYTES,
  MAX_CLAIM_USERS,
  MAX_COMMIT_SIZE_IN_BYTES,
  MAX_KEY_PACKAGE_SIZE_IN_BYTES,
  MAX_KEY_PACKAGES_PER_UPLOAD,
  MAX_PINNED_CONVERSATIONS,
  MAX_USER_SEARCH_RESULTS,
  MAX_WELCOME_RECIPIENTS,
  MAX_WELCOME_SIZE_IN_BYTES,
  MIN_USER_SEARCH_PREFIX_LENGTH,
  MUTED_FOREVER,
  SIGNATURE_PUBLIC_KEY_SIZE_IN_BYTES,
} from '../protocol/limits';
import {
  BlockSchema,
  CommitAcceptedSchema,
  ConversationDetailSchema,
  ConversationSettingsSchema,
  ConversationSummarySchema,
  DeviceAddressSchema,
  DeviceSchema,
  EpochSchema,
  FriendSchema,
  KeyPackageClaimSchema,
  KeyPackageCountSchema,
  MemberRoleSchema,
  MeSchema,
  MessageEnvelopeSchema,
  PageSchema,
  PendingWelcomeSchema,
  PresenceSchema,
  PublicProfileSchema,
  ReceiptSchema,
} from '../protocol/resources';
import * as z from '../zod';

/**
 * The HTTP API, one entry per route: method, path, and the schemas of its
 * parameters, query, body and response. The same table validates requests in
 * the function, generates the OpenAPI document, types the client in
 * `shared/client/`, and lists the routes API Gateway serves (`infra/topology.ts`).
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/conversations/{conversationId}`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  /** `none` only for the API description itself. */
  readonly auth: 'jwt' | 'none';
  readonly params?: z.ZodMiniObject;
  readonly query?: z.ZodMiniObject;
  readonly body?: z.ZodMiniType;
  /** Success status; 204 has no body. */
  readonly status: 200 | 201 | 204;
  readonly response?: z.ZodMiniType;
  /** Error codes this route may answer with, besides UNAUTHORIZED, RATE_LIMITED and INTERNAL. */
  readonly errors: readonly ErrorCode[];
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

/** Where and how to upload one attachment: an HTML form POST straight to the object store. */
export const UploadSlotSchema = z.object({
  attachmentId: AttachmentIdSchema,
  /** POST a `multipart/form-data` form here: every field of `fields`, then the encrypted bytes as `file`, last. */
  url: z.string(),
  fields: z.record(z.string(), z.string()),
  /** ISO 8601: the form is refused after this. */
  expiresAt: z.string(),
});

/** Where to download one attachment's encrypted bytes from, for a while. */
export const DownloadLinkSchema = z.object({
  attachmentId: AttachmentIdSchema,
  size: z.number(),
  /** GET this URL, with no `Authorization` header, before `expiresAt`. */
  url: z.string(),
  expiresAt: z.string(),
});

export type UploadSlot = z.infer<typeof UploadSlotSchema>;
export type DownloadLink = z.infer<typeof DownloadLinkSchema>;

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

export const MessageAckSchema = z.object({
  conversationId: ConversationIdSchema,
  messageId: ClientIdSchema,
  seq: SeqSchema,
  sentAt: z.string(),
});

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

const {
  Forbidden,
  NotFound,
  Conflict,
  ValidationFailed,
  PayloadTooLarge,
  SendInProgress,
  Immutable,
  LimitReached,
} = ErrorCode;

function route<const R extends RouteSpec>(spec: R): R {
  return spec;
}

export const ROUTES = {
  getMe: route({
    method: 'GET',
    path: '/me',
    tag: 'profile',
    summary: 'My profile; created on first call after sign-up',
    auth: 'jwt',
    status: 200,
    response: MeSchema,
    errors: [],
  }),
  updateMe: route({
    method: 'PATCH',
    path: '/me',
    tag: 'profile',
    summary: 'Change my username or display name',
    auth: 'jwt',
    body: z.object({ username: z.optional(UsernameSchema), displayName: z.optional(DisplayNameInputSchema) }),
    status: 200,
    response: MeSchema,
    errors: [ValidationFailed, Conflict],
  }),
  signOutEverywhere: route({
    method: 'POST',
    path: '/me/sign-out',
    tag: 'profile',
    summary: 'Sign out everywhere: end every session of my account, this one included',
    description:
      'Revokes every refresh token of the account, so no browser or app can renew its tokens; from the ' +
      'next second on, access tokens issued before the call open no WebSocket and change nothing over ' +
      'HTTP (`SESSION_ENDED`), and every open WebSocket of the account is closed. Answers once that ' +
      'second has begun, so a sign-in after the answer gets tokens that work. Idempotent.',
    auth: 'jwt',
    status: 204,
    errors: [],
  }),
  findUsers: route({
    method: 'GET',
    path: '/users',
    tag: 'profile',
    summary: 'Find users by exact email or by username prefix',
    description:
      'A prefix needs at least 3 characters and answers at most 10 users, with no further pages (type more ' +
      'to narrow it); searches count against the `search` allowance. There is no way to list every user.',
    auth: 'jwt',
    query: FindUsersQuerySchema,
    status: 200,
    response: PageSchema(PublicProfileSchema),
    errors: [ValidationFailed],
  }),
  getUser: route({
    method: 'GET',
    path: '/users/{userId}',
    tag: 'profile',
    summary: 'A user’s public profile',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 200,
    response: PublicProfileSchema,
    errors: [NotFound],
  }),
  listFriends: route({
    method: 'GET',
    path: '/friends',
    tag: 'friends',
    summary: 'My friends and pending requests, both ways',
    auth: 'jwt',
    query: PagingQuerySchema,
    status: 200,
    response: PageSchema(FriendSchema),
    errors: [ValidationFailed],
  }),
  sendFriendRequest: route({
    method: 'POST',
    path: '/friends/requests',
    tag: 'friends',
    summary: 'Ask a user, by id, username or email, to be friends',
    description: 'If they already asked me, this accepts their request.',
    auth: 'jwt',
    body: FriendRequestBodySchema,
    status: 201,
    response: FriendSchema,
    errors: [ValidationFailed, NotFound, Forbidden, Conflict],
  }),
  acceptFriendRequest: route({
    method: 'POST',
    path: '/friends/requests/{userId}/accept',
    tag: 'friends',
    summary: 'Accept a request',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 200,
    response: FriendSchema,
    errors: [NotFound],
  }),
  rejectFriendRequest: route({
    method: 'POST',
    path: '/friends/requests/{userId}/reject',
    tag: 'friends',
    summary: 'Reject a request',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 204,
    errors: [NotFound],
  }),
  cancelFriendRequest: route({
    method: 'DELETE',
    path: '/friends/requests/{userId}',
    tag: 'friends',
    summary: 'Withdraw my request',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 204,
    errors: [NotFound],
  }),
  removeFriend: route({
    method: 'DELETE',
    path: '/friends/{userId}',
    tag: 'friends',
    summary: 'Unfriend',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 204,
    errors: [NotFound],
  }),
  listBlocks: route({
    method: 'GET',
    path: '/blocks',
    tag: 'friends',
    summary: 'Users I blocked',
    auth: 'jwt',
    query: PagingQuerySchema,
    status: 200,
    response: PageSchema(BlockSchema),
    errors: [ValidationFailed],
  }),
  blockUser: route({
    method: 'PUT',
    path: '/blocks/{userId}',
    tag: 'friends',
    summary: 'Block a user',
    description:
      'Ends any friendship or request. The blocked user can no longer send me requests or direct messages, nor see my presence. A user who blocked me is, to me, a user who does not exist: blocking them answers 404 like a request to them does, and stores nothing.',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 200,
    response: BlockSchema,
    errors: [NotFound, ValidationFailed],
  }),
  unblockUser: route({
    method: 'DELETE',
    path: '/blocks/{userId}',
    tag: 'friends',
    summary: 'Unblock a user',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 204,
    errors: [],
  }),
  listConversations: route({
    method: 'GET',
    path: '/conversations',
    tag: 'conversations',
    summary: 'My conversations, with last message and unread count, a page at a time',
    description:
      'Pages follow in conversation-id order; each page is sorted newest activity first (the last content message, else the creation; commits do not count). A client with more than one page sorts the whole list by `lastActivityAt`. Each request reads only the conversations of its page, however many the user has.',
    auth: 'jwt',
    query: PagingQuerySchema,
    status: 200,
    response: PageSchema(ConversationSummarySchema),
    errors: [ValidationFailed],
  }),
  createConversation: route({
    method: 'POST',
    path: '/conversations',
    tag: 'conversations',
    summary: 'Open a direct conversation with a friend, or create a group of friends',
    description:
      'A direct conversation is unique per pair: asking again returns the same one. A user is in at most 500 groups (`groupsPerUser`; direct conversations do not count): a group with a member who is full, the creator included, is `LIMIT_REACHED` naming them, and nothing is stored.',
    auth: 'jwt',
    body: CreateConversationBodySchema,
    status: 201,
    response: ConversationDetailSchema,
    errors: [ValidationFailed, Forbidden, NotFound, LimitReached],
  }),
  getConversation: route({
    method: 'GET',
    path: '/conversations/{conversationId}',
    tag: 'conversations',
    summary: 'A conversation with its members and their receipts',
    auth: 'jwt',
    params: ConversationParamsSchema,
    status: 200,
    response: ConversationDetailSchema,
    errors: [Forbidden],
  }),
  updateConversation: route({
    method: 'PATCH',
    path: '/conversations/{conversationId}',
    tag: 'conversations',
    summary: 'Rename a group (admins)',
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: z.object({ name: GroupNameInputSchema }),
    status: 200,
    response: ConversationDetailSchema,
    errors: [ValidationFailed, Forbidden, Conflict],
  }),
  updateConversationSettings: route({
    method: 'PATCH',
    path: '/conversations/{conversationId}/settings',
    tag: 'conversations',
    summary: 'Pin, archive, mute or mark unread a conversation, for me alone',
    description: `My own settings, which no other member sees; only the fields given change, and the answer holds them all. Every one of my devices gets a \`settings\` push. At most ${MAX_PINNED_CONVERSATIONS} conversations are pinned at once: one more is \`LIMIT_REACHED\` until one is unpinned. An archived conversation stays archived when a message arrives. \`mutedUntil\` mutes until a time (\`${MUTED_FOREVER}\` is "always"); \`null\` or a past time unmutes. The change counts against the \`write\` allowance.`,
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: ConversationSettingsBodySchema,
    status: 200,
    response: ConversationSettingsSchema,
    errors: [ValidationFailed, Forbidden, LimitReached],
  }),
  addMembers: route({
    method: 'POST',
    path: '/conversations/{conversationId}/members',
    tag: 'conversations',
    summary: 'Add friends of mine to a group (admins)',
    description:
      'A user is in at most 500 groups (`groupsPerUser`): when one of them is full, nobody is added and the answer is `LIMIT_REACHED` naming the full ones. Leaving a group, or being removed, makes room.',
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: z.object({ userIds: z.array(UserIdSchema).check(z.minLength(1), z.maxLength(100)) }),
    status: 200,
    response: ConversationDetailSchema,
    errors: [ValidationFailed, Forbidden, Conflict, LimitReached],
  }),
  removeMember: route({
    method: 'DELETE',
    path: '/conversations/{conversationId}/members/{userId}',
    tag: 'conversations',
    summary: 'Remove a member (admins), or leave (my own id)',
    auth: 'jwt',
    params: z.object({ conversationId: ConversationIdSchema, userId: UserIdSchema }),
    status: 204,
    errors: [Forbidden, NotFound, Conflict],
  }),
  updateMember: route({
    method: 'PATCH',
    path: '/conversations/{conversationId}/members/{userId}',
    tag: 'conversations',
    summary: 'Make a member an admin, or an admin a member again (admins)',
    description:
      'A group keeps at least one admin: the last admin cannot step down (`CONFLICT`); they make another member admin first, or leave, which hands the role to the longest-standing member. Giving a member the role they have changes nothing. Every member is told with a `conversation` push (`role_changed`), and the change is logged in the chat as a message of kind `event`.',
    auth: 'jwt',
    params: z.object({ conversationId: ConversationIdSchema, userId: UserIdSchema }),
    body: z.object({ role: MemberRoleSchema }),
    status: 200,
    response: ConversationDetailSchema,
    errors: [ValidationFailed, Forbidden, NotFound, Conflict],
  }),
  listMessages: route({
    method: 'GET',
    path: '/conversations/{conversationId}/messages',
    tag: 'messages',
    summary: 'History in seq order: after a seq (resume), before a seq (scroll back), or the latest',
    description:
      '`after=N` returns the messages from N+1 on, oldest first: a reconnecting client asks with its last seen seq and pages with `next` until there is none. `before=N` returns the page just before N. Neither returns the latest page. `receipts` holds every member’s delivered and read marks: a message with seq s is delivered to a member when s ≤ delivered, read when s ≤ read. A page of large messages (MLS commits) stops early, with `next`, once its bodies reach 4 MiB of base64; it always holds at least one message.',
    auth: 'jwt',
    params: ConversationParamsSchema,
    query: HistoryQuerySchema,
    status: 200,
    // Every member's marks beside the page: sent / delivered / read per message follows from them.
    response: z.extend(PageSchema(MessageEnvelopeSchema), { receipts: z.array(ReceiptSchema) }),
    errors: [ValidationFailed, Forbidden],
  }),
  postMessage: route({
    method: 'POST',
    path: '/conversations/{conversationId}/messages',
    tag: 'messages',
    summary: 'Send a message (opaque ciphertext)',
    description:
      'The client chooses `messageId`; a retry with the same id returns the first result. Every device of every member gets the message pushed, except the device named by `deviceId` (as its WebSocket named itself with `?deviceId=` at `$connect`): it has the message from this answer. A client with an open WebSocket sends there instead (`send`), answered by an `ack`.',
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: PostMessageBodySchema,
    status: 201,
    response: MessageAckSchema,
    errors: [ValidationFailed, Forbidden, PayloadTooLarge, SendInProgress, NotFound, Immutable],
  }),
  createUpload: route({
    method: 'POST',
    path: '/conversations/{conversationId}/attachments',
    tag: 'attachments',
    summary: 'Get a slot to upload one encrypted attachment',
    description: `The client encrypts the file first (see docs/e2ee.md, "Attachments") and asks for a slot of the ciphertext's exact size, at most ${MAX_ATTACHMENT_SIZE_IN_BYTES} bytes. The answer is a presigned form POST to the object store, pinned to one object and that size and valid for ${ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS / 60} minutes. The size counts against the user's daily attachment allowance at once (\`LIMIT_REACHED\` with \`Retry-After\` past it). Then send a message naming the attachment in \`attachmentIds\`: an upload no message names within a day is deleted.`,
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: CreateUploadBodySchema,
    status: 201,
    response: UploadSlotSchema,
    errors: [ValidationFailed, Forbidden, LimitReached],
  }),
  getAttachment: route({
    method: 'GET',
    path: '/conversations/{conversationId}/attachments/{attachmentId}',
    tag: 'attachments',
    summary: "Get a short-lived link to an attachment's encrypted bytes",
    description: `For current members of the conversation only (a removed member gets 403), and only for an attachment a message names (or, before that, for its uploader). The link works for ${ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS / 60} minutes. The bytes are ciphertext: the key and the digest to check them against are in the message.`,
    auth: 'jwt',
    params: AttachmentParamsSchema,
    status: 200,
    response: DownloadLinkSchema,
    errors: [Forbidden, NotFound],
  }),
  deleteMessage: route({
    method: 'DELETE',
    path: '/conversations/{conversationId}/messages/{seq}',
    tag: 'messages',
    summary: 'Delete my message: its body goes, a tombstone keeps its place',
    description:
      "Only content: an MLS commit is the group's history, and deleting it is refused with `IMMUTABLE` (so are an edit, reply or reaction whose `refSeq` is a commit).",
    auth: 'jwt',
    params: z.object({ conversationId: ConversationIdSchema, seq: z.pipe(z.coerce.number(), SeqSchema) }),
    status: 204,
    errors: [Forbidden, NotFound, Immutable],
  }),
  updateReceipts: route({
    method: 'POST',
    path: '/conversations/{conversationId}/receipts',
    tag: 'messages',
    summary: 'Move my delivered and read marks forward',
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: ReceiptBodySchema,
    status: 200,
    response: ReceiptSchema,
    errors: [ValidationFailed, Forbidden],
  }),
  getPresence: route({
    method: 'GET',
    path: '/presence',
    tag: 'presence',
    summary: 'Online state and last seen of friends and co-members',
    description: 'Users the caller may not see are left out.',
    auth: 'jwt',
    query: PresenceQuerySchema,
    status: 200,
    response: z.object({ items: z.array(PresenceSchema) }),
    errors: [ValidationFailed],
  }),
  registerDevice: route({
    method: 'POST',
    path: '/devices',
    tag: 'devices',
    summary: 'Register one of my devices with its signature public key',
    description:
      'Registering the same `deviceId` again with the same key returns the stored device; with another key it is a conflict. A revoked device stays revoked. A user has at most 10 unrevoked devices (`devicesPerUser`): one more is `LIMIT_REACHED` until one is revoked.',
    auth: 'jwt',
    body: RegisterDeviceBodySchema,
    status: 201,
    response: DeviceSchema,
    errors: [ValidationFailed, Conflict, LimitReached],
  }),
  listDevices: route({
    method: 'GET',
    path: '/users/{userId}/devices',
    tag: 'devices',
    summary: 'A user’s devices, revoked ones included',
    description: 'Any signed-in user may list them: clients check MLS credentials against these keys.',
    auth: 'jwt',
    params: UserParamsSchema,
    status: 200,
    response: z.object({ items: z.array(DeviceSchema) }),
    errors: [ValidationFailed],
  }),
  revokeDevice: route({
    method: 'DELETE',
    path: '/devices/{deviceId}',
    tag: 'devices',
    summary: 'Revoke my device: it stays listed as revoked and its key packages are no longer handed out',
    auth: 'jwt',
    params: DeviceParamsSchema,
    status: 204,
    errors: [ValidationFailed, NotFound],
  }),
  renameDevice: route({
    method: 'PATCH',
    path: '/devices/{deviceId}',
    tag: 'devices',
    summary: 'Rename my device: a label people recognise, such as "Laptop at work"',
    description:
      'The name is 1 to 64 characters. Only the name changes: the key, and so every safety number, stays the same. A revoked device can be renamed too.',
    auth: 'jwt',
    params: DeviceParamsSchema,
    body: RenameDeviceBodySchema,
    status: 200,
    response: DeviceSchema,
    errors: [ValidationFailed, NotFound],
  }),
  uploadKeyPackages: route({
    method: 'POST',
    path: '/devices/{deviceId}/key-packages',
    tag: 'devices',
    summary: 'Upload one-use key packages (and optionally a last-resort one) for my device',
    description:
      'Key packages are opaque to the server. Each one-use package is handed out at most once. A device holds at most 200 unclaimed one-use packages (`keyPackagesPerDevice`): an upload that would pass it is `LIMIT_REACHED` and stores none of its packages.',
    auth: 'jwt',
    params: DeviceParamsSchema,
    body: UploadKeyPackagesBodySchema,
    status: 201,
    response: KeyPackageCountSchema,
    errors: [ValidationFailed, Forbidden, NotFound, LimitReached],
  }),
  countKeyPackages: route({
    method: 'GET',
    path: '/devices/{deviceId}/key-packages/count',
    tag: 'devices',
    summary: 'How many one-use key packages my device has left, and whether it has a last-resort one',
    auth: 'jwt',
    params: DeviceParamsSchema,
    status: 200,
    response: KeyPackageCountSchema,
    errors: [ValidationFailed, NotFound],
  }),
  claimKeyPackages: route({
    method: 'POST',
    path: '/key-packages/claim',
    tag: 'devices',
    summary: 'Claim one key package for every current device of each user',
    description:
      'A one-use package is removed as it is handed out; when a device has none left, its last-resort package is returned and kept. Devices with neither are listed in `missing`. Only oneself, friends and co-members can be claimed (never anyone blocked either way): a claim naming anyone else is refused whole.',
    auth: 'jwt',
    body: ClaimKeyPackagesBodySchema,
    status: 200,
    response: KeyPackageClaimSchema,
    errors: [ValidationFailed, Forbidden],
  }),
  postCommit: route({
    method: 'POST',
    path: '/conversations/{conversationId}/commits',
    tag: 'mls',
    summary: 'Submit the MLS commit for the current epoch, with an optional Welcome',
    description:
      'Exactly one commit is accepted per epoch: `epoch` must be the conversation’s current one, and the loser of a race gets a conflict naming the current epoch (it applies the winner from the log and retries). The accepted commit is appended to the log as a message of kind `commit` with id `commit-{epoch}` and pushed to every member (as a `message-ref` when too large for one frame). Posting the same commit again returns the first result. A Welcome is stored for each recipient device and announced with a `welcome` push. When the epoch was claimed by a commit whose request never finished, that commit is finished first (logged, Welcomes stored and pushed) and this one gets the conflict. `membersVersion`, when given, must not be ahead of the conversation’s (a conflict otherwise); the group then counts as in line with that member list. A commit or Welcome over 16 KiB is stored in S3 and counted against the sender’s 50 MiB a UTC day (`blobBytesPerUserPerDay`): past it, `LIMIT_REACHED` with `Retry-After` until the next UTC midnight, and nothing is stored.',
    auth: 'jwt',
    params: ConversationParamsSchema,
    body: PostCommitBodySchema,
    status: 201,
    response: CommitAcceptedSchema,
    errors: [ValidationFailed, Forbidden, Conflict, SendInProgress, LimitReached],
  }),
  getEpoch: route({
    method: 'GET',
    path: '/conversations/{conversationId}/epoch',
    tag: 'mls',
    summary:
      'The epoch the server accepts the next commit for, and whether a membership change awaits a commit',
    description:
      'A member change is pending while `committedMembersVersion < membersVersion`. An epoch claimed by a commit whose request never finished is finished first, so the epoch returned is always one a commit can be made at.',
    auth: 'jwt',
    params: ConversationParamsSchema,
    status: 200,
    response: EpochSchema,
    errors: [ValidationFailed, Forbidden],
  }),
  listWelcomes: route({
    method: 'GET',
    path: '/devices/{deviceId}/welcomes',
    tag: 'mls',
    summary: 'Welcomes waiting for my device, oldest conversation id first',
    description:
      'Each stays until acknowledged, or for 30 days. A page stops early (with `next`) once its Welcomes reach 4 MiB of base64.',
    auth: 'jwt',
    params: DeviceParamsSchema,
    query: PagingQuerySchema,
    status: 200,
    response: PageSchema(PendingWelcomeSchema),
    errors: [ValidationFailed, NotFound],
  }),
  acknowledgeWelcome: route({
    method: 'DELETE',
    path: '/devices/{deviceId}/welcomes/{conversationId}/{epoch}',
    tag: 'mls',
    summary: 'Acknowledge a Welcome my device processed: it is removed (a repeat is a no-op)',
    auth: 'jwt',
    params: WelcomeParamsSchema,
    status: 204,
    errors: [ValidationFailed, NotFound],
  }),
  getApiDescription: route({
    method: 'GET',
    path: '/openapi.json',
    tag: 'meta',
    summary: 'This API’s OpenAPI 3.1 description',
    auth: 'none',
    status: 200,
    response: z.record(z.string(), z.unknown()),
    errors: [],
  }),
} as const satisfies Record<string, RouteSpec>;

export type RouteId = keyof typeof ROUTES;
export type Routes = typeof ROUTES;

/**
 * Whether a route refuses an access token issued before its user signed out everywhere
 * (`SESSION_ENDED`): every authenticated route that changes state. Reads are spared the check (a
 * strongly consistent read of the user's presence item) and answer such a token until it expires, at
 * most an hour after it was issued.
 */
export function refusesEndedSessions(spec: RouteSpec): boolean {
  return spec.auth === 'jwt' && spec.method !== 'GET';
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

export type RouteResponse<R extends RouteSpec> = R['response'] extends z.ZodMiniType
  ? z.infer<R['response']>
  : undefined;
