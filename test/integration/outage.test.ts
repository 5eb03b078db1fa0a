import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendFrame } from '../../shared/protocol/inbound';
import { apiFor, befriend, logAfter, rawRequest } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connectInTurn, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** While DynamoDB is down, requests get 503 UNAVAILABLE with when to retry; afterwards all is as before. */
describe('a DynamoDB outage', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let sockets: TestSocket[] = [];
  let direct: string;

  beforeAll(async () => {
    stack = await startTestStack();
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    await befriend(stack, alice, bob);
    direct = (await apiFor(stack, alice).createConversation({ body: { kind: 'direct', userId: bob.userId } }))
      .conversationId;
    sockets = await connectInTurn(stack, [alice, bob]);
  });

  afterAll(async () => {
    stack?.faults.dynamoDbDown(false);
    await Promise.all(sockets.map((socket) => socket.close()));
    await stack?.stop();
  });

  it('answers 503 with Retry-After over HTTP and an UNAVAILABLE frame over the socket, then recovers', async () => {
    const [alices] = sockets as [TestSocket, TestSocket];
    stack.faults.dynamoDbDown(true);
    try {
      const http = await rawRequest(stack, alice, 'POST', `/conversations/${direct}/messages`, {
        messageId: 'during-outage',
        body: b64('lost?'),
      });
      expect(http.status).toBe(503);
      expect(http.headers.get('retry-after')).toBe('1');
      expect(http.headers.get('content-type')).toBe('application/problem+json');
      expect(await http.json()).toMatchObject({ code: 'UNAVAILABLE', status: 503 });

      alices.send(
        sendFrame({ requestId: 'ws-outage', conversationId: direct, messageId: 'ws-outage', body: b64('x') }),
      );
      expect(
        await alices.waitFor((frame) => (frame as { requestId?: string }).requestId === 'ws-outage', {
          timeoutMs: 20_000,
        }),
      ).toMatchObject({ type: 'error', code: 'UNAVAILABLE', retryAfterSeconds: 1 });
    } finally {
      stack.faults.dynamoDbDown(false);
    }

    // The same sends, retried as Retry-After says, go through once each.
    const retried = await apiFor(stack, alice).postMessage({
      params: { conversationId: direct },
      body: { messageId: 'during-outage', body: b64('lost?') },
    });
    expect(retried.seq).toBe(1);
    const log = await logAfter(apiFor(stack, bob), direct);
    expect(log.map((entry) => entry.messageId)).toEqual(['during-outage']);
  });
});
