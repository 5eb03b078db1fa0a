import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { ConversationIdSchema, DeviceIdSchema, UserIdSchema } from '../../../shared/protocol/ids';
import { MessageFrameSchema, PushFrameSchema } from '../../../shared/protocol/outbound';
import type { FanoutJob, FanoutQueue } from '../../ports/fanout-queue';

const base = {
  correlationId: z.string().min(1).max(128),
  excludeConnectionId: z.string().min(1).max(128).optional(),
};

/** The wire form of a fan-out job; the sender parses every record with it. */
export const FanoutJobSchema = z.discriminatedUnion('kind', [
  z.object({
    ...base,
    kind: z.literal('message'),
    conversationId: ConversationIdSchema,
    seq: z.number().int().positive(),
    frame: MessageFrameSchema.optional(),
  }),
  z.object({
    ...base,
    kind: z.literal('conversation'),
    conversationId: ConversationIdSchema,
    frame: PushFrameSchema,
    alsoUserIds: z.array(UserIdSchema).optional(),
  }),
  z.object({ ...base, kind: z.literal('users'), userIds: z.array(UserIdSchema), frame: PushFrameSchema }),
  z.object({
    ...base,
    kind: z.literal('presence'),
    userId: UserIdSchema,
    online: z.boolean(),
    lastSeenAt: z.number().optional(),
  }),
  z.object({
    ...base,
    kind: z.literal('device'),
    userId: UserIdSchema,
    deviceId: DeviceIdSchema,
    event: z.enum(['registered', 'revoked']),
  }),
]) satisfies z.ZodType<FanoutJob>;

export class SqsFanoutQueue implements FanoutQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(job: FanoutJob): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(FanoutJobSchema.parse(job)),
        MessageAttributes: { correlationId: { DataType: 'String', StringValue: job.correlationId } },
      }),
    );
  }
}
