import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../../infra/local/listen';
import { type LocalSqs, startSqs } from '../../../infra/local/sqs';
import { messageFrame } from '../../../shared/protocol/outbound';
import { type FanoutJob, FanoutJobSchema } from '../../ports/fanout-queue';
import { InMemoryFanoutQueue } from '../memory/memory-fanout-queue';
import { SqsFanoutQueue } from '../sqs/sqs-fanout-queue';

const REGION = 'eu-west-1';
const QUEUE = {
  visibilityTimeoutSeconds: 30,
  retentionPeriodSeconds: 300,
  deadLetter: { maxReceiveCount: 3, retentionPeriodSeconds: 300 },
};

/** One job of every kind, each with every optional field set: what the sender must get back whole. */
const JOBS: readonly FanoutJob[] = [
  {
    kind: 'message',
    correlationId: 'req-message',
    excludeConnectionId: 'conn-1',
    conversationId: 'g_group',
    seq: 42,
    contentCount: 40,
    frame: messageFrame({
      conversationId: 'g_group',
      seq: 42,
      messageId: 'm-42',
      senderId: 'alice',
      sentAt: '2025-03-01T12:00:00.000Z',
      kind: 'reply',
      refSeq: 7,
      body: Buffer.from('ciphertext').toString('base64'),
    }),
  },
  { kind: 'message', correlationId: 'req-retry', conversationId: 'g_group', seq: 43 },
  {
    kind: 'conversation',
    correlationId: 'req-rename',
    conversationId: 'g_group',
    alsoUserIds: ['carol'],
    frame: {
      type: 'conversation',
      event: 'renamed',
      conversationId: 'g_group',
      kind: 'group',
      // Outside the Basic Multilingual Plane: the queue must carry it unchanged.
      name: 'Trip 🏔️ 山',
      memberIds: ['alice', 'bob'],
      actorId: 'alice',
      membersVersion: 3,
    },
  },
  {
    kind: 'users',
    correlationId: 'req-friend',
    userIds: ['bob'],
    frame: {
      type: 'friend',
      event: 'requested',
      user: { userId: 'alice', username: 'alice', displayName: 'Алиса' },
      state: 'incoming',
    },
  },
  {
    kind: 'presence',
    correlationId: 'req-online',
    userId: 'alice',
    online: false,
    lastSeenAt: 1_740_000_000_000,
  },
  { kind: 'device', correlationId: 'req-device', userId: 'alice', deviceId: 'laptop-1', event: 'revoked' },
  { kind: 'connection-check', correlationId: 'req-connect', userId: 'alice', connectionId: 'Xy0_abc=' },
];

let sqs: LocalSqs<'fanout'> | undefined;
let client: SQSClient | undefined;

beforeAll(async () => {
  sqs = await startSqs({ port: 0, region: REGION, queues: { fanout: QUEUE } });
  client = new SQSClient({ endpoint: sqs.endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
});

afterAll(async () => {
  client?.destroy();
  await sqs?.stop();
});

describe('the fan-out job schema', () => {
  it('accepts every kind of job the use cases make', () => {
    for (const job of JOBS) expect(FanoutJobSchema.parse(job), job.kind).toEqual(job);
  });
});

describe('SqsFanoutQueue', () => {
  it('carries every kind of job through the queue to the sender unchanged', async () => {
    if (!sqs || !client) throw new Error('The SQS stand-in did not start');
    const queue = new SqsFanoutQueue(client, sqs.queues.fanout.url);

    for (const job of JOBS) await queue.enqueue(job);
    const received: unknown[] = [];
    while (received.length < JOBS.length) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: sqs.queues.fanout.url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      for (const message of Messages) {
        // As the sender reads each record: the body alone, parsed with the port's schema.
        received.push(FanoutJobSchema.parse(JSON.parse(message.Body ?? '')));
        await client.send(
          new DeleteMessageCommand({ QueueUrl: sqs.queues.fanout.url, ReceiptHandle: message.ReceiptHandle }),
        );
      }
    }

    expect(received).toHaveLength(JOBS.length);
    expect(received).toEqual(expect.arrayContaining([...JOBS]));
  });

  it('holds a delayed job back until its delay has passed', async () => {
    if (!sqs || !client) throw new Error('The SQS stand-in did not start');
    const queue = new SqsFanoutQueue(client, sqs.queues.fanout.url);
    const job = JOBS.find((candidate) => candidate.kind === 'connection-check') as FanoutJob;

    await queue.enqueue(job, { delaySeconds: 2 });
    const early = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: sqs.queues.fanout.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    expect(early.Messages ?? []).toEqual([]);
    let received: unknown;
    while (received === undefined) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: sqs.queues.fanout.url,
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: 1,
        }),
      );
      const [message] = Messages;
      if (!message) continue;
      received = FanoutJobSchema.parse(JSON.parse(message.Body ?? ''));
      await client.send(
        new DeleteMessageCommand({ QueueUrl: sqs.queues.fanout.url, ReceiptHandle: message.ReceiptHandle }),
      );
    }
    expect(received).toEqual(job);
  });

  it('refuses a job the sender could not read, before it is sent', async () => {
    if (!sqs || !client) throw new Error('The SQS stand-in did not start');
    const queue = new SqsFanoutQueue(client, sqs.queues.fanout.url);
    const broken = { kind: 'message', correlationId: 'x', conversationId: 'g_group', seq: 0 } as FanoutJob;

    await expect(queue.enqueue(broken)).rejects.toThrow();
  });
});

describe('InMemoryFanoutQueue', () => {
  it('keeps every kind of job, in order', async () => {
    const queue = new InMemoryFanoutQueue();

    for (const job of JOBS) await queue.enqueue(job);

    expect(queue.jobs).toEqual(JOBS);
  });

  it('notes the delay of each job', async () => {
    const queue = new InMemoryFanoutQueue();

    await queue.enqueue(JOBS[0] as FanoutJob);
    await queue.enqueue(JOBS[1] as FanoutJob, { delaySeconds: 30 });

    expect(queue.delays).toEqual([0, 30]);
  });
});
