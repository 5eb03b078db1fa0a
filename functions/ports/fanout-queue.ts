import { ConversationIdSchema, DeviceIdSchema, UserIdSchema } from '../../shared/protocol/ids';
import { MessageFrameSchema, PushFrameSchema } from '../../shared/protocol/outbound';
import { PublicProfileSchema } from '../../shared/protocol/resources';
import * as z from '../../shared/zod';

const base = {
  /** Follows the request into the sender's logs. */
  correlationId: z.string().check(z.minLength(1), z.maxLength(128)),
  /** The connection that made the change already has its answer; it gets no copy. */
  excludeConnectionId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
};

/** Deliver a stored message to the members' open connections. */
const MessageJobSchema = z.object({
  ...base,
  kind: z.literal('message'),
  conversationId: ConversationIdSchema,
  seq: z.number().check(z.int(), z.positive()),
  /** The push itself, when it fits; otherwise the sender reads the log. */
  frame: z.optional(MessageFrameSchema),
  /**
   * Epoch ms: the `now` of the request that took the seq. The job is queued before the message is
   * placed; a seq still empty a writer's deadline after this never will be, and the job is dropped.
   */
  takenAt: z.optional(z.number()),
  /** The message's `contentCount` (for the sender's read mark); read from the log when absent. */
  contentCount: z.optional(z.number().check(z.int(), z.nonnegative())),
  /**
   * The device that sent it over HTTP: it has the message from the answer, so none of its connections
   * gets a copy (a send over the socket names its connection instead).
   */
  excludeDevice: z.optional(z.object({ userId: UserIdSchema, deviceId: DeviceIdSchema })),
});

/** Push a frame to the conversation's current members, and to `alsoUserIds` (e.g. who was just removed). */
const ConversationJobSchema = z.object({
  ...base,
  kind: z.literal('conversation'),
  conversationId: ConversationIdSchema,
  frame: PushFrameSchema,
  alsoUserIds: z.optional(z.array(UserIdSchema)),
});

/** Push a frame to these users' devices. */
const UsersJobSchema = z.object({
  ...base,
  kind: z.literal('users'),
  userIds: z.array(UserIdSchema),
  frame: PushFrameSchema,
});

/** Tell the user's friends and co-members (never users blocked either way) that they came or went. */
const PresenceJobSchema = z.object({
  ...base,
  kind: z.literal('presence'),
  userId: UserIdSchema,
  online: z.boolean(),
  /** Epoch ms. */
  lastSeenAt: z.optional(z.number()),
});

/**
 * Tell everyone who shares MLS groups with the user (their own devices, friends and co-members, never
 * users blocked either way) that one of the user's devices was registered or revoked; tell the user's own
 * devices alone that one was renamed.
 */
const DeviceJobSchema = z.object({
  ...base,
  kind: z.literal('device'),
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  event: z.enum(['registered', 'revoked', 'renamed']),
});

/** Tell the user's own devices, friends and co-members (never users blocked either way) their new profile. */
const ProfileJobSchema = z.object({
  ...base,
  kind: z.literal('profile'),
  user: PublicProfileSchema,
});

/** At most this many connections in one close job: a user's devices, with room to spare. */
export const MAX_CLOSED_PER_JOB = 100;

/** Close these connections of the user from the server's side: a sign-out everywhere ended their sessions. */
const CloseJobSchema = z.object({
  ...base,
  kind: z.literal('close'),
  userId: UserIdSchema,
  connections: z
    .array(
      z.object({
        connectionId: z.string().check(z.minLength(1), z.maxLength(128)),
        /** Epoch ms: a connection still in its handshake answers "gone" for a moment. */
        connectedAt: z.number(),
      }),
    )
    .check(z.minLength(1), z.maxLength(MAX_CLOSED_PER_JOB)),
});

/**
 * See whether a connection is still open, some time after it opened or was last seen active: one whose
 * `$disconnect` never came (API Gateway sends it on a best-effort basis, and its function can fail) is
 * forgotten and, if it was the user's last, the user is announced offline. An open one is checked again.
 */
const ConnectionCheckJobSchema = z.object({
  ...base,
  kind: z.literal('connection-check'),
  userId: UserIdSchema,
  connectionId: z.string().check(z.minLength(1), z.maxLength(128)),
});

/**
 * One fan-out job, as it travels through the queue: the queue adapter writes it and the sender
 * parses every record with this one schema, so the two cannot drift apart.
 */
export const FanoutJobSchema = z.discriminatedUnion('kind', [
  MessageJobSchema,
  ConversationJobSchema,
  UsersJobSchema,
  PresenceJobSchema,
  DeviceJobSchema,
  ProfileJobSchema,
  CloseJobSchema,
  ConnectionCheckJobSchema,
]);

export type MessageJob = z.infer<typeof MessageJobSchema>;
export type ConversationJob = z.infer<typeof ConversationJobSchema>;
export type UsersJob = z.infer<typeof UsersJobSchema>;
export type PresenceJob = z.infer<typeof PresenceJobSchema>;
export type DeviceJob = z.infer<typeof DeviceJobSchema>;
export type ProfileJob = z.infer<typeof ProfileJobSchema>;
export type CloseJob = z.infer<typeof CloseJobSchema>;
export type ConnectionCheckJob = z.infer<typeof ConnectionCheckJobSchema>;
export type FanoutJob = z.infer<typeof FanoutJobSchema>;

/** SQS's longest delivery delay. */
export const MAX_DELAY_IN_SECONDS = 15 * 60;

export interface EnqueueOptions {
  /** Hand the job out no sooner than this (whole seconds, up to {@link MAX_DELAY_IN_SECONDS}). @default 0 */
  readonly delaySeconds?: number;
}

export interface FanoutQueue {
  enqueue(job: FanoutJob, options?: EnqueueOptions): Promise<void>;
}
