import { ConversationIdSchema, DeviceIdSchema, UserIdSchema } from '../../shared/protocol/ids';
import * as z from '../../shared/zod';

/** Devices one job names at most: a large group's message takes several jobs. */
export const MAX_PUSH_TARGETS_PER_JOB = 100;

/** A device to notify: one of the user's that takes Web Push and had no open connection. */
export const PushTargetSchema = z.object({ userId: UserIdSchema, deviceId: DeviceIdSchema });
export type PushTarget = z.infer<typeof PushTargetSchema>;

/**
 * Notify devices that a conversation has new messages, by Web Push. Queued by the fan-out sender for a
 * content message's members (never its sender) whose devices had no open connection when it was posted.
 * Carries no message content: the server has none to give.
 */
export const PushJobSchema = z.object({
  /** Follows the request into the push sender's logs. */
  correlationId: z.string().check(z.minLength(1), z.maxLength(128)),
  conversationId: ConversationIdSchema,
  /** The newest message the push is for. */
  seq: z.number().check(z.int(), z.positive()),
  /** How many messages the push stands for (a retried push keeps the count it had). */
  count: z.number().check(z.int(), z.positive()),
  senderId: UserIdSchema,
  targets: z.array(PushTargetSchema).check(z.minLength(1), z.maxLength(MAX_PUSH_TARGETS_PER_JOB)),
  /** Attempts made before this one (a push service that asked to wait, or failed). @default 0 */
  attempt: z.optional(z.number().check(z.int(), z.nonnegative())),
});
export type PushJob = z.infer<typeof PushJobSchema>;

export interface PushQueue {
  /** Queues a job, handed out no sooner than `delaySeconds` (whole seconds, at most 900). */
  enqueue(job: PushJob, options?: { delaySeconds?: number }): Promise<void>;
}
