import * as z from '../zod';
import {
  AttachmentIdSchema,
  Base64Schema,
  ClientIdSchema,
  ConversationIdSchema,
  DeviceIdSchema,
  DisplayNameSchema,
  GroupNameSchema,
  MessageKindSchema,
  SeqSchema,
  UserIdSchema,
  UsernameSchema,
} from './ids';

/**
 * The shapes the server hands out, over the HTTP API and in pushes alike.
 * Times are ISO 8601 strings in UTC.
 */

const TimestampSchema = z.string().check(z.describe('ISO 8601, UTC'));

/** What anyone who can find a user sees of them. */
export const PublicProfileSchema = z.object({
  userId: UserIdSchema,
  username: UsernameSchema,
  displayName: DisplayNameSchema,
  /**
   * The user's profile picture, when they set one: the id of an encrypted object (`GET
   * /users/{userId}/avatar`). Its key is never here: it travels inside the user's MLS messages.
   */
  avatarId: z.optional(AttachmentIdSchema),
});
export type PublicProfile = z.infer<typeof PublicProfileSchema>;

/** The caller's own profile: the public part plus what only they see. */
export const MeSchema = z.extend(PublicProfileSchema, {
  email: z.string(),
  createdAt: TimestampSchema,
});
export type Me = z.infer<typeof MeSchema>;

/** How many WebSockets the caller has open, against the most a user may (the `socketsPerUser` cap). */
export const MySocketsSchema = z.object({
  open: z.number().check(z.int(), z.nonnegative()),
  max: z.number().check(z.int(), z.positive()),
  /** The caller's devices with a socket open now (those that named their device), each once, sorted. */
  devices: z.array(DeviceIdSchema),
});
export type MySockets = z.infer<typeof MySocketsSchema>;

export const FriendStateSchema = z.enum(['friend', 'incoming', 'outgoing']);
export type FriendState = z.infer<typeof FriendStateSchema>;

/** A friend, or a pending request in either direction. */
export const FriendSchema = z.object({
  user: PublicProfileSchema,
  state: FriendStateSchema,
  since: TimestampSchema,
});
export type Friend = z.infer<typeof FriendSchema>;

/** A user the caller blocked. */
export const BlockSchema = z.object({ user: PublicProfileSchema, since: TimestampSchema });
export type Block = z.infer<typeof BlockSchema>;

export const MemberRoleSchema = z.enum(['admin', 'member']);
export type MemberRole = z.infer<typeof MemberRoleSchema>;

/**
 * A change of a group as the server logs it, at its place among the messages (a message of kind `event`
 * whose body is this, as JSON): every member's devices read the same line at the same `seq`, also on
 * catch-up. It names only what the server knows anyway (who did what to whom, the group's name).
 * - `renamed`: `actorId` named the group `name`;
 * - `members_added`: `actorId` added `userIds`;
 * - `member_removed`: `actorId` removed `userIds`;
 * - `member_left`: `actorId` left (`userIds` is them);
 * - `account_deleted`: `actorId` deleted their account, and so left (`userIds` is them); their messages
 *   before it stay, from a deleted account;
 * - `role_changed`: `actorId` made `userIds` `role`.
 *
 * `admins`: members who became admins by this change because the last admin left.
 *
 * @example
 * parseConversationEvent(base64ToBytes(message.body)) // { type: 'member_left', actorId: 'u1', userIds: ['u1'] }
 */
export const ConversationEventSchema = z.object({
  type: z.enum([
    'renamed',
    'members_added',
    'member_removed',
    'member_left',
    'account_deleted',
    'role_changed',
  ]),
  actorId: UserIdSchema,
  userIds: z.optional(z.array(UserIdSchema)),
  name: z.optional(GroupNameSchema),
  role: z.optional(MemberRoleSchema),
  admins: z.optional(z.array(UserIdSchema)),
});
export type ConversationEvent = z.infer<typeof ConversationEventSchema>;

/** The bytes of a logged event, as stored in its message's body. */
export function encodeConversationEvent(event: ConversationEvent): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(event));
}

/** The event in a message body of kind `event`, or undefined when the bytes are not one. */
export function parseConversationEvent(bytes: Uint8Array): ConversationEvent | undefined {
  try {
    const parsed = ConversationEventSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A stored message as members see it. A deleted one keeps its place with no body. */
export const MessageEnvelopeSchema = z.object({
  conversationId: ConversationIdSchema,
  seq: SeqSchema,
  messageId: ClientIdSchema,
  senderId: UserIdSchema,
  sentAt: TimestampSchema,
  kind: MessageKindSchema,
  refSeq: z.optional(SeqSchema),
  /** Opaque ciphertext, base64; absent once deleted. */
  body: z.optional(Base64Schema),
  deletedAt: z.optional(TimestampSchema),
});
export type MessageEnvelope = z.infer<typeof MessageEnvelopeSchema>;

/** A member's high-water marks: every `seq` up to `delivered` reached a device, up to `read` was read. */
export const ReceiptSchema = z.object({
  conversationId: ConversationIdSchema,
  userId: UserIdSchema,
  delivered: z.number().check(z.int(), z.nonnegative()),
  read: z.number().check(z.int(), z.nonnegative()),
});
export type Receipt = z.infer<typeof ReceiptSchema>;

export const MemberSchema = z.object({
  user: PublicProfileSchema,
  role: MemberRoleSchema,
  joinedAt: TimestampSchema,
  delivered: z.number().check(z.int(), z.nonnegative()),
  read: z.number().check(z.int(), z.nonnegative()),
});
export type Member = z.infer<typeof MemberSchema>;

export const ConversationKindSchema = z.enum(['direct', 'group']);
export type ConversationKind = z.infer<typeof ConversationKindSchema>;

/** A conversation in the caller's list. */
export const ConversationSummarySchema = z.object({
  conversationId: ConversationIdSchema,
  kind: ConversationKindSchema,
  /** Groups only. */
  name: z.optional(GroupNameSchema),
  memberIds: z.array(UserIdSchema),
  role: MemberRoleSchema,
  createdAt: TimestampSchema,
  /** The last content message's time (commits aside), or the creation time. */
  lastActivityAt: TimestampSchema,
  /** Highest `seq` so far; 0 when empty. */
  lastSeq: z.number().check(z.int(), z.nonnegative()),
  /** The last content message: commits are never shown here. */
  lastMessage: z.optional(MessageEnvelopeSchema),
  /** Content messages (every kind but `commit`) after the caller's read mark. */
  unread: z.number().check(z.int(), z.nonnegative()),
  delivered: z.number().check(z.int(), z.nonnegative()),
  read: z.number().check(z.int(), z.nonnegative()),
  /** The caller's own settings of the conversation (see `ConversationSettings`); each absent when unset. */
  pinned: z.optional(z.boolean()),
  archived: z.optional(z.boolean()),
  mutedUntil: z.optional(TimestampSchema),
  markedUnread: z.optional(z.boolean()),
});
export type ConversationSummary = z.infer<typeof ConversationSummarySchema>;

/**
 * One member's own settings of a conversation: nobody else sees them. They follow the member to every
 * device (a `settings` push) and decide what the member's notifications do.
 *
 * @example
 * const muted = settings.mutedUntil !== undefined && Date.parse(settings.mutedUntil) > Date.now();
 */
export const ConversationSettingsSchema = z.object({
  conversationId: ConversationIdSchema,
  /** Kept above the others in the list; at most `MAX_PINNED_CONVERSATIONS` at once. */
  pinned: z.boolean(),
  /** Kept out of the main list; a new message does not bring it back. */
  archived: z.boolean(),
  /** Muted until this time (`MUTED_FOREVER` for good); absent when not muted. */
  mutedUntil: z.optional(TimestampSchema),
  /** Shown as unread, whatever the read mark, until the member opens it. */
  markedUnread: z.boolean(),
});
export type ConversationSettings = z.infer<typeof ConversationSettingsSchema>;

/** One conversation with its members (and their receipts). */
export const ConversationDetailSchema = z.extend(z.omit(ConversationSummarySchema, { memberIds: true }), {
  members: z.array(MemberSchema),
  /** The member list's version: 1 at creation, one more with each addition or removal. */
  membersVersion: z.number().check(z.int(), z.positive()),
});
export type ConversationDetail = z.infer<typeof ConversationDetailSchema>;

/** Whether a user is online (any device connected) and when they were last seen. */
export const PresenceSchema = z.object({
  userId: UserIdSchema,
  online: z.boolean(),
  lastSeenAt: z.optional(TimestampSchema),
});
export type Presence = z.infer<typeof PresenceSchema>;

/**
 * A registered device, as anyone signed in may see it: clients check the
 * credentials in MLS key packages and commits against `signaturePublicKey`.
 * A revoked device stays listed, so credentials it signed can still be judged.
 */
export const DeviceSchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  /** Ed25519 public key, base64. */
  signaturePublicKey: Base64Schema,
  name: z.optional(DisplayNameSchema),
  createdAt: TimestampSchema,
  revoked: z.boolean(),
  revokedAt: z.optional(TimestampSchema),
});
export type Device = z.infer<typeof DeviceSchema>;

/** What a notification may show: the sender's name, or only "New message". */
export const PushPreviewSchema = z.enum(['name', 'none']);
export type PushPreview = z.infer<typeof PushPreviewSchema>;

/**
 * A device's stored Web Push subscription, as its owner may read it back: where pushes go, never the
 * keys they are encrypted to.
 */
export const PushSubscriptionViewSchema = z.object({
  /** The push service's origin, such as `https://fcm.googleapis.com`. */
  endpointOrigin: z.string(),
  preview: PushPreviewSchema,
  updatedAt: TimestampSchema,
});
export type PushSubscriptionView = z.infer<typeof PushSubscriptionViewSchema>;

/** What is left of a device's key packages. */
export const KeyPackageCountSchema = z.object({
  /** One-use key packages not yet claimed. */
  remaining: z.number().check(z.int(), z.nonnegative()),
  /** Whether a last-resort key package is stored. */
  lastResort: z.boolean(),
});
export type KeyPackageCount = z.infer<typeof KeyPackageCountSchema>;

/** One device's key package, handed to the claimer (opaque bytes, base64). */
export const ClaimedKeyPackageSchema = z.object({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  keyPackage: Base64Schema,
  /** The device's last-resort package: it stays stored and may be handed out again. */
  lastResort: z.boolean(),
});
export type ClaimedKeyPackage = z.infer<typeof ClaimedKeyPackageSchema>;

/** A device with no key package to hand out. */
export const DeviceAddressSchema = z.object({ userId: UserIdSchema, deviceId: DeviceIdSchema });

/** The result of a claim: a key package per current device, and the devices that had none. */
export const KeyPackageClaimSchema = z.object({
  items: z.array(ClaimedKeyPackageSchema),
  missing: z.array(DeviceAddressSchema),
});
export type KeyPackageClaim = z.infer<typeof KeyPackageClaimSchema>;

/**
 * Where a conversation's MLS group stands: the epoch the server accepts the
 * next commit for, and whether the group is in line with the member list. A
 * server-side addition or removal is pending while
 * `committedMembersVersion < membersVersion`: some member should commit the
 * change, passing `membersVersion`.
 *
 * @example
 * const { epoch, membersVersion, committedMembersVersion } = EpochSchema.parse(await response.json());
 * if (committedMembersVersion < membersVersion) await commitMembershipChange(epoch, membersVersion);
 */
export const EpochSchema = z.object({
  epoch: z.number().check(z.int(), z.nonnegative()),
  /** The member list's version (as in the conversation detail and `conversation` pushes). */
  membersVersion: z.number().check(z.int(), z.positive()),
  /** The highest `membersVersion` an accepted commit brought the group in line with; 0 before any. */
  committedMembersVersion: z.number().check(z.int(), z.nonnegative()),
});
export type Epoch = z.infer<typeof EpochSchema>;

/** An accepted commit: its place in the log, and the epoch it moved the group to. */
export const CommitAcceptedSchema = z.object({
  conversationId: ConversationIdSchema,
  /** The new epoch: the commit's epoch + 1. */
  epoch: z.number().check(z.int(), z.positive()),
  seq: SeqSchema,
  sentAt: TimestampSchema,
});
export type CommitAccepted = z.infer<typeof CommitAcceptedSchema>;

/** A Welcome waiting for one of my devices (opaque bytes, base64). */
export const PendingWelcomeSchema = z.object({
  conversationId: ConversationIdSchema,
  /** The epoch the Welcome joins the group at. */
  epoch: z.number().check(z.int(), z.positive()),
  welcome: Base64Schema,
  createdAt: TimestampSchema,
});
export type PendingWelcome = z.infer<typeof PendingWelcomeSchema>;

/**
 * A page of a list. `next` is an opaque cursor for the following page, absent on the last.
 *
 * @example
 * PageSchema(FriendSchema).parse(await response.json())
 */
export function PageSchema<T extends z.ZodMiniType>(item: T) {
  return z.object({ items: z.array(item), next: z.optional(z.string()) });
}
export interface Page<T> {
  readonly items: T[];
  readonly next?: string;
}
