import { randomBytes } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../infra/local/listen';
import { sendFrame } from '../../shared/protocol/inbound';
import { befriend } from '../support/api';
import { deadLetterReader } from '../support/dead-letters';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually, tableReader } from '../support/table';

/** The vertical slice: sign-up to delivery, through the deployed handler code on the local stack. */
describe('a message from Alice reaches Bob', () => {
  let stack: TestStack;
  let table: ReturnType<typeof tableReader>;
  let alice: Persona;
  let bob: Persona;
  let alicePhone: TestSocket;
  let aliceLaptop: TestSocket;
  let bobPhone: TestSocket;

  beforeAll(async () => {
    stack = await startTestStack();
    table = tableReader(stack);
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    await befriend(stack, alice, bob);
    alicePhone = await connect(stack.endpoints.webSocketUrl, alice.accessToken);
    aliceLaptop = await connect(stack.endpoints.webSocketUrl, alice.accessToken, { via: 'protocol' });
    bobPhone = await connect(stack.endpoints.webSocketUrl, bob.accessToken, { via: 'protocol' });
  });

  afterAll(async () => {
    await Promise.all([alicePhone?.close(), aliceLaptop?.close(), bobPhone?.close()]);
    table?.destroy();
    await stack?.stop();
  });

  it('echoes the parley sub-protocol to a browser-style client that sent its token beside it', () => {
    expect(bobPhone.protocol).toBe('parley');
    expect(alicePhone.protocol).toBe('');
  });

  it('stores each open connection under its user, expiring after the longest life a connection has', async () => {
    const connections = await table.connections(alice.userId);
    expect(connections).toHaveLength(2);
    const now = Date.now();
    for (const connection of connections) {
      expect(connection.expiresAt).toBeGreaterThan(now + 2 * 60 * 60 * 1000);
      expect(connection.expiresAt).toBeLessThan(now + 3 * 60 * 60 * 1000);
    }
  });

  it('acknowledges the sender with seq 1 and delivers the opaque body to Bob and to Alice’s other device', async () => {
    const body = randomBytes(600).toString('base64');
    alicePhone.send(sendFrame({ requestId: 'r-1', recipientId: bob.userId, messageId: 'm-1', body }));

    const ack = await alicePhone.next('ack');
    expect(ack).toMatchObject({ requestId: 'r-1', messageId: 'm-1', seq: 1 });
    expect(Date.parse(ack.sentAt)).toBeGreaterThan(Date.now() - 60_000);

    const atBob = await bobPhone.next('message');
    expect(atBob).toEqual({
      type: 'message',
      conversationId: ack.conversationId,
      seq: 1,
      messageId: 'm-1',
      senderId: alice.userId,
      sentAt: ack.sentAt,
      kind: 'message',
      body,
    });
    const atLaptop = await aliceLaptop.next('message');
    expect(atLaptop).toEqual(atBob);
    // The sending connection has its ack; it gets no copy.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(alicePhone.frames.filter((f) => (f as { type: string }).type === 'message')).toHaveLength(0);
  });

  it('stores the message with its seq, server timestamp and the body as opaque bytes', async () => {
    const body = randomBytes(64);
    alicePhone.send(sendFrame({ recipientId: bob.userId, messageId: 'm-2', body: body.toString('base64') }));
    const ack = await alicePhone.next('ack');
    expect(ack.seq).toBe(2);
    const item = await table.get(`CONV#${ack.conversationId}`, 'MSG#000000000002');
    expect(item).toMatchObject({
      seq: 2,
      messageId: 'm-2',
      senderId: alice.userId,
      sentAt: Date.parse(ack.sentAt),
    });
    expect(Buffer.from(item?.body as Uint8Array).equals(body)).toBe(true);
    const members = await table.query(`CONV#${ack.conversationId}`, 'MEMBER#');
    expect(members.map((m) => m.userId).sort()).toEqual([alice.userId, bob.userId].sort());
    await Promise.all([bobPhone.next('message'), aliceLaptop.next('message')]);
  });

  it('lets Bob answer in the same conversation by its id, continuing the sequence', async () => {
    const first = alicePhone.frames.find((f) => (f as { type: string }).type === 'ack') as {
      conversationId: string;
    };
    bobPhone.send(sendFrame({ conversationId: first.conversationId, messageId: 'b-1', body: 'aGk=' }));
    const ack = await bobPhone.next('ack');
    expect(ack.seq).toBe(3);
    const [atPhone, atLaptop] = await Promise.all([alicePhone.next('message'), aliceLaptop.next('message')]);
    expect(atPhone).toMatchObject({ seq: 3, senderId: bob.userId, body: 'aGk=' });
    expect(atLaptop).toMatchObject({ seq: 3, senderId: bob.userId });
  });

  it('deletes a connection that is gone (410) by its own id and still delivers to the live ones', async () => {
    const staleId = 'stale-connection=';
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: `USER#${bob.userId}`, sk: 'PRESENCE' },
        UpdateExpression: 'SET connections.#id = :connection',
        ExpressionAttributeNames: { '#id': staleId },
        ExpressionAttributeValues: {
          // Opened a minute ago: past the grace a connection still completing its handshake gets.
          ':connection': { connectedAt: Date.now() - 60_000, expiresAt: Date.now() + 3_600_000 },
        },
      }),
    );
    alicePhone.send(sendFrame({ recipientId: bob.userId, messageId: 'm-3', body: 'AAEC' }));
    await alicePhone.next('ack');
    expect(await bobPhone.next('message')).toMatchObject({ messageId: 'm-3' });
    await eventually(async () =>
      (await table.connections(bob.userId)).some((c) => c.connectionId === staleId) ? undefined : true,
    );
    const remaining = await table.connections(bob.userId);
    expect(remaining).toHaveLength(1);
    expect(stack.webSocket.connectionIds()).toContain(remaining[0]?.connectionId);
  });

  it('removes the connection on $disconnect', async () => {
    const before = await table.connections(alice.userId);
    expect(before).toHaveLength(2);
    await aliceLaptop.close();
    const after = await eventually(async () => {
      const items = await table.connections(alice.userId);
      return items.length === 1 ? items : undefined;
    });
    expect(after).toHaveLength(1);
  });

  it('serves GET /me to the signed-in user over the HTTP API', async () => {
    const response = await fetch(`${stack.endpoints.httpApiUrl}/me`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      userId: alice.userId,
      email: alice.email.toLowerCase(),
      username: alice.username,
      displayName: expect.any(String),
      createdAt: expect.any(String),
    });
  });

  it('parks the malformed job of a fan-out batch without its body and delivers the rest', async () => {
    const record = (messageId: string, body: string) => ({
      messageId,
      receiptHandle: messageId,
      body,
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      eventSource: 'aws:sqs',
    });
    const result = await stack.invoke('fanoutSender', {
      Records: [
        record('bad', '{"conversationId": 42}'),
        record(
          'good',
          // A message never stored (taken long ago, never placed): delivered as nothing.
          JSON.stringify({
            kind: 'message',
            conversationId: 'd_empty',
            seq: 1,
            takenAt: 0,
            correlationId: 'c-1',
          }),
        ),
      ],
    });
    // No retry could ever read it: it is parked at once, as a note, and the batch reports no failure.
    expect(result).toEqual({ batchItemFailures: [] });
    const sqs = new SQSClient({
      endpoint: stack.resources.sqsEndpoint,
      region: stack.region,
      credentials: LOCAL_CREDENTIALS,
    });
    const deadLetters = deadLetterReader(sqs, stack.resources.queues.fanout.deadLetterUrl);
    const parked = await eventually(async () =>
      (await deadLetters.read()).find((letter) => letter.attributes.failedMessageId === 'bad'),
    );
    expect(JSON.parse(parked.body)).toMatchObject({ messageId: 'bad', receiveCount: 1 });
    expect(parked.body).not.toContain('{"conversationId": 42}');
    expect(deadLetters.all.filter((letter) => letter.attributes.failedMessageId === 'good')).toEqual([]);
    sqs.destroy();
  });

  it('logs no token, body or password', () => {
    const everything = stack.logs.map((l) => l.line).join('\n');
    expect(stack.logs.length).toBeGreaterThan(10);
    for (const secret of [alice.accessToken, bob.accessToken, alice.password, 'aGk=', 'AAEC']) {
      expect(everything).not.toContain(secret);
    }
    expect(stack.errors).toEqual([]);
  });
});
