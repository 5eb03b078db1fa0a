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
  let carol: Persona;
  let socket: TestSocket;

  beforeAll(async () => {
    stack = await startTestStack({
      rateLimits: {
        search: { limit: 2, windowSeconds: 60 },
        send: { limit: 3, windowSeconds: 60 },
        // Sign-up reads GET /me once; the searches below read three times.
        read: { limit: 5, windowSeconds: 3600 },
      },
    });
    [alice, bob, carol] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
    ]);
    await befriend(stack, alice, bob);
    socket = await connect(stack.endpoints.webSocketUrl, alice.accessToken);
  });

  afterAll(async () => {
    await socket?.close();
    await stack?.stop();
  });

  it('answers 429 problem+json with Retry-After once a user exceeds their search allowance', async () => {
    const search = () =>
      fetch(`${stack.endpoints.httpApiUrl}/users?prefix=bob`, {
        headers: { authorization: `Bearer ${alice.accessToken}` },
      });
    expect((await search()).status).toBe(200);
    expect((await search()).status).toBe(200);
    const limited = await search();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/problem+json');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    // Searches at the end of a window still weigh in the next one: up to a window and a half here.
    expect(retryAfter).toBeLessThanOrEqual(90);
    expect(await limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    // Another user's allowance is their own.
    const bobs = await fetch(`${stack.endpoints.httpApiUrl}/users?prefix=ali`, {
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

  it('counts every GET against the read allowance: 429 once it is used up, writes still pass', async () => {
    const api = apiFor(stack, carol);
    // Sign-up read GET /me: four more reads of any kind are left.
    await api.listConversations({});
    await api.listFriends({});
    await api.listBlocks({});
    await api.getMe();

    const limited = await fetch(`${stack.endpoints.httpApiUrl}/conversations`, {
      headers: { authorization: `Bearer ${carol.accessToken}` },
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
    await expect(api.updateMe({ body: { displayName: 'Carol' } })).resolves.toMatchObject({
      displayName: 'Carol',
    });
    await expect(apiFor(stack, bob).listBlocks({})).resolves.toBeDefined();
  });
});
