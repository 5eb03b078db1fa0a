import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendFrame } from '../../shared/protocol/inbound';
import { apiFor, befriend } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { tableReader } from '../support/table';

/** Per-user limits counted in DynamoDB: lowered here so a test can reach them. */
describe('rate limits', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let socket: TestSocket;

  beforeAll(async () => {
    stack = await startTestStack({
      rateLimits: { search: { limit: 2, windowSeconds: 60 }, send: { limit: 3, windowSeconds: 60 } },
    });
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    await befriend(stack, alice, bob);
    socket = await connect(stack.endpoints.webSocketUrl, alice.accessToken);
  });

  afterAll(async () => {
    await socket?.close();
    await stack?.stop();
  });

  it('answers 429 problem+json with Retry-After once a user exceeds their search allowance', async () => {
    const search = () =>
      fetch(`${stack.endpoints.httpApiUrl}/users?prefix=bo`, {
        headers: { authorization: `Bearer ${alice.accessToken}` },
      });
    expect((await search()).status).toBe(200);
    expect((await search()).status).toBe(200);
    const limited = await search();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/problem+json');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    // Another user's allowance is their own.
    const bobs = await fetch(`${stack.endpoints.httpApiUrl}/users?prefix=al`, {
      headers: { authorization: `Bearer ${bob.accessToken}` },
    });
    expect(bobs.status).toBe(200);
  });

  it('answers an error frame with retryAfterSeconds over WebSocket, stores nothing, and keeps the connection', async () => {
    const table = tableReader(stack);
    for (let i = 1; i <= 3; i += 1) {
      socket.send(
        sendFrame({ requestId: `s${i}`, recipientId: bob.userId, messageId: `m${i}`, body: 'aGk=' }),
      );
      await socket.waitFor((f) => (f as { requestId?: string }).requestId === `s${i}`);
    }
    socket.send(sendFrame({ requestId: 's4', recipientId: bob.userId, messageId: 'm4', body: 'aGk=' }));
    const error = await socket.waitFor<{ code: string; retryAfterSeconds: number }>(
      (f) => (f as { requestId?: string }).requestId === 's4',
    );
    expect(error).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    const { conversationId } = await apiFor(stack, alice).createConversation({
      body: { kind: 'direct', userId: bob.userId },
    });
    const stored = await table.query(`CONV#${conversationId}`, 'MSG#');
    expect(stored.map((m) => m.messageId)).toEqual(['m1', 'm2', 'm3']);
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    table.destroy();
  });
});
