import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_FRAME_SIZE_IN_BYTES } from '../../shared/protocol/limits';
import { type Persona, signUp } from '../support/personas';
import { connect } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually, tableReader } from '../support/table';

function management(stack: TestStack) {
  return new ApiGatewayManagementApiClient({
    endpoint: stack.outputs['Parley-local-Realtime']?.ConnectionsEndpoint as string,
    region: stack.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** The local gateway is as strict as API Gateway, so code that works here works there. */
describe('the WebSocket gateway', () => {
  let stack: TestStack;
  let frank: Persona;
  let client: ApiGatewayManagementApiClient;

  beforeAll(async () => {
    stack = await startTestStack();
    frank = await signUp(stack, 'frank');
    client = management(stack);
  });

  afterAll(async () => {
    client?.destroy();
    await stack?.stop();
  });

  it('answers a post to an unknown connection with 410 GoneException, as the SDK expects', async () => {
    const post = client.send(
      new PostToConnectionCommand({ ConnectionId: 'nobody-here=', Data: Buffer.from('{}') }),
    );
    await expect(post).rejects.toBeInstanceOf(GoneException);
    await expect(post).rejects.toMatchObject({ $metadata: { httpStatusCode: 410 } });
  });

  it('posts to, describes and deletes a live connection through @connections', async () => {
    const socket = await connect(stack.endpoints.webSocketUrl, frank.accessToken);
    const [connectionId] = stack.webSocket.connectionIds();
    await client.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"type":"x"}') }),
    );
    await socket.waitFor((frame) => (frame as { type?: string }).type === 'x');
    const info = await client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');
    await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await socket.closed();
    await expect(
      client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{}') })),
    ).rejects.toBeInstanceOf(GoneException);
  });

  it('serves @connections only to requests signed with Signature Version 4, as AWS does', async () => {
    const socket = await connect(stack.endpoints.webSocketUrl, frank.accessToken);
    const connectionId = stack.webSocket.connectionIds().at(-1) as string;
    const url = `${stack.outputs['Parley-local-Realtime']?.ConnectionsEndpoint as string}/@connections/${encodeURIComponent(connectionId)}`;
    const unsigned = await fetch(url, { method: 'POST', body: '{"type":"unsigned"}' });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    const forged = await fetch(url, {
      method: 'POST',
      body: '{"type":"forged"}',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=x', 'x-amz-date': '20260101T000000Z' },
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('x-amzn-errortype')).toBe('IncompleteSignatureException');
    const elsewhere = new ApiGatewayManagementApiClient({
      endpoint: stack.outputs['Parley-local-Realtime']?.ConnectionsEndpoint as string,
      region: 'eu-north-1' === stack.region ? 'us-east-1' : 'eu-north-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await expect(
      elsewhere.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"type":"x"}') }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    elsewhere.destroy();
    // Signed by the SDK, any key will do: the push arrives, and only it.
    await client.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"type":"signed"}') }),
    );
    expect(await socket.waitFor((frame) => (frame as { type?: string }).type === 'signed')).toMatchObject({
      type: 'signed',
    });
    expect(socket.frames.map((frame) => (frame as { type?: string }).type)).toEqual(['signed']);
    await socket.close();
  });

  it('disconnects a client that stops reading once its send buffer is full, and answers 410 from then on', async () => {
    const before = stack.webSocket.connectionIds();
    const reader = await connect(stack.endpoints.webSocketUrl, frank.accessToken);
    const connectionId = stack.webSocket.connectionIds().find((id) => !before.includes(id)) as string;
    // The client stops reading: what the gateway sends piles up in the TCP buffers, then in the gateway.
    (reader.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const chunk = Buffer.from(JSON.stringify({ type: 'x', pad: 'p'.repeat(100 * 1024) }));
    let posts = 0;
    let refusal: unknown;
    // Far more than the operating system buffers on loopback and the gateway's bound together.
    while (posts < 400 && refusal === undefined) {
      try {
        await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: chunk }));
        posts += 1;
      } catch (error) {
        refusal = error;
      }
    }
    expect(refusal).toBeInstanceOf(GoneException);
    expect(posts).toBeGreaterThan(0);
    expect(stack.webSocket.connectionIds()).not.toContain(connectionId);
    await expect(
      client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{}') })),
    ).rejects.toBeInstanceOf(GoneException);
    reader.ws.terminate();
  });

  it("sends API Gateway's own frame, with its own request id, when a function dies without answering", async () => {
    const socket = await connect(stack.endpoints.webSocketUrl, frank.accessToken);
    stack.faults.terminateNextInvocation('wsDefault');
    socket.send({ action: 'dance', requestId: 'mine-1' });
    const frame = await socket.waitFor<Record<string, unknown>>(
      (candidate) => (candidate as { message?: string }).message === 'Internal server error',
    );
    expect(Object.keys(frame).sort()).toEqual(['connectionId', 'message', 'requestId']);
    expect(frame.requestId).toEqual(expect.any(String));
    expect(frame.requestId).not.toBe('mine-1');
    // A failure the function catches is its own answer, carrying the client's requestId.
    socket.send({ action: 'dance', requestId: 'mine-2' });
    expect(await socket.next('error')).toMatchObject({ code: 'UNKNOWN_ACTION', requestId: 'mine-2' });
    await socket.close();
  });

  it('closes a connection that sends a frame over 32 KB with 1009', async () => {
    const socket = await connect(stack.endpoints.webSocketUrl, frank.accessToken);
    socket.sendRaw('x'.repeat(MAX_FRAME_SIZE_IN_BYTES + 1));
    expect((await socket.closed()).code).toBe(1009);
  });

  it('accepts a 60 KB message split into frames of 30 KB, and routes it', async () => {
    const socket = await connect(stack.endpoints.webSocketUrl, frank.accessToken);
    const text = JSON.stringify({ action: 'dance', requestId: 'big', pad: 'y'.repeat(60 * 1024) });
    const half = Math.ceil(text.length / 2);
    socket.ws.send(text.slice(0, half), { fin: false });
    socket.ws.send(text.slice(half), { fin: true });
    expect(await socket.next('error')).toMatchObject({ code: 'UNKNOWN_ACTION', requestId: 'big' });
    await socket.close();
  });

  it('closes a connection whose message exceeds 128 KB with 1009', async () => {
    const socket = await connect(stack.endpoints.webSocketUrl, frank.accessToken);
    const chunk = 'z'.repeat(30 * 1024);
    for (let i = 0; i < 4; i += 1) socket.ws.send(chunk, { fin: false });
    socket.ws.send(chunk, { fin: true });
    expect((await socket.closed()).code).toBe(1009);
  });

  it('answers a frame that is not JSON through $default, and ignores an action that is not a string', async () => {
    const socket = await connect(stack.endpoints.webSocketUrl, frank.accessToken);
    socket.sendRaw('hello');
    expect(await socket.next('error')).toMatchObject({ code: 'INVALID_JSON' });
    socket.sendRaw('{"action":{"send":1}}');
    expect(await socket.next('error')).toMatchObject({ code: 'VALIDATION_FAILED' });
    await socket.close();
  });

  it('refuses a plain HTTP request on the WebSocket port for anything but @connections', async () => {
    const response = await fetch(stack.endpoints.webSocketUrl.replace('ws://', 'http://'));
    expect(response.status).toBe(404);
  });

  it('does not offer a sub-protocol the client did not ask for', async () => {
    const ws = new WebSocket(`${stack.endpoints.webSocketUrl}?token=${frank.accessToken}`, ['other']);
    const outcome = await new Promise<string>((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('error', (error) => resolve(error.message));
    });
    expect(outcome).toMatch(/Server sent no subprotocol/);
    ws.terminate();
  });
});

describe('connection lifetime', () => {
  let stack: TestStack;
  let grace: Persona;

  beforeAll(async () => {
    stack = await startTestStack({ idleTimeoutMs: 600, maxConnectionMs: 1500 });
    grace = await signUp(stack, 'grace');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('closes an idle connection with 1001 and runs $disconnect', async () => {
    const table = tableReader(stack);
    const socket = await connect(stack.endpoints.webSocketUrl, grace.accessToken);
    expect(await table.connections(grace.userId)).toHaveLength(1);
    expect((await socket.closed()).code).toBe(1001);
    await eventually(async () => ((await table.connections(grace.userId)).length === 0 ? true : undefined));
    table.destroy();
  });

  it('closes a busy connection at the maximum connection time', async () => {
    const socket = await connect(stack.endpoints.webSocketUrl, grace.accessToken);
    const opened = Date.now();
    const keepBusy = setInterval(() => socket.sendRaw('{"action":"ping"}'), 200);
    const closed = await socket.closed();
    clearInterval(keepBusy);
    expect(closed.code).toBe(1001);
    // It outlived the idle timeout because it was busy, and was cut at the cap.
    expect(Date.now() - opened).toBeGreaterThanOrEqual(1400);
  });
});
