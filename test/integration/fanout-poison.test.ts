import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../infra/local/listen';
import { sendFrame } from '../../shared/protocol/inbound';
import type { MessageFrame } from '../../shared/protocol/outbound';
import { befriend } from '../support/api';
import { deadLetterReader } from '../support/dead-letters';
import { type Persona, signUp } from '../support/personas';
import { connectInTurn, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually } from '../support/table';

const b64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * Jobs the fan-out cannot read are said at ERROR and dead-lettered at once, both without their bodies, and
 * traffic goes on.
 */
describe('poison fan-out jobs', () => {
  let stack: TestStack;
  let sqs: SQSClient;
  let alice: Persona;
  let bob: Persona;
  let sockets: TestSocket[] = [];
  let deadLetters: ReturnType<typeof deadLetterReader>;

  beforeAll(async () => {
    stack = await startTestStack();
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
    await Promise.all(sockets.map((socket) => socket.close()));
    sqs?.destroy();
    await stack?.stop();
  });

  it.each([
    ['a body that is not JSON', (marker: string) => `not json ${marker}`],
    [
      'a job of no known kind',
      (marker: string) => JSON.stringify({ kind: 'mystery', conversationId: marker, correlationId: 'c' }),
    ],
    [
      'a message job missing its seq',
      (marker: string) =>
        JSON.stringify({ kind: 'message', conversationId: `d_${marker}`, correlationId: marker }),
    ],
  ])('logs and dead-letters %s with its message id and reason, never its body', async (_, body) => {
    const marker = `poison${Math.random().toString(36).slice(2, 10)}`;
    const { MessageId } = await sqs.send(
      new SendMessageCommand({ QueueUrl: stack.resources.queues.fanout.url, MessageBody: body(marker) }),
    );

    const line = await eventually(
      async () =>
        stack.logs.find(
          (log) =>
            log.functionName === 'fanoutSender' &&
            log.line.includes('"level":"ERROR"') &&
            log.line.includes(`"messageId":"${MessageId}"`),
        ),
      15_000,
    );
    const logged = JSON.parse(line.line) as Record<string, unknown>;
    expect(logged).toMatchObject({
      message: 'Fan-out job refused',
      messageId: MessageId,
      code: expect.stringMatching(/^(INVALID_JSON|VALIDATION_FAILED)$/),
      reason: expect.any(String),
    });
    expect(String(logged.reason).length).toBeGreaterThan(0);
    expect(stack.logs.filter((log) => log.line.includes(marker))).toEqual([]);

    // Parked at once, as a note: no retry could read it.
    const parked = await eventually(
      async () =>
        (await deadLetters.read()).find((letter) => letter.attributes.failedMessageId === MessageId),
      15_000,
    );
    expect(JSON.parse(parked.body)).toEqual({
      messageId: MessageId,
      receiveCount: 1,
      code: logged.code,
      reason: logged.reason,
    });
    expect(deadLetters.all.filter((letter) => letter.body.includes(marker))).toEqual([]);

    // Traffic goes on meanwhile.
    const [alices, bobs] = sockets as [TestSocket, TestSocket];
    const messageId = `after-${marker}`;
    alices.send(sendFrame({ recipientId: bob.userId, messageId, body: b64('still here') }));
    expect(
      await bobs.waitFor<MessageFrame>(
        (frame) =>
          (frame as MessageFrame).type === 'message' && (frame as MessageFrame).messageId === messageId,
      ),
    ).toMatchObject({ body: b64('still here') });
  });
});
