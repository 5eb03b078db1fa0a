import { BackupChunkLinkSchema, BackupChunkSlotSchema, BackupSchema } from '../protocol/backup';
import { HistoryTransferFieldSchema, HistoryTransferSchema } from '../protocol/history-transfer';
import {
  AttachmentIdSchema,
  ClientIdSchema,
  ConversationIdSchema,
  DeviceIdSchema,
  DisplayNameSchema,
  GroupNameSchema,
  SeqSchema,
  UserIdSchema,
  UsernameSchema,
} from '../protocol/ids';
import {
  BlockSchema,
  CommitAcceptedSchema,
  ConversationDetailSchema,
  ConversationKindSchema,
  ConversationSettingsSchema,
  ConversationSummarySchema,
  DeviceSchema,
  EpochSchema,
  FriendSchema,
  FriendStateSchema,
  KeyPackageClaimSchema,
  KeyPackageCountSchema,
  MemberRoleSchema,
  MeSchema,
  MessageEnvelopeSchema,
  MySocketsSchema,
  PageSchema,
  PendingWelcomeSchema,
  PresenceSchema,
  PublicProfileSchema,
  PushSubscriptionViewSchema,
  ReceiptSchema,
} from '../protocol/resources';
import * as z from '../zod';
import type { RouteId, Routes } from './routes';

/** What a message sent over HTTP answers: where it landed in the conversation's log. */
export const MessageAckSchema = z.object({
  conversationId: ConversationIdSchema,
  messageId: ClientIdSchema,
  seq: SeqSchema,
  sentAt: z.string(),
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

/** Where and how to upload one chunk of a history transfer: an attachment's upload slot, without an id (the chunk's index is its name). */
export const HistoryChunkUploadSlotSchema = z.omit(UploadSlotSchema, { attachmentId: true });

/** Where to download one announced chunk of a history transfer from, for a while, and what the old device said of it. */
export const HistoryChunkLinkSchema = z.object({
  /** GET this URL, with no `Authorization` header, within a few minutes. */
  url: z.string(),
  /** The chunk's size in bytes. */
  size: z.number(),
  /** The old device's descriptor of the chunk (its sealed key and digest), as announced. */
  descriptor: HistoryTransferFieldSchema,
});

/** Where to download one attachment's encrypted bytes from, for a while. */
export const DownloadLinkSchema = z.object({
  attachmentId: AttachmentIdSchema,
  size: z.number(),
  /** GET this URL, with no `Authorization` header, before `expiresAt`. */
  url: z.string(),
  expiresAt: z.string(),
});

/** Where and how to upload one encrypted profile picture: an HTML form POST straight to the object store. */
export const AvatarUploadSlotSchema = z.object({
  avatarId: AttachmentIdSchema,
  /** POST a `multipart/form-data` form here: every field of `fields`, then the encrypted bytes as `file`, last. */
  url: z.string(),
  fields: z.record(z.string(), z.string()),
  /** ISO 8601: the form is refused after this. */
  expiresAt: z.string(),
});

/** Where to download a user's encrypted profile picture from, for a while. */
export const AvatarLinkSchema = z.object({
  avatarId: AttachmentIdSchema,
  /** GET this URL, with no `Authorization` header, before `expiresAt`. */
  url: z.string(),
  expiresAt: z.string(),
});

/** A person as the export names them: never their email, nor their picture. */
const ExportedPersonSchema = z.object({
  userId: UserIdSchema,
  username: UsernameSchema,
  displayName: DisplayNameSchema,
});

const ExportTimeSchema = z.string().check(z.describe('ISO 8601, UTC'));

/**
 * One page of what the server holds about the caller (`GET /me/export`). The first page (no cursor) has
 * the profile and the devices; every page has a share of the friends, blocks and conversations, in that
 * order. Follow `next` until it is absent and put the lists together: that is all of it.
 */
export const AccountExportSchema = z.object({
  /** This layout's version: a later one that reads differently gets another number. */
  format: z.literal(1),
  /** ISO 8601: when this page was read. */
  exportedAt: ExportTimeSchema,
  /** First page only. */
  profile: z.optional(
    z.object({
      userId: UserIdSchema,
      username: UsernameSchema,
      displayName: DisplayNameSchema,
      email: z.string(),
      createdAt: ExportTimeSchema,
      /** Whether a profile picture is set: the server holds it encrypted, and never its key. */
      hasPicture: z.boolean(),
    }),
  ),
  /** First page only: every device the caller registered, revoked ones included. */
  devices: z.optional(
    z.array(
      z.object({
        deviceId: DeviceIdSchema,
        name: z.optional(DisplayNameSchema),
        createdAt: ExportTimeSchema,
        revokedAt: z.optional(ExportTimeSchema),
        /** Ed25519, base64: the public key the device signs with. */
        signaturePublicKey: z.string(),
        /** Where its notifications go (the push service's origin), never the subscription's keys. */
        pushSubscription: z.optional(PushSubscriptionViewSchema),
      }),
    ),
  ),
  /**
   * First page only, when the caller keeps an encrypted history backup: its size, chunk count and last
   * write. Its bytes are ciphertext under a key only the caller holds: `GET /me/backup` reads them.
   */
  backup: z.optional(z.object({ bytes: z.number(), chunks: z.number(), updatedAt: ExportTimeSchema })),
  /** Friends, and pending requests both ways. */
  friends: z.array(z.extend(ExportedPersonSchema, { state: FriendStateSchema, since: ExportTimeSchema })),
  /** Users the caller blocked. */
  blocks: z.array(z.extend(ExportedPersonSchema, { since: ExportTimeSchema })),
  /** Conversations the caller is a member of, with the caller's place in each and who else is there. */
  conversations: z.array(
    z.object({
      conversationId: ConversationIdSchema,
      kind: ConversationKindSchema,
      /** Groups only. */
      name: z.optional(GroupNameSchema),
      createdAt: ExportTimeSchema,
      role: MemberRoleSchema,
      joinedAt: ExportTimeSchema,
      settings: z.omit(ConversationSettingsSchema, { conversationId: true }),
      members: z.array(ExportedPersonSchema),
    }),
  ),
  next: z.optional(z.string()),
});

export type AccountExport = z.infer<typeof AccountExportSchema>;

export type UploadSlot = z.infer<typeof UploadSlotSchema>;
export type AvatarUploadSlot = z.infer<typeof AvatarUploadSlotSchema>;
export type AvatarLink = z.infer<typeof AvatarLinkSchema>;
export type DownloadLink = z.infer<typeof DownloadLinkSchema>;
export type HistoryChunkUploadSlot = z.infer<typeof HistoryChunkUploadSlotSchema>;
export type HistoryChunkLink = z.infer<typeof HistoryChunkLinkSchema>;

/** The routes that answer with a body: every one whose success status is not 204. */
type RouteWithBody = { [K in RouteId]: Routes[K]['status'] extends 204 ? never : K }[RouteId];

/**
 * The schema of the body each route answers with, by its id in the route table
 * (`routes.ts`): the client parses every answer with it, and the OpenAPI
 * document describes it. The functions shape their answers by these types
 * alone and never import this module, so their bundles build none of these
 * schemas. A route with a body and no entry here, or a 204 route with one, is
 * a type error.
 *
 * @example
 * const me = ROUTE_RESPONSES.getMe.parse(await response.json());
 */
export const ROUTE_RESPONSES = {
  getMe: MeSchema,
  getMySockets: MySocketsSchema,
  updateMe: MeSchema,
  syncMyEmail: MeSchema,
  exportMyData: AccountExportSchema,
  createAvatarUpload: AvatarUploadSlotSchema,
  setAvatar: MeSchema,
  getAvatar: AvatarLinkSchema,
  getBackup: z.object({ backup: z.nullable(BackupSchema) }),
  createBackupChunkUpload: BackupChunkSlotSchema,
  getBackupChunk: BackupChunkLinkSchema,
  putBackup: BackupSchema,
  findUsers: PageSchema(PublicProfileSchema),
  getUser: PublicProfileSchema,
  listFriends: PageSchema(FriendSchema),
  sendFriendRequest: FriendSchema,
  acceptFriendRequest: FriendSchema,
  listBlocks: PageSchema(BlockSchema),
  blockUser: BlockSchema,
  listConversations: PageSchema(ConversationSummarySchema),
  createConversation: ConversationDetailSchema,
  getConversation: ConversationDetailSchema,
  updateConversation: ConversationDetailSchema,
  updateConversationSettings: ConversationSettingsSchema,
  addMembers: ConversationDetailSchema,
  updateMember: ConversationDetailSchema,
  listMessages:
    // Every member's marks beside the page: sent / delivered / read per message follows from them.
    z.extend(PageSchema(MessageEnvelopeSchema), { receipts: z.array(ReceiptSchema) }),
  postMessage: MessageAckSchema,
  createUpload: UploadSlotSchema,
  getAttachment: DownloadLinkSchema,
  updateReceipts: ReceiptSchema,
  getPresence: z.object({ items: z.array(PresenceSchema) }),
  registerDevice: DeviceSchema,
  listDevices: z.object({ items: z.array(DeviceSchema) }),
  renameDevice: DeviceSchema,
  putPushSubscription: PushSubscriptionViewSchema,
  getPushSubscription: PushSubscriptionViewSchema,
  uploadKeyPackages: KeyPackageCountSchema,
  countKeyPackages: KeyPackageCountSchema,
  claimKeyPackages: KeyPackageClaimSchema,
  postCommit: CommitAcceptedSchema,
  getEpoch: EpochSchema,
  listWelcomes: PageSchema(PendingWelcomeSchema),
  requestHistoryTransfer: HistoryTransferSchema,
  listHistoryTransfers: z.object({ items: z.array(HistoryTransferSchema) }),
  getHistoryTransfer: HistoryTransferSchema,
  offerHistoryTransfer: HistoryTransferSchema,
  approveHistoryTransfer: HistoryTransferSchema,
  createHistoryChunkUpload: HistoryChunkUploadSlotSchema,
  announceHistoryChunk: HistoryTransferSchema,
  getHistoryChunk: HistoryChunkLinkSchema,
  confirmHistoryChunks: HistoryTransferSchema,
  getApiDescription: z.record(z.string(), z.unknown()),
} as const satisfies { readonly [K in RouteWithBody]: z.ZodMiniType };

/**
 * The body a route answers with, once parsed; `undefined` for a 204 route.
 *
 * @example
 * type Ack = RouteResponse<'postMessage'>; // { conversationId, messageId, seq, sentAt }
 */
export type RouteResponse<K extends RouteId> = K extends keyof typeof ROUTE_RESPONSES
  ? z.infer<(typeof ROUTE_RESPONSES)[K]>
  : undefined;

/**
 * The schema of the body a route answers with, or `undefined` for a 204 route.
 *
 * @example
 * const schema = responseSchemaOf(id); // z.ZodMiniType | undefined
 */
export function responseSchemaOf(id: RouteId): z.ZodMiniType | undefined {
  return (ROUTE_RESPONSES as Partial<Record<RouteId, z.ZodMiniType>>)[id];
}
