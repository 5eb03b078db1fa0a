import * as z from '../zod';
import { ErrorCode } from './errors';
import { HistoryTransferSchema } from './history-transfer';
import {
  ClientIdSchema,
  ConversationIdSchema,
  DeviceIdSchema,
  GroupNameSchema,
  SeqSchema,
  UserIdSchema,
} from './ids';
import {
  ConversationKindSchema,
  ConversationSettingsSchema,
  FriendStateSchema,
  MemberRoleSchema,
  MessageEnvelopeSchema,
  PresenceSchema,
  PublicProfileSchema,
  ReceiptSchema,
} from './resources';

/** The server's acknowledgement of a `send`: the message is stored with this `seq`. */
export const AckFrameSchema = z.object({
  type: z.literal('ack'),
  requestId: z.optional(ClientIdSchema),
  conversationId: ConversationIdSchema,
  messageId: ClientIdSchema,
  seq: z.number().check(z.int(), z.positive()),
  /** Server time the message was stored, ISO 8601. */
  sentAt: z.string(),
});

/** A message pushed to a member's connection. Clients dedupe by `(conversationId, seq)`. */
export const MessageFrameSchema = z.extend(MessageEnvelopeSchema, { type: z.literal('message') });

/**
 * A message too large for one push frame (an MLS commit of a large group):
 * only its place is pushed. Fetch it with
 * `GET /conversations/{conversationId}/messages?after={seq - 1}&limit=1`.
 * Clients dedupe it with `message` frames by `(conversationId, seq)`.
 */
export const MessageRefPushSchema = z.object({
  type: z.literal('message-ref'),
  conversationId: ConversationIdSchema,
  seq: SeqSchema,
});

/** A message was deleted by its author: its body is gone, its `seq` stays as a tombstone. */
export const DeletedFrameSchema = z.object({
  type: z.literal('deleted'),
  conversationId: ConversationIdSchema,
  seq: SeqSchema,
  deletedAt: z.string(),
});

/** A member's delivered/read marks moved (also sent to the member's own other devices). */
export const ReceiptPushSchema = z.extend(ReceiptSchema, { type: z.literal('receipt') });

/** A member started or stopped typing. Ephemeral: never stored, never replayed. */
export const TypingPushSchema = z.object({
  type: z.literal('typing'),
  conversationId: ConversationIdSchema,
  userId: UserIdSchema,
  state: z.enum(['start', 'stop']),
});

/** A friend or co-member came online or went offline. */
export const PresencePushSchema = z.extend(PresenceSchema, { type: z.literal('presence') });

/** Something happened between the receiver and `user`: a request, an answer, an unfriending. */
export const FriendPushSchema = z.object({
  type: z.literal('friend'),
  event: z.enum(['requested', 'accepted', 'rejected', 'cancelled', 'removed']),
  user: PublicProfileSchema,
  /** The receiver's relation to `user` now; absent when there is none. */
  state: z.optional(FriendStateSchema),
});

/**
 * `user` changed their display name or username: sent to their own devices, their friends and their
 * co-members, never anyone blocked either way.
 */
export const ProfilePushSchema = z.object({
  type: z.literal('profile'),
  user: PublicProfileSchema,
});

/** A conversation the receiver is (or was, for `removed`/`left`) a member of changed. */
export const ConversationPushSchema = z.object({
  type: z.literal('conversation'),
  event: z.enum(['created', 'renamed', 'members_added', 'member_removed', 'member_left', 'role_changed']),
  conversationId: ConversationIdSchema,
  kind: ConversationKindSchema,
  name: z.optional(GroupNameSchema),
  memberIds: z.array(UserIdSchema),
  /** Who made the change. */
  actorId: UserIdSchema,
  /** Who was added, removed, left or got a new role. */
  userIds: z.optional(z.array(UserIdSchema)),
  /** With `role_changed`: the role `userIds` have now. */
  role: z.optional(MemberRoleSchema),
  /**
   * The member list's version after the change: bumped by every addition or
   * removal. The MLS group is in line once a commit with it was accepted
   * (see `GET /conversations/{id}/epoch`).
   */
  membersVersion: z.number().check(z.int(), z.positive()),
});

/**
 * A Welcome to an MLS group waits for one of the receiver's devices: that
 * device (and only it) fetches it with `GET /devices/{deviceId}/welcomes`
 * and joins at `epoch`. The receiver's other devices ignore it.
 */
export const WelcomePushSchema = z.object({
  type: z.literal('welcome'),
  conversationId: ConversationIdSchema,
  /** The epoch the Welcome joins the group at (the commit's epoch + 1). */
  epoch: z.number().check(z.int(), z.positive()),
  deviceId: DeviceIdSchema,
});

/**
 * One of `userId`'s devices joined or left: everyone whose MLS groups hold
 * that user's devices must bring them in line. Sent to the user's own
 * devices, their friends and their co-members, never anyone blocked either
 * way. `registered` comes once a newly registered device has uploaded its
 * first key packages (before, there is nothing to claim to add it);
 * `revoked` when it is revoked. Repeats that change nothing are not pushed.
 * `renamed` when the user gives it a new name: a label only, so it goes to
 * the user's own devices alone (their device lists), and no group changes.
 */
export const DevicePushSchema = z.object({
  type: z.literal('device'),
  event: z.enum(['registered', 'revoked', 'renamed']),
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
});

/**
 * The receiver changed their own settings of a conversation (pinned, archived, muted, marked unread),
 * from any of their devices: sent to all of that user's devices, and to nobody else.
 */
export const SettingsPushSchema = z.extend(ConversationSettingsSchema, { type: z.literal('settings') });

/**
 * One of the receiver's history transfers changed (requested, offered, approved, a chunk announced or
 * confirmed, done, cancelled): sent to all of that user's devices, and to nobody else. The transfer is
 * as it stands after the change.
 */
export const HistoryTransferPushSchema = z.object({
  type: z.literal('history-transfer'),
  transfer: HistoryTransferSchema,
});

/** Reply to a `delete`, `receipt` or `typing` frame that carried a `requestId`. */
export const OkFrameSchema = z.object({ type: z.literal('ok'), requestId: ClientIdSchema });

/**
 * API Gateway's own answer to a `ping` (no function runs): proof the connection still carries frames both
 * ways. It carries no `requestId`.
 */
export const PongFrameSchema = z.object({ type: z.literal('pong') });

/** Any failure of a request; the connection stays open. */
export const ErrorFrameSchema = z.object({
  type: z.literal('error'),
  code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  /** The client's `requestId` when it sent one, else the server's request id. */
  requestId: z.string(),
  /** With RATE_LIMITED: seconds until the caller may try again. */
  retryAfterSeconds: z.optional(z.number().check(z.int(), z.positive())),
});

/** Every frame the server pushes on its own (not a reply to a request). */
export const PushFrameSchema = z.discriminatedUnion('type', [
  MessageFrameSchema,
  MessageRefPushSchema,
  DeletedFrameSchema,
  ReceiptPushSchema,
  TypingPushSchema,
  PresencePushSchema,
  FriendPushSchema,
  ProfilePushSchema,
  ConversationPushSchema,
  WelcomePushSchema,
  DevicePushSchema,
  SettingsPushSchema,
  HistoryTransferPushSchema,
]);

export const OutboundFrameSchema = z.discriminatedUnion('type', [
  AckFrameSchema,
  OkFrameSchema,
  ErrorFrameSchema,
  PongFrameSchema,
  ...PushFrameSchema.def.options,
]);

export type AckFrame = z.infer<typeof AckFrameSchema>;
export type MessageFrame = z.infer<typeof MessageFrameSchema>;
export type MessageRefPush = z.infer<typeof MessageRefPushSchema>;
export type DeletedFrame = z.infer<typeof DeletedFrameSchema>;
export type ReceiptPush = z.infer<typeof ReceiptPushSchema>;
export type TypingPush = z.infer<typeof TypingPushSchema>;
export type PresencePush = z.infer<typeof PresencePushSchema>;
export type FriendPush = z.infer<typeof FriendPushSchema>;
export type ProfilePush = z.infer<typeof ProfilePushSchema>;
export type ConversationPush = z.infer<typeof ConversationPushSchema>;
export type WelcomePush = z.infer<typeof WelcomePushSchema>;
export type DevicePush = z.infer<typeof DevicePushSchema>;
export type SettingsPush = z.infer<typeof SettingsPushSchema>;
export type HistoryTransferPush = z.infer<typeof HistoryTransferPushSchema>;
export type OkFrame = z.infer<typeof OkFrameSchema>;
export type ErrorFrame = z.infer<typeof ErrorFrameSchema>;
export type PongFrame = z.infer<typeof PongFrameSchema>;
export type PushFrame = z.infer<typeof PushFrameSchema>;

export type OutboundFrame = z.infer<typeof OutboundFrameSchema>;

/** @example ackFrame({ conversationId, messageId: 'm1', seq: 1, sentAt }) */
export function ackFrame(fields: Omit<AckFrame, 'type'>): AckFrame {
  return { type: 'ack', ...fields };
}

/** @example messageFrame({ conversationId, seq, messageId, senderId, sentAt, body }) */
export function messageFrame(fields: Omit<MessageFrame, 'type'>): MessageFrame {
  return { type: 'message', ...fields };
}

/** @example messageRefPush({ conversationId, seq: 42 }) */
export function messageRefPush(fields: Omit<MessageRefPush, 'type'>): MessageRefPush {
  return { type: 'message-ref', ...fields };
}

/** @example welcomePush({ conversationId, epoch: 3, deviceId: 'phone' }) */
export function welcomePush(fields: Omit<WelcomePush, 'type'>): WelcomePush {
  return { type: 'welcome', ...fields };
}

/** @example devicePush({ event: 'registered', userId, deviceId: 'tablet' }) */
export function devicePush(fields: Omit<DevicePush, 'type'>): DevicePush {
  return { type: 'device', ...fields };
}

/** @example okFrame({ requestId: 'r1' }) */
export function okFrame(fields: Omit<OkFrame, 'type'>): OkFrame {
  return { type: 'ok', ...fields };
}

/** @example settingsPush({ conversationId, pinned: true, archived: false, markedUnread: false }) */
export function settingsPush(fields: Omit<SettingsPush, 'type'>): SettingsPush {
  return { type: 'settings', ...fields };
}

/** @example historyTransferPush({ transfer }) */
export function historyTransferPush(fields: Omit<HistoryTransferPush, 'type'>): HistoryTransferPush {
  return { type: 'history-transfer', ...fields };
}

/** @example pongFrame() // { type: 'pong' } */
export function pongFrame(): PongFrame {
  return { type: 'pong' };
}

/** @example errorFrame({ code: ErrorCode.UnknownAction, message: 'Unknown action "x"', requestId }) */
export function errorFrame(fields: Omit<ErrorFrame, 'type'>): ErrorFrame {
  return { type: 'error', ...fields };
}

/**
 * Parses a frame the server sent. Throws zod's `$ZodError` when the frame is not one of ours.
 *
 * @example
 * socket.on('message', (data) => handle(parseOutboundFrame(String(data))));
 */
export function parseOutboundFrame(text: string): OutboundFrame {
  return OutboundFrameSchema.parse(JSON.parse(text));
}

/**
 * API Gateway's own frame when the function of a route failed without answering (it crashed, timed out or
 * its runtime died). It carries API Gateway's request id, never the client's `requestId`, so it can be tied
 * only to the requests in flight, not to one of them. Every failure a function catches is answered with an
 * `error` frame carrying the client's `requestId` instead.
 */
const GatewayFailureFrameSchema = z.object({
  message: z.literal('Internal server error'),
  connectionId: z.string(),
  requestId: z.string(),
});

/**
 * Whether a frame that is not one of ours is API Gateway's failure frame.
 *
 * @example
 * isGatewayFailure('{"message":"Internal server error","connectionId":"c=","requestId":"r"}') // true
 */
export function isGatewayFailure(text: string): boolean {
  try {
    return GatewayFailureFrameSchema.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}
