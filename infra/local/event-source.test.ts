import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEventSource, startEventSource } from './event-source';
import { LOCAL_CREDENTIALS } from './listen';
import { type LocalSqs, startSqs } from './sqs';

interface Record {
  messageId: string;
  body: string;
  attributes: { ApproximateReceiveCount: string };
  eventSource: string;
}

/** A `jobs` queue on a fresh SQS stand-in, with a client of it. */
async function jobsQueue(visibilityTimeoutSeconds: number) {
  const region = 'us-east-1';
  const sqs = await startSqs({
    port: 0,
    region,
    queues: {
      jobs: {
        visibilityTimeoutSeconds,
        retentionPeriodSeconds: 3600,
        deadLetter: { maxReceiveCount: 2, retentionPeriodSeconds: 3600 },
      },
    },
  });
  return { sqs, client: new SQSClient({ endpoint: sqs.endpoint, region, credentials: LOCAL_CREDENTIALS }) };
}

/**
 * The SQS event source against the real SQS stand-in, with a consumer
 * function that fails on purpose: what Lambda guarantees, the poller keeps.
 */
describe('the local SQS event source', () => {
  const region = 'us-east-1';
  let sqs: LocalSqs<'jobs'>;
  let client: SQSClient;
  let source: LocalEventSource;
  const batches: Record[][] = [];

  beforeAll(async () => {
    ({ sqs, client } = await jobsQueue(1));
    source = startEventSource({
      endpoint: sqs.endpoint,
      region,
      queue: sqs.queues.jobs,
      mapping: {
        queue: 'fanout',
        function: 'fanoutSender',
        batchSize: 4,
        maxBatchingWindowSeconds: 0,
        reportBatchItemFailures: true,
      },
      // A consumer with partial batch responses: records whose body says so fail.
      invoke: async (_name, event) => {
        const records = (event as { Records: Record[] }).Records;
        batches.push(records);
        if (records.some((record) => record.body === 'crash')) throw new Error('the whole batch failed');
        return {
          batchItemFailures: records
            .filter((record) => record.body.startsWith('fail'))
            .map((record) => ({ itemIdentifier: record.messageId })),
        };
      },
    });
  });

  afterAll(async () => {
    await source?.stop();
    client?.destroy();
    await sqs?.stop();
  });

  const send = (body: string) =>
    client.send(new SendMessageCommand({ QueueUrl: sqs.queues.jobs.url, MessageBody: body }));
  const seen = (body: string) => batches.flat().filter((record) => record.body === body);
  const until = async (condition: () => boolean, timeoutMs = 8000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('delivers SQS-shaped records in batches no larger than the batch size', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => send(`ok-${i}`)));
    await until(() => Array.from({ length: 10 }, (_, i) => `ok-${i}`).every((body) => seen(body).length > 0));
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(4);
    expect(seen('ok-0')[0]).toMatchObject({
      eventSource: 'aws:sqs',
      attributes: { ApproximateReceiveCount: '1' },
    });
  });

  it('deletes the records that succeeded: they are never delivered twice', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (let i = 0; i < 10; i += 1) expect(seen(`ok-${i}`)).toHaveLength(1);
  });

  it('retries only the reported failure after the visibility timeout, then moves it to the dead-letter queue', async () => {
    await send('fail-once-more');
    await send('fine-neighbour');
    await until(() => seen('fail-once-more').length === 2);
    const [first, second] = seen('fail-once-more');
    expect(first?.attributes.ApproximateReceiveCount).toBe('1');
    expect(second?.attributes.ApproximateReceiveCount).toBe('2');
    expect(seen('fine-neighbour')).toHaveLength(1);
    const dead = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: sqs.queues.jobs.deadLetterUrl,
        WaitTimeSeconds: 5,
        MaxNumberOfMessages: 10,
      }),
    );
    expect(dead.Messages?.map((message) => message.Body)).toEqual(['fail-once-more']);
  });

  it('retries every record of a batch whose invocation failed', async () => {
    await send('crash');
    await until(() => seen('crash').length >= 2);
    expect(seen('crash')[1]?.attributes.ApproximateReceiveCount).toBe('2');
  });
});

/** A mapping whose batch is larger than one receive, with a batching window, as the push queue's is. */
describe('the local SQS event source with a batching window', () => {
  const region = 'us-east-1';
  let sqs: LocalSqs<'jobs'>;
  let client: SQSClient;
  let source: LocalEventSource;
  const batches: string[][] = [];

  beforeAll(async () => {
    ({ sqs, client } = await jobsQueue(30));
    source = startEventSource({
      endpoint: sqs.endpoint,
      region,
      queue: sqs.queues.jobs,
      pollers: 1,
      mapping: {
        queue: 'push',
        function: 'pushSender',
        batchSize: 25,
        maxBatchingWindowSeconds: 1,
        reportBatchItemFailures: true,
      },
      invoke: async (_name, event) => {
        batches.push((event as { Records: Record[] }).Records.map((record) => record.body));
        return { batchItemFailures: [] };
      },
    });
  });

  afterAll(async () => {
    await source?.stop();
    client?.destroy();
    await sqs?.stop();
  });

  it('gathers more than ten messages into one batch, never more than its size, each once', async () => {
    const bodies = Array.from({ length: 30 }, (_, i) => `job-${i}`);
    await Promise.all(
      bodies.map((body) =>
        client.send(new SendMessageCommand({ QueueUrl: sqs.queues.jobs.url, MessageBody: body })),
      ),
    );
    const deadline = Date.now() + 10_000;
    while (batches.flat().length < bodies.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(batches.flat().sort()).toEqual([...bodies].sort());
    expect(Math.max(...batches.map((batch) => batch.length))).toBeGreaterThan(10);
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(25);
  });
});
