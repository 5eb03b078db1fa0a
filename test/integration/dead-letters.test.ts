import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../infra/local/listen';
import { QUEUES } from '../../infra/topology';
import type { MessageFrame } from '../../shared/protocol/outbound';
import { apiFor, befriend } from '../support/api';
import { deadLetterReader } from '../support/dead-letters';
import { type Persona, signUp } from '../support/personas';
import { connectInTurn, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually } from '../support/table';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const isMessage = (seq: number) => (frame: unknown) =>
  (frame as MessageFrame).type === 'message' && (frame as MessageFrame).seq === seq;

/**
 * A fan-out job that keeps failing ends in the dead-letter queue without the message's body, so a
 * deleted message's ciphertext outlives its delete in no queue; a redrive pushes what the log holds.
 */
describe('dead-lettered fan-out jobs', () => {
  let stack: TestStack;
  let sqs: SQSClient;
  let alice: Persona;
  let bob: Persona;
  let sockets: TestSocket[] = [];
  let deadLetters: ReturnType<typeof deadLetterReader>;

  beforeAll(async () => {
    // A failed job is retried after one second instead of a minute: the receive counts are the topology's.
    stack = await startTestStack({ visibilityTimeoutSeconds: { fanout: 1 } });
    sqs = new SQSClient({
      endpoint: stack.resources.sqsEndpoint,
      region: stack.region,
      credentials: LOCAL_CREDENTIALS,
    });
    deadLetters = deadLetterReader(sqs, stack.resources.queues.fanout.deadLetterUrl);
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    await befriend(stack, alice, bob);
    sockets = await connectInTurn(stack, [alice, bob]);
  });

  afterAll(async () => {
    stack?.faults.dynamoDbDown(false);
    await Promise.all(sockets.map((socket) => socket.close()));
    sqs?.destroy();
    await stack?.stop();
  });

  it('parks a message job that keeps failing without its body, and a redrive pushes the message from the log or nothing once deleted', async () => {
    const [, bobs] = sockets as [TestSocket, TestSocket];
    const alices = apiFor(stack, alice);
    const direct = (await alices.createConversation({ body: { kind: 'direct', userId: bob.userId } }))
      .conversationId;
    const sent = await alices.postMessage({
      params: { conversationId: direct },
      body: { messageId: 'kept', body: b64('the stored body') },
    });
    const pushed = await bobs.waitFor<MessageFrame>(isMessage(sent.seq));

    // The same message's job again, its frame carrying a marker for a body, while the table is down.
    const marker = `deadletter${Math.random().toString(36).slice(2, 10)}`;
    stack.faults.dynamoDbDown(true);
    const { MessageId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.resources.queues.fanout.url,
        MessageBody: JSON.stringify({
          kind: 'message',
          correlationId: `job-${marker}`,
          conversationId: direct,
          seq: sent.seq,
          frame: { ...pushed, body: b64(marker) },
        }),
      }),
    );
    const parked = await eventually(
      async () =>
        (await deadLetters.read()).find((letter) => letter.attributes.failedMessageId === MessageId),
      60_000,
    );
    stack.faults.dynamoDbDown(false);

    expect(parked.attributes).toMatchObject({
      receiveCount: String(QUEUES.fanout.deadLetter.maxReceiveCount - 1),
      correlationId: `job-${marker}`,
    });
    expect(JSON.parse(parked.body)).toEqual({
      kind: 'message',
      correlationId: `job-${marker}`,
      conversationId: direct,
      seq: sent.seq,
    });
    expect(deadLetters.all.filter((letter) => letter.body.includes(b64(marker)))).toEqual([]);

    // A redrive (SQS moves the body as it is) pushes the message as the log holds it.
    const redriven = bobs.frames.length;
    await sqs.send(
      new SendMessageCommand({ QueueUrl: stack.resources.queues.fanout.url, MessageBody: parked.body }),
    );
    expect(await bobs.waitFor<MessageFrame>(isMessage(sent.seq), { since: redriven })).toMatchObject({
      messageId: 'kept',
      body: b64('the stored body'),
    });

    // Once the message is deleted, a redrive pushes nothing.
    await alices.deleteMessage({ params: { conversationId: direct, seq: sent.seq } });
    await bobs.waitFor((frame) => (frame as { type: string }).type === 'deleted');
    const afterDelete = bobs.frames.length;
    const { MessageId: again } = await sqs.send(
      new SendMessageCommand({ QueueUrl: stack.resources.queues.fanout.url, MessageBody: parked.body }),
    );
    const done = await eventually(
      async () =>
        stack.logs.find(
          (log) =>
            log.line.includes('"message":"Fan-out done"') && log.line.includes(`"messageId":"${again}"`),
        ),
      15_000,
    );
    expect(JSON.parse(done.line)).toMatchObject({ recipients: 0, delivered: 0 });
    expect(bobs.frames.slice(afterDelete).filter(isMessage(sent.seq))).toEqual([]);
  });
});
