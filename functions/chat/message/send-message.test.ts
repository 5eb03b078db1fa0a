import { beforeEach, describe, expect, it } from 'vitest';
import { ConversationIdSchema } from '../../../shared/protocol/ids';
import { MAX_BODY_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import { InMemoryMessageLog } from '../../adapters/memory/memory-message-log';
import { InMemoryUserRegistry } from '../../adapters/memory/memory-user-registry';
import { ForbiddenError, NotFoundError, PayloadTooLargeError, ValidationError } from '../../errors';
import { directConversationId } from '../conversation/direct-conversation';
import { type SendMessageCommand, sendMessage } from './send-message';

const alice = 'alice';
const bob = 'bob';
const carol = 'carol';
const T0 = Date.parse('2025-03-01T12:00:00.000Z');

const base64 = (text: string) => Buffer.from(text).toString('base64');
/** Base64 of exactly `size` bytes. */
const bodyOfSize = (size: number) => Buffer.alloc(size, 7).toString('base64');

describe('sendMessage', () => {
  let conversations: InMemoryConversationStore;
  let users: InMemoryUserRegistry;
  let messages: InMemoryMessageLog;
  let fanout: InMemoryFanoutQueue;
  let now: number;
  let send: ReturnType<typeof sendMessage>;

  beforeEach(async () => {
    conversations = new InMemoryConversationStore();
    users = new InMemoryUserRegistry();
    messages = new InMemoryMessageLog();
    fanout = new InMemoryFanoutQueue();
    now = T0;
    send = sendMessage({ conversations, users, messages, fanout, clock: () => now });
    for (const user of [alice, bob, carol]) await users.touch(user, T0 - 60_000);
  });

  const aliceToBob = (fields: Partial<SendMessageCommand> = {}): SendMessageCommand => ({
    senderId: alice,
    connectionId: 'alice-phone',
    correlationId: 'req-1',
    recipientId: bob,
    messageId: 'm1',
    body: base64('hello bob'),
    ...fields,
  });

  it('stores messages with seq 1, 2, 3 in the order they are sent', async () => {
    const acks = [];
    for (const messageId of ['m1', 'm2', 'm3']) acks.push(await send(aliceToBob({ messageId })));

    expect(acks.map((ack) => ack.seq)).toEqual([1, 2, 3]);
    const conversationId = directConversationId(alice, bob);
    expect(messages.list(conversationId).map((m) => [m.seq, m.messageId])).toEqual([
      [1, 'm1'],
      [2, 'm2'],
      [3, 'm3'],
    ]);
    expect(Buffer.from(messages.list(conversationId)[0]?.body ?? []).toString()).toBe('hello bob');
  });

  it("acks with the client's requestId, the conversation, the seq and the server's time in ISO 8601", async () => {
    const ack = await send(aliceToBob({ requestId: 'r-42' }));

    expect(ack).toEqual({
      type: 'ack',
      requestId: 'r-42',
      conversationId: directConversationId(alice, bob),
      messageId: 'm1',
      seq: 1,
      sentAt: '2025-03-01T12:00:00.000Z',
    });
  });

  it('leaves requestId out of the ack when the client sent none', async () => {
    const ack = await send(aliceToBob());

    expect(ack).not.toHaveProperty('requestId');
  });

  it('creates the direct conversation on the first message to a recipient, with both as members', async () => {
    expect(conversations.size).toBe(0);

    const ack = await send(aliceToBob());

    expect(ConversationIdSchema.safeParse(ack.conversationId).success).toBe(true);
    expect(await conversations.listMemberIds(ack.conversationId)).toEqual([alice, bob]);
    expect(conversations.get(ack.conversationId)).toMatchObject({ kind: 'direct', createdAt: T0 });
  });

  it('reaches the same conversation whoever writes first', async () => {
    const fromAlice = await send(aliceToBob());
    const fromBob = await send({
      senderId: bob,
      correlationId: 'req-2',
      recipientId: alice,
      messageId: 'm1',
      body: base64('hi alice'),
    });

    expect(fromBob.conversationId).toBe(fromAlice.conversationId);
    expect(fromBob.seq).toBe(2);
    expect(conversations.size).toBe(1);
  });

  it('lets a member post by conversationId once the conversation exists', async () => {
    const { conversationId } = await send(aliceToBob());

    const ack = await send({
      senderId: bob,
      correlationId: 'req-2',
      conversationId,
      messageId: 'b1',
      body: base64('reply'),
    });

    expect(ack).toMatchObject({ conversationId, seq: 2 });
  });

  it('refuses a message to oneself', async () => {
    await expect(send(aliceToBob({ recipientId: alice }))).rejects.toThrow(ValidationError);

    expect(conversations.size).toBe(0);
    expect(fanout.jobs).toHaveLength(0);
  });

  it('refuses a message to a user Parley has never seen', async () => {
    await expect(send(aliceToBob({ recipientId: 'nobody' }))).rejects.toThrow(NotFoundError);

    expect(conversations.size).toBe(0);
    expect(fanout.jobs).toHaveLength(0);
  });

  it('refuses a non-member posting to a conversation by its id, storing nothing', async () => {
    const { conversationId } = await send(aliceToBob());

    const intrusion = send({
      senderId: carol,
      correlationId: 'req-3',
      conversationId,
      messageId: 'c1',
      body: base64('let me in'),
    });

    await expect(intrusion).rejects.toThrow(ForbiddenError);
    expect(messages.list(conversationId)).toHaveLength(1);
    expect(fanout.jobs).toHaveLength(1);
  });

  it('answers a nonexistent conversation exactly like one the sender is not in', async () => {
    const { conversationId } = await send(aliceToBob());
    const post = (id: string) =>
      send({ senderId: carol, correlationId: 'r', conversationId: id, messageId: 'c1', body: base64('x') });

    const notMine = await post(conversationId).catch((error: unknown) => error);
    const missing = await post('d_doesnotexist').catch((error: unknown) => error);

    expect(notMine).toBeInstanceOf(ForbiddenError);
    expect(missing).toBeInstanceOf(ForbiddenError);
    expect((missing as Error).message).toBe((notMine as Error).message);
    expect(messages.list('d_doesnotexist')).toHaveLength(0);
  });

  it('refuses a body over MAX_BODY_SIZE_IN_BYTES before storing, creating or enqueuing anything', async () => {
    const tooBig = aliceToBob({ body: bodyOfSize(MAX_BODY_SIZE_IN_BYTES + 1) });

    await expect(send(tooBig)).rejects.toThrow(PayloadTooLargeError);

    expect(conversations.size).toBe(0);
    expect(messages.list(directConversationId(alice, bob))).toHaveLength(0);
    expect(fanout.jobs).toHaveLength(0);
  });

  it('accepts a body of exactly MAX_BODY_SIZE_IN_BYTES', async () => {
    const ack = await send(aliceToBob({ body: bodyOfSize(MAX_BODY_SIZE_IN_BYTES) }));

    expect(ack.seq).toBe(1);
    expect(messages.list(ack.conversationId)[0]?.body.byteLength).toBe(MAX_BODY_SIZE_IN_BYTES);
  });

  it('answers a retried messageId with the first seq and time, stores it once and enqueues it again', async () => {
    const first = await send(aliceToBob({ requestId: 'r1' }));
    now = T0 + 5_000;

    const retry = await send(
      aliceToBob({ requestId: 'r2', correlationId: 'req-retry', body: base64('a different body') }),
    );

    expect(retry).toEqual({ ...first, requestId: 'r2' });
    expect(Buffer.from(messages.list(first.conversationId)[0]?.body ?? []).toString()).toBe('hello bob');
    expect(messages.list(first.conversationId)).toHaveLength(1);
    // At-least-once: the first attempt may have died before enqueuing, so the retry enqueues again.
    expect(fanout.jobs.map((job) => [job.seq, job.correlationId])).toEqual([
      [1, 'req-1'],
      [1, 'req-retry'],
    ]);
    // The retry's job carries no push: the sender reads the stored message, never the retried body.
    expect(fanout.jobs[0]?.frame?.body).toBe(base64('hello bob'));
    expect(fanout.jobs[1]?.frame).toBeUndefined();
  });

  it("stores another sender's message with the same messageId as a new message", async () => {
    const { conversationId } = await send(aliceToBob({ messageId: 'same' }));

    const fromBob = await send({
      senderId: bob,
      correlationId: 'r',
      conversationId,
      messageId: 'same',
      body: base64('mine'),
    });

    expect(fromBob.seq).toBe(2);
    expect(messages.list(conversationId).map((m) => m.senderId)).toEqual([alice, bob]);
  });

  it("hands each message to fan-out once, carrying the body and skipping the sender's connection", async () => {
    const ack = await send(aliceToBob({ body: base64('secret ciphertext') }));

    expect(fanout.jobs).toEqual([
      {
        conversationId: ack.conversationId,
        seq: 1,
        correlationId: 'req-1',
        excludeConnectionId: 'alice-phone',
        frame: {
          type: 'message',
          conversationId: ack.conversationId,
          seq: 1,
          messageId: 'm1',
          senderId: alice,
          sentAt: ack.sentAt,
          body: base64('secret ciphertext'),
        },
      },
    ]);
  });

  it('excludes no connection when the message came without one (over HTTP)', async () => {
    await send(aliceToBob({ connectionId: undefined }));

    expect(fanout.jobs[0]).not.toHaveProperty('excludeConnectionId');
  });

  it('numbers 50 concurrent sends 1 to 50 with no gap and no duplicate', async () => {
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(aliceToBob({ messageId: `m${i}`, correlationId: `c${i}` }))),
    );

    const seqs = acks.map((ack) => ack.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const stored = messages.list(directConversationId(alice, bob));
    expect(stored.map((m) => m.seq)).toEqual(seqs);
    expect(new Set(stored.map((m) => m.messageId)).size).toBe(50);
    expect(fanout.jobs.map((job) => job.seq).sort((a, b) => a - b)).toEqual(seqs);
    expect(conversations.size).toBe(1);
  });
});
