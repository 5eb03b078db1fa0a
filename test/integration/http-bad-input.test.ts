import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_SIZE_IN_BYTES } from '../../shared/protocol/limits';
import { apiFor, befriend } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually, tableReader } from '../support/table';

interface BadRequest {
  readonly name: string;
  readonly method: string;
  readonly path: () => string;
  readonly body?: string;
  readonly status: number;
  readonly code: string;
}

/** The HTTP API refuses bad input with problem+json and a stable code, and changes nothing. */
describe('bad input on the HTTP API', () => {
  let stack: TestStack;
  let table: ReturnType<typeof tableReader>;
  let alice: Persona;
  let bob: Persona;
  let conversationId: string;

  const snapshot = async () =>
    JSON.stringify([
      await table.query(`CONV#${conversationId}`),
      await table.query(`USER#${alice.userId}`, 'FRIEND#'),
      await table.get(`USER#${alice.userId}`, 'PROFILE'),
    ]);

  beforeAll(async () => {
    stack = await startTestStack();
    table = tableReader(stack);
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    await befriend(stack, alice, bob);
    const direct = await apiFor(stack, alice).createConversation({
      body: { kind: 'direct', userId: bob.userId },
    });
    conversationId = direct.conversationId;
    await apiFor(stack, alice).postMessage({
      params: { conversationId },
      body: { messageId: 'seed', body: 'c2VlZA==' },
    });
    // Fan-out moves the sender's read mark after the answer: let it land before any snapshot.
    await eventually(async () =>
      (await table.get(`CONV#${conversationId}`, `MEMBER#${alice.userId}`))?.read === 1 ? true : undefined,
    );
  });

  afterAll(async () => {
    table?.destroy();
    await stack?.stop();
  });

  const messages = () => `/conversations/${conversationId}/messages`;
  const cases: BadRequest[] = [
    {
      name: 'a body that is not JSON',
      method: 'POST',
      path: messages,
      body: '{"messageId":',
      status: 400,
      code: 'INVALID_JSON',
    },
    { name: 'a missing body', method: 'POST', path: messages, status: 400, code: 'VALIDATION_FAILED' },
    {
      name: 'a missing field',
      method: 'POST',
      path: messages,
      body: '{"messageId":"m1"}',
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a field of the wrong type',
      method: 'POST',
      path: messages,
      body: '{"messageId":7,"body":"aGk="}',
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a body that is not base64',
      method: 'POST',
      path: messages,
      body: '{"messageId":"m2","body":"not base64!"}',
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an oversized message body',
      method: 'POST',
      path: messages,
      body: JSON.stringify({
        messageId: 'm3',
        body: Buffer.alloc(MAX_BODY_SIZE_IN_BYTES + 1, 1).toString('base64'),
      }),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'a reaction without refSeq',
      method: 'POST',
      path: messages,
      body: '{"messageId":"m4","body":"aGk=","kind":"reaction"}',
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a limit that is not a number',
      method: 'GET',
      path: () => `${messages()}?limit=lots`,
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a limit over the maximum',
      method: 'GET',
      path: () => `${messages()}?limit=1000`,
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a forged cursor',
      method: 'GET',
      path: () => `${messages()}?cursor=eyJ4IjoxfQ`,
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'both after and before',
      method: 'GET',
      path: () => `${messages()}?after=1&before=3`,
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a malformed conversation id',
      method: 'GET',
      path: () => '/conversations/no%20spaces',
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a path parameter that is not valid percent-encoding',
      method: 'GET',
      path: () => '/users/%E0%A4%A',
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a seq that is not a number',
      method: 'DELETE',
      path: () => `${messages()}/first`,
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a friend request naming two people',
      method: 'POST',
      path: () => '/friends/requests',
      body: JSON.stringify({ userId: 'a', username: 'bob_b' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a username with capitals',
      method: 'PATCH',
      path: () => '/me',
      body: '{"username":"Alice"}',
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an unknown group kind',
      method: 'POST',
      path: () => '/conversations',
      body: '{"kind":"channel","name":"x"}',
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a receipt with no mark',
      method: 'POST',
      path: () => `/conversations/${conversationId}/receipts`,
      body: '{}',
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'another user’s conversation id',
      method: 'GET',
      path: () => '/conversations/d_someone_elses',
      status: 403,
      code: 'FORBIDDEN',
    },
  ];

  for (const testCase of cases) {
    it(`answers ${testCase.name} with ${testCase.status} ${testCase.code} and changes nothing`, async () => {
      const before = await snapshot();
      const response = await fetch(`${stack.endpoints.httpApiUrl}${testCase.path()}`, {
        method: testCase.method,
        headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': 'application/json' },
        ...(testCase.body !== undefined ? { body: testCase.body } : {}),
      });
      expect(response.status).toBe(testCase.status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const problem = (await response.json()) as Record<string, unknown>;
      expect(problem).toMatchObject({
        status: testCase.status,
        code: testCase.code,
        requestId: expect.any(String),
      });
      expect(String(problem.detail).length).toBeGreaterThan(0);
      expect(await snapshot()).toBe(before);
    });
  }

  it('still serves the caller normally afterwards', async () => {
    const page = await apiFor(stack, alice).listMessages({ params: { conversationId } });
    expect(page.items.map((m) => m.messageId)).toEqual(['seed']);
  });

  it('refuses a path that is not valid percent-encoding before it checks the token', async () => {
    const response = await fetch(`${stack.endpoints.httpApiUrl}/conversations/%E0%A4%A/messages`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers an unknown route as API Gateway does, with 404', async () => {
    const response = await fetch(`${stack.endpoints.httpApiUrl}/nope`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    expect(response.status).toBe(404);
  });
});
