import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { Routes } from '../api/routes';
import { ErrorCode } from '../protocol/errors';
import { PROBLEM_CONTENT_TYPE, problem } from '../protocol/problem';
import type { Me } from '../protocol/resources';
import * as z from '../zod';
import { ApiError, type ApiRequest, allPages, createApiClient } from './api-client';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const alice = {
  userId: 'alice-1',
  username: 'alice',
  email: 'alice@example.com',
  accessToken: 'alice-token',
};
const aliceMe: Me = {
  userId: alice.userId,
  username: alice.username,
  displayName: 'Alice',
  email: alice.email,
  createdAt: '2025-01-01T00:00:00.000Z',
};

/** A stand-in for the HTTP API on a real socket: records each request, answers with `next`. */
describe('the API client', () => {
  let server: Server;
  let baseUrl: string;
  let received: Received[];
  let next: Answer;

  const api = () => createApiClient({ baseUrl, accessToken: async () => alice.accessToken });
  const last = () => {
    const request = received.at(-1);
    if (!request) throw new Error('The server received nothing');
    return request;
  };

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        response.writeHead(next.status, next.headers).end(next.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // A stage path and a trailing slash, as deployed URLs may have.
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stage/`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  });

  beforeEach(() => {
    received = [];
    next = { status: 204 };
  });

  it('sends the access token as a bearer header and returns the validated profile', async () => {
    next = json(200, { ...aliceMe, displayName: '  Alice  ' });

    const me = await api().getMe();

    expect(last()).toMatchObject({ method: 'GET', url: '/stage/me' });
    expect(last().headers.authorization).toBe('Bearer alice-token');
    // The schema trims display names: the client returns what it parsed, not the raw body.
    expect(me).toEqual(aliceMe);
  });

  it('sends no token to the public API description', async () => {
    next = json(200, { openapi: '3.1.0' });

    await expect(api().getApiDescription()).resolves.toEqual({ openapi: '3.1.0' });
    expect(last().headers.authorization).toBeUndefined();
  });

  it('encodes path parameters', async () => {
    next = json(200, { userId: 'bob', username: 'bob', displayName: 'Bob' });

    await api().getUser({ params: { userId: 'bob/../me x' } });

    expect(last().url).toBe('/stage/users/bob%2F..%2Fme%20x');
  });

  it('serializes the query, leaving out undefined values and joining arrays with commas', async () => {
    // A history page carries every member's receipt marks beside its items.
    next = json(200, { items: [], receipts: [] });

    await api().listMessages({
      params: { conversationId: 'c1' },
      query: { after: 41, cursor: undefined, limit: 10 },
    });
    expect(last().url).toBe('/stage/conversations/c1/messages?after=41&limit=10');

    // The presence query is a comma-separated string on the wire; an array is joined the same way.
    await api().getPresence({ query: { userIds: ['bob', 'carol'] as unknown as string } });
    expect(last().url).toBe('/stage/presence?userIds=bob,carol');

    await api().listConversations();
    expect(last().url).toBe('/stage/conversations');
  });

  it('sends the body as JSON', async () => {
    const ack = { conversationId: 'c1', messageId: 'm1', seq: 7, sentAt: '2025-01-01T00:00:00.000Z' };
    next = json(201, ack);

    const result = await api().postMessage({
      params: { conversationId: 'c1' },
      body: { messageId: 'm1', body: 'aGk=' },
    });

    expect(last().method).toBe('POST');
    expect(last().headers['content-type']).toBe('application/json');
    expect(JSON.parse(last().body)).toEqual({ messageId: 'm1', body: 'aGk=' });
    expect(result).toEqual(ack);
  });

  it('resolves with undefined on 204', async () => {
    next = { status: 204 };

    await expect(api().removeFriend({ params: { userId: 'bob' } })).resolves.toBeUndefined();
    expect(last()).toMatchObject({ method: 'DELETE', url: '/stage/friends/bob' });
  });

  it('rejects a success body that breaks the route schema with an INTERNAL ApiError caused by the zod error', async () => {
    next = json(200, { ...aliceMe, userId: 42 }, { 'apigw-requestid': 'gw-1' });

    const error = await api()
      .getMe()
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 200, code: ErrorCode.Internal, requestId: 'gw-1' });
    expect((error as ApiError).detail).toContain('userId');
    expect((error as ApiError).cause).toBeInstanceOf(z.core.$ZodError);
  });

  it('turns a problem+json answer into an ApiError with its code, status, detail and request id', async () => {
    const body = problem({
      status: 403,
      code: ErrorCode.Forbidden,
      title: 'Forbidden',
      detail: 'Not a member',
      requestId: 'req-1',
    });
    next = { status: 403, headers: { 'content-type': PROBLEM_CONTENT_TYPE }, body: JSON.stringify(body) };

    const call = api().getConversation({ params: { conversationId: 'c1' } });

    await expect(call).rejects.toThrow(ApiError);
    await expect(call).rejects.toMatchObject({
      status: 403,
      code: ErrorCode.Forbidden,
      detail: 'Not a member',
      requestId: 'req-1',
      retryAfterSeconds: undefined,
    });
  });

  it('reads Retry-After on 429', async () => {
    const body = problem({
      status: 429,
      code: ErrorCode.RateLimited,
      title: 'Too many requests',
      detail: 'Slow down',
      requestId: 'req-2',
    });
    next = {
      status: 429,
      headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'retry-after': '7' },
      body: JSON.stringify(body),
    };

    await expect(api().getMe()).rejects.toMatchObject({ code: ErrorCode.RateLimited, retryAfterSeconds: 7 });
  });

  it('reads Retry-After on 409 SEND_IN_PROGRESS', async () => {
    const body = problem({
      status: 409,
      code: ErrorCode.SendInProgress,
      title: 'Send in progress',
      detail: 'Retry shortly',
      requestId: 'req-3',
    });
    next = {
      status: 409,
      headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'retry-after': '1' },
      body: JSON.stringify(body),
    };

    await expect(api().getMe()).rejects.toMatchObject({
      code: ErrorCode.SendInProgress,
      retryAfterSeconds: 1,
    });
  });

  it("names a gateway's bare 401 UNAUTHORIZED, and any other bare failure INTERNAL", async () => {
    next = json(401, { message: 'Unauthorized' }, { 'apigw-requestid': 'gw-2' });
    await expect(api().getMe()).rejects.toMatchObject({
      status: 401,
      code: ErrorCode.Unauthorized,
      detail: 'Unauthorized',
      requestId: 'gw-2',
    });

    next = { status: 502, headers: { 'content-type': 'text/html' }, body: '<h1>Bad gateway</h1>' };
    await expect(api().getMe()).rejects.toMatchObject({ status: 502, code: ErrorCode.Internal });
  });

  it('types each method from its route', async () => {
    const client = api();
    expectTypeOf(client.getMe).returns.resolves.toEqualTypeOf<Me>();
    expectTypeOf(client.removeFriend).returns.resolves.toBeUndefined();
    expectTypeOf<ApiRequest<Routes['getUser']>>().toEqualTypeOf<{ readonly params: { userId: string } }>();
    expectTypeOf(client.getUser).parameter(0).not.toBeUndefined();
    expectTypeOf(client.listConversations).parameter(0).toBeNullable();
    // @ts-expect-error: a route with path parameters needs them
    await expect(client.getUser()).rejects.toThrow(TypeError);
    expect(received).toEqual([]);
  });
});

describe('allPages', () => {
  it('follows `next` until the last page and keeps the order', async () => {
    const pages: Record<string, { items: number[]; next?: string }> = {
      first: { items: [1, 2], next: 'b' },
      b: { items: [3], next: 'c' },
      c: { items: [4, 5] },
    };
    const asked: Array<string | undefined> = [];
    const items = await allPages(async (cursor) => {
      asked.push(cursor);
      return pages[cursor ?? 'first'] as { items: number[]; next?: string };
    });
    expect(items).toEqual([1, 2, 3, 4, 5]);
    expect(asked).toEqual([undefined, 'b', 'c']);
  });
});
