import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_SIZE_IN_BYTES } from '../../shared/protocol/limits';
import { ErrorFrameSchema } from '../../shared/protocol/outbound';
import { befriend } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually, tableReader } from '../support/table';

/**
 * Every malformed or forbidden frame gets an error frame with a stable code,
 * the connection stays open, and nothing stored changes.
 */
describe('bad input on the WebSocket', () => {
  let stack: TestStack;
  let table: ReturnType<typeof tableReader>;
  let dave: Persona;
  let erin: Persona;
  let mallory: Persona;
  let daveSocket: TestSocket;
  let mallorySocket: TestSocket;
  let conversationId: string;

  /** Every item of the conversation, to prove a refused request changed nothing. */
  const snapshot = async () => JSON.stringify(await table.query(`CONV#${conversationId}`));

  /**
   * The snapshot once the last accepted send has been fanned out: delivery moves the
   * sender's read mark to their own message, after the ack.
   */
  const settled = async () => {
    await eventually(async () => {
      const head = await table.get(`CONV#${conversationId}`, 'HEAD');
      const sender = await table.get(`CONV#${conversationId}`, `MEMBER#${dave.userId}`);
      return head && sender && sender.read === head.seq ? true : undefined;
    });
    return snapshot();
  };

  beforeAll(async () => {
    stack = await startTestStack();
    table = tableReader(stack);
    [dave, erin, mallory] = await Promise.all([
      signUp(stack, 'dave'),
      signUp(stack, 'erin'),
      signUp(stack, 'mallory'),
    ]);
    daveSocket = await connect(stack.endpoints.webSocketUrl, dave.accessToken);
    mallorySocket = await connect(stack.endpoints.webSocketUrl, mallory.accessToken);
    await befriend(stack, dave, erin);
    daveSocket.send({ action: 'send', recipientId: erin.userId, messageId: 'first', body: 'c2VlZA==' });
    conversationId = (await daveSocket.next('ack')).conversationId;
  });

  afterAll(async () => {
    await Promise.all([daveSocket?.close(), mallorySocket?.close()]);
    table?.destroy();
    await stack?.stop();
  });

  const cases: Array<{ name: string; frame: () => string; code: string; requestId?: string }> = [
    { name: 'invalid JSON', frame: () => '{"action": "send", ', code: 'INVALID_JSON' },
    { name: 'a JSON value that is not an object', frame: () => '42', code: 'VALIDATION_FAILED' },
    {
      name: 'a frame without action',
      frame: () => '{"requestId":"q-1"}',
      code: 'VALIDATION_FAILED',
      requestId: 'q-1',
    },
    {
      name: 'an unknown action',
      frame: () => '{"action":"dance","requestId":"q-2"}',
      code: 'UNKNOWN_ACTION',
      requestId: 'q-2',
    },
    { name: 'a $-route name as action', frame: () => '{"action":"$connect"}', code: 'UNKNOWN_ACTION' },
    {
      name: 'a send without body',
      frame: () => JSON.stringify({ action: 'send', requestId: 'q-3', conversationId, messageId: 'x1' }),
      code: 'VALIDATION_FAILED',
      requestId: 'q-3',
    },
    {
      name: 'a send without messageId',
      frame: () => JSON.stringify({ action: 'send', conversationId, body: 'aGk=' }),
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a body of the wrong type',
      frame: () => JSON.stringify({ action: 'send', conversationId, messageId: 'x2', body: 42 }),
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a body that is not base64',
      frame: () => JSON.stringify({ action: 'send', conversationId, messageId: 'x3', body: 'not base64!' }),
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'both conversationId and recipientId',
      frame: () =>
        JSON.stringify({
          action: 'send',
          conversationId,
          recipientId: erin.userId,
          messageId: 'x4',
          body: 'aGk=',
        }),
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a messageId with separators',
      frame: () => JSON.stringify({ action: 'send', conversationId, messageId: 'a#b', body: 'aGk=' }),
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an oversized body',
      frame: () =>
        JSON.stringify({
          action: 'send',
          requestId: 'q-4',
          conversationId,
          messageId: 'x5',
          body: Buffer.alloc(MAX_BODY_SIZE_IN_BYTES + 1, 7).toString('base64'),
        }),
      code: 'PAYLOAD_TOO_LARGE',
      requestId: 'q-4',
    },
    {
      name: 'a message to oneself',
      frame: () =>
        JSON.stringify({ action: 'send', recipientId: dave.userId, messageId: 'x6', body: 'aGk=' }),
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a message to a user who does not exist (nobody is a friend of a stranger)',
      frame: () =>
        JSON.stringify({
          action: 'send',
          recipientId: '00000000-0000-0000-0000-000000000000',
          messageId: 'x7',
          body: 'aGk=',
        }),
      code: 'FORBIDDEN',
    },
    {
      name: 'a conversation that does not exist',
      frame: () =>
        JSON.stringify({ action: 'send', conversationId: 'd_nope', messageId: 'x8', body: 'aGk=' }),
      code: 'FORBIDDEN',
    },
  ];

  for (const testCase of cases) {
    it(`answers ${testCase.name} with ${testCase.code}, keeps the connection and changes nothing`, async () => {
      const before = await settled();
      const since = daveSocket.frames.length;
      daveSocket.sendRaw(testCase.frame());
      const error = await daveSocket.waitFor((f) => (f as { type?: string }).type === 'error', { since });
      expect(ErrorFrameSchema.parse(error)).toMatchObject({ code: testCase.code });
      expect((error as { message: string }).message.length).toBeGreaterThan(0);
      if (testCase.requestId) expect(error).toMatchObject({ requestId: testCase.requestId });
      else expect((error as { requestId: string }).requestId.length).toBeGreaterThan(0);
      expect(await snapshot()).toBe(before);
      // Still open and working.
      daveSocket.send({ action: 'send', conversationId, messageId: `ok-${since}`, body: 'b2s=' });
      const ack = await daveSocket.waitFor<{ seq: number }>((f) => (f as { type?: string }).type === 'ack', {
        since,
      });
      expect(ack.seq).toBeGreaterThan(1);
    });
  }

  it('refuses another user posting into a conversation they are not in, and stores nothing', async () => {
    const before = await settled();
    mallorySocket.send({
      action: 'send',
      requestId: 'm-1',
      conversationId,
      messageId: 'intrude',
      body: 'aGk=',
    });
    const error = await mallorySocket.next('error');
    expect(error).toMatchObject({ code: 'FORBIDDEN', requestId: 'm-1' });
    expect(await snapshot()).toBe(before);
  });

  it('refuses a binary frame through $default with a clear error', async () => {
    const since = daveSocket.frames.length;
    daveSocket.sendRaw(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    const error = await daveSocket.waitFor((f) => (f as { type?: string }).type === 'error', { since });
    expect(error).toMatchObject({ code: 'INVALID_JSON' });
  });

  it('returns the first result for a retried messageId and stores one message', async () => {
    const reply = (requestId: string) =>
      daveSocket.waitFor<{ seq: number; sentAt: string }>(
        (f) => (f as { requestId?: string }).requestId === requestId,
      );
    daveSocket.send({
      action: 'send',
      requestId: 'r-a',
      conversationId,
      messageId: 'retry-me',
      body: 'b25jZQ==',
    });
    const first = await reply('r-a');
    daveSocket.send({
      action: 'send',
      requestId: 'r-b',
      conversationId,
      messageId: 'retry-me',
      body: 'b25jZQ==',
    });
    const second = await reply('r-b');
    expect(second).toMatchObject({ requestId: 'r-b', seq: first.seq, sentAt: first.sentAt });
    const copies = (await table.query(`CONV#${conversationId}`, 'MSG#')).filter(
      (m) => m.messageId === 'retry-me',
    );
    expect(copies).toHaveLength(1);
  });

  it('keeps seq gap-free and unique under concurrent senders', async () => {
    const erinSocket = await connect(stack.endpoints.webSocketUrl, erin.accessToken);
    const count = 20;
    for (let i = 0; i < count; i += 1) {
      daveSocket.send({ action: 'send', conversationId, messageId: `burst-d-${i}`, body: 'ZA==' });
      erinSocket.send({ action: 'send', conversationId, messageId: `burst-e-${i}`, body: 'ZQ==' });
    }
    await Promise.all([
      daveSocket.waitFor(
        () =>
          daveSocket.frames.filter(
            (f) =>
              String((f as { messageId?: string }).messageId).startsWith('burst-d') &&
              (f as { type: string }).type === 'ack',
          ).length === count,
      ),
      erinSocket.waitFor(
        () => erinSocket.frames.filter((f) => (f as { type: string }).type === 'ack').length === count,
      ),
    ]);
    const seqs = (await table.query(`CONV#${conversationId}`, 'MSG#')).map((m) => Number(m.seq));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    await erinSocket.close();
  });
});
