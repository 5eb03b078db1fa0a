import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type PushJob, PushJobSchema, type PushQueue } from '../../ports/push-queue';

/** Push jobs as SQS messages: the job's JSON, checked against the port's schema on the way in. */
export class SqsPushQueue implements PushQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(job: PushJob, options: { delaySeconds?: number } = {}): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(PushJobSchema.parse(job)),
        ...(options.delaySeconds ? { DelaySeconds: options.delaySeconds } : {}),
        MessageAttributes: { correlationId: { DataType: 'String', StringValue: job.correlationId } },
      }),
    );
  }
}
