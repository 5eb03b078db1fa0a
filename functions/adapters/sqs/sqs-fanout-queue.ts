import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { ConversationIdSchema } from '../../../shared/protocol/ids';
import { MessageFrameSchema } from '../../../shared/protocol/outbound';
import type { FanoutJob, FanoutQueue } from '../../ports/fanout-queue';

/** The wire form of a fan-out job; the sender parses every record with it. */
export const FanoutJobSchema = z.object({
  conversationId: ConversationIdSchema,
  seq: z.number().int().positive(),
  correlationId: z.string().min(1).max(128),
  excludeConnectionId: z.string().min(1).max(128).optional(),
  frame: MessageFrameSchema.optional(),
});

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
