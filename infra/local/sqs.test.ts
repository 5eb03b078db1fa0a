import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../topology';
import { LOCAL_CREDENTIALS } from './listen';
import { type LocalSqs, startSqs } from './sqs';

describe('the SQS stand-in', () => {
  let sqs: LocalSqs;
  let client: SQSClient;

  beforeAll(async () => {
    sqs = await startSqs({ port: 0, region: 'us-east-1' });
    client = new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  });

  afterAll(async () => {
    client?.destroy();
    await sqs?.stop();
  });

  it('carries characters outside the Basic Multilingual Plane, as SQS does (patched)', async () => {
    const body = JSON.stringify({ displayName: 'Zoë 😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢' });
    await client.send(new SendMessageCommand({ QueueUrl: sqs.queues.fanout.url, MessageBody: body }));
    const { Messages } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: sqs.queues.fanout.url,
        WaitTimeSeconds: 2,
        VisibilityTimeout: 0,
      }),
    );
    expect(Messages?.[0]?.Body).toBe(body);
  });

  it('still refuses characters SQS refuses', async () => {
    const send = client.send(
      new SendMessageCommand({ QueueUrl: sqs.queues.fanout.url, MessageBody: 'bell \u0007' }),
    );
    await expect(send).rejects.toMatchObject({
      name: expect.stringMatching(/InvalidMessageContents|InvalidParameterValue/),
    });
  });

  it('creates the topology queues with their visibility timeout and redrive policy', () => {
    expect(sqs.queues.fanout.definition).toEqual(QUEUES.fanout);
    expect(sqs.queues.fanout.deadLetterArn).toMatch(/:fanout-dlq$/);
  });
});
