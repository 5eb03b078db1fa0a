import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** A dead-letter queue's messages, as an operator would read them. */
export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  /** Message attributes' string values. */
  readonly attributes: Record<string, string>;
}

/**
 * Reads a dead-letter queue as it fills: every `read()` takes what has arrived (and removes it from the
 * queue), and `all` keeps everything read so far.
 */
export function deadLetterReader(sqs: SQSClient, queueUrl: string) {
  const all: DeadLetter[] = [];
  return {
    all,
    async read(): Promise<DeadLetter[]> {
      for (;;) {
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
          }),
        );
        if (!Messages || Messages.length === 0) return all;
        all.push(...Messages.map(toLetter));
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      }
    },
  };
}

function toLetter(message: Message): DeadLetter {
  return {
    messageId: String(message.MessageId),
    body: message.Body ?? '',
    attributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        String(value.StringValue),
      ]),
    ),
  };
}
