import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  type EnqueueOptions,
  type FanoutJob,
  FanoutJobSchema,
  type FanoutQueue,
} from '../../ports/fanout-queue';

/** Fan-out jobs as SQS messages: the job's JSON, checked against the port's schema on the way in. */
export class SqsFanoutQueue implements FanoutQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(job: FanoutJob, options: EnqueueOptions = {}): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(FanoutJobSchema.parse(job)),
        ...(options.delaySeconds ? { DelaySeconds: options.delaySeconds } : {}),
        MessageAttributes: { correlationId: { DataType: 'String', StringValue: job.correlationId } },
      }),
    );
  }
}
