import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetterNote, DeadLetterQueue } from '../../ports/dead-letter-queue';
import { type FanoutJob, FanoutJobSchema } from '../../ports/fanout-queue';

/**
 * The fan-out queue's dead-letter queue, written by its consumer. A parked job's SQS body is the job
 * itself, so SQS's own redrive (`StartMessageMoveTask`, the console's "Start DLQ redrive") moves it back to
 * the fan-out queue as it is; the note travels in message attributes, which a redrive keeps.
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async parkJob(job: FanoutJob, note: DeadLetterNote): Promise<void> {
    await this.send(JSON.stringify(FanoutJobSchema.parse(job)), note, job.correlationId);
  }

  async parkRefused(note: DeadLetterNote): Promise<void> {
    await this.send(JSON.stringify(note), note);
  }

  private async send(body: string, note: DeadLetterNote, correlationId?: string): Promise<void> {
    const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: body,
        MessageAttributes: {
          failedMessageId: text(note.messageId),
          receiveCount: { DataType: 'Number', StringValue: String(note.receiveCount) },
          code: text(note.code),
          // SQS refuses an empty attribute value.
          reason: text(note.reason || note.code),
          ...(correlationId ? { correlationId: text(correlationId) } : {}),
        },
      }),
    );
  }
}
