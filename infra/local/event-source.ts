import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { EventSourceDefinition, FunctionName } from '../topology';
import type { Invoke } from './gateway/websocket-api';
import { LOCAL_CREDENTIALS } from './listen';
import type { Meter } from './meter';
import type { LocalQueue } from './sqs';

export interface EventSourceOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly queue: LocalQueue;
  readonly mapping: EventSourceDefinition;
  readonly invoke: Invoke;
  /** Pollers working at once (Lambda starts with five). @default 2 */
  readonly pollers?: number;
  /**
   * Told whether each receive returned messages: AWS bills every receive, but the empty long polls are
   * the pollers' fixed cost, not a message's.
   */
  readonly meter?: Meter;
  readonly onError?: (message: string, error: unknown) => void;
}

export interface LocalEventSource {
  readonly mapping: EventSourceDefinition & {
    readonly queueArn: string;
    readonly redrive: LocalQueue['definition']['deadLetter'] & { readonly deadLetterArn: string };
  };
  stop(): Promise<void>;
}

/** Long-poll wait; short so a stop is quick, long enough not to spin. */
const WAIT_TIME_IN_SECONDS = 2;
/** SQS hands out at most this many messages per receive (and deletes as many per batch call). */
const MAX_MESSAGES_PER_CALL = 10;
/** How often a batching window looks for more messages while it gathers. */
const GATHER_PAUSE_IN_MS = 50;

/**
 * The SQS event source mapping, as Lambda runs it: receive up to `batchSize`
 * messages (ten per receive, as SQS allows; once the first arrive, gathering more
 * for up to `maxBatchingWindowSeconds`), invoke the function with an SQS event,
 * delete what succeeded. With
 * `ReportBatchItemFailures` only the listed records stay; if the invocation
 * fails, none is deleted. What stays becomes visible again after the queue's
 * visibility timeout, and after `maxReceiveCount` receives the queue's redrive
 * policy moves it to the dead-letter queue.
 */
export function startEventSource(options: EventSourceOptions): LocalEventSource {
  const client = new SQSClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: LOCAL_CREDENTIALS,
  });
  const abort = new AbortController();
  const loops = Array.from({ length: options.pollers ?? 2 }, () => poll());

  async function poll() {
    while (!abort.signal.aborted) {
      try {
        const first = await receive(options.mapping.batchSize, WAIT_TIME_IN_SECONDS);
        if (first.length > 0) await deliver(await gather(first));
      } catch (error) {
        if (abort.signal.aborted) return;
        options.onError?.('Polling failed', error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  async function receive(wanted: number, waitSeconds: number): Promise<Message[]> {
    const { Messages } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queue.url,
        MaxNumberOfMessages: Math.min(MAX_MESSAGES_PER_CALL, wanted),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    options.meter?.sqsReceive(Messages?.length ?? 0);
    return Messages ?? [];
  }

  /** More messages after the first, until the batch is full or the batching window has passed. */
  async function gather(batch: Message[]): Promise<Message[]> {
    const deadline = Date.now() + options.mapping.maxBatchingWindowSeconds * 1000;
    while (batch.length < options.mapping.batchSize && Date.now() < deadline && !abort.signal.aborted) {
      const more = await receive(options.mapping.batchSize - batch.length, 0);
      if (more.length > 0) batch.push(...more);
      else
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(GATHER_PAUSE_IN_MS, deadline - Date.now())),
        );
    }
    return batch;
  }

  async function deliver(messages: Message[]) {
    let failed: Set<string>;
    try {
      const result = (await options.invoke(options.mapping.function as FunctionName, {
        Records: messages.map((message) => toRecord(message, options.queue.arn, options.region)),
      })) as { batchItemFailures?: Array<{ itemIdentifier?: string }> } | undefined;
      failed = new Set((result?.batchItemFailures ?? []).map((failure) => String(failure.itemIdentifier)));
    } catch (error) {
      options.onError?.('Batch failed; every record will be retried', error);
      return;
    }
    const done = messages.filter((message) => !failed.has(String(message.MessageId)));
    for (let start = 0; start < done.length; start += MAX_MESSAGES_PER_CALL) {
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queue.url,
          Entries: done
            .slice(start, start + MAX_MESSAGES_PER_CALL)
            .map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
  }

  return {
    mapping: {
      ...options.mapping,
      queueArn: options.queue.arn,
      redrive: { ...options.queue.definition.deadLetter, deadLetterArn: options.queue.deadLetterArn },
    },
    stop: async () => {
      abort.abort();
      await Promise.allSettled(loops);
      client.destroy();
    },
  };
}

/** An SQS message in the shape Lambda hands it to a function. */
function toRecord(message: Message, queueArn: string, region: string) {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          stringValue: value.StringValue,
          binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
          stringListValues: [],
          binaryListValues: [],
          dataType: value.DataType,
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}
