import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_BODY_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import type { MemoryDeps } from '../../../test/support/fixtures';
import { befriend, memoryDeps, rateLimiterWith } from '../../../test/support/fixtures';
import type { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import { type InMemoryFanoutQueue, QueueUnreachableError } from '../../adapters/memory/memory-fanout-queue';
import type { InMemoryMessageLog } from '../../adapters/memory/memory-message-log';
import type { InMemoryRateLimiter } from '../../adapters/memory/memory-rate-limiter';
import type { InMemoryRelationshipStore } from '../../adapters/memory/memory-relationship-store';
import {
  ForbiddenError,
  ImmutableMessageError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  ValidationError,
} from '../../errors';
import type { MessageJob } from '../../ports/fanout-queue';
import { directConversationId } from '../conversation/direct-conversation';
import { friends } from '../friend/friends';
import { type SendMessageCommand, sendMessage } from './send-message';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const alice = 'alice';
const bob = 'bob';
const carol = 'carol';
const ALICE_BOB = directConversationId(alice, bob);

const base64 = (text: string) => Buffer.from(text).toString('base64');
/** Base64 of exactly `size` bytes. */
const bodyOfSize = (size: number) => Buffer.alloc(size, 7).toString('base64');
const profile = (userId: string) => ({
  userId,
  username: userId,
  displayName: userId,
  email: `${userId}@example.com`,
  createdAt: T0,
});

describe('sendMessage', () => {
  let deps: MemoryDeps;
  let conversations: InMemoryConversationStore;
  let messages: InMemoryMessageLog;
  let relationships: InMemoryRelationshipStore;
  let fanout: InMemoryFanoutQueue;
  let rateLimiter: InMemoryRateLimiter;
  let send: ReturnType<typeof sendMessage>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps({ profiles: [alice, bob, carol].map(profile) });
    ({ conversations, messages, relationships, fanout, rateLimiter } = deps);
    send = sendMessage(deps);
    await befriend(relationships, alice, bob, T0);
    await befriend(relationships, alice, carol, T0);
  });

  afterEach(() => {
    vi.useRealTimers();
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

  const messageJobs = () => fanout.jobs.filter((job): job is MessageJob => job.kind === 'message');
  const bodyOf = (seq: number, conversationId = ALICE_BOB) =>
    Buffer.from(messages.messagesOf(conversationId)[seq - 1]?.body ?? []).toString();

  it('stores messages with seq 1, 2, 3 in the order they are sent', async () => {
    const acks = [];
    for (const messageId of ['m1', 'm2', 'm3']) acks.push(await send(aliceToBob({ messageId })));

    expect(acks.map((ack) => ack.seq)).toEqual([1, 2, 3]);
    expect(messages.messagesOf(ALICE_BOB).map((m) => [m.seq, m.messageId, m.kind])).toEqual([
      [1, 'm1', 'message'],
      [2, 'm2', 'message'],
      [3, 'm3', 'message'],
    ]);
    expect(bodyOf(1)).toBe('hello bob');
  });

  it("acks with the client's requestId, the conversation, the seq and the server's time in ISO 8601", async () => {
    const ack = await send(aliceToBob({ requestId: 'r-42' }));

    expect(ack).toEqual({
      type: 'ack',
      requestId: 'r-42',
      conversationId: ALICE_BOB,
      messageId: 'm1',
      seq: 1,
      sentAt: '2025-03-01T12:00:00.000Z',
    });
  });

  it('leaves requestId out of the ack when the client sent none', async () => {
    expect(await send(aliceToBob())).not.toHaveProperty('requestId');
  });

  it('creates the direct conversation with a friend on the first message, with both as members', async () => {
    const ack = await send(aliceToBob());

    expect(await conversations.get(ack.conversationId)).toMatchObject({
      kind: 'direct',
      memberIds: [alice, bob],
      createdAt: T0,
    });
    expect(fanout.jobs.filter((job) => job.kind === 'conversation')).toHaveLength(1);
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
      correlationId: 'r2',
      conversationId,
      messageId: 'b1',
      body: base64('re'),
    });

    expect(ack).toMatchObject({ conversationId, seq: 2 });
  });

  it('refuses a message to oneself and to someone who is not a friend, storing nothing', async () => {
    await expect(send(aliceToBob({ recipientId: alice }))).rejects.toThrow(ValidationError);
    await expect(send({ ...aliceToBob(), senderId: bob, recipientId: carol })).rejects.toThrow(
      ForbiddenError,
    );
    await expect(send(aliceToBob({ recipientId: 'nobody' }))).rejects.toThrow(ForbiddenError);

    expect(conversations.size).toBe(0);
    expect(fanout.jobs).toHaveLength(0);
  });

  it('refuses a non-member posting to a conversation by its id, storing nothing', async () => {
    const { conversationId } = await send(aliceToBob());
    fanout.jobs.length = 0;

    const intrusion = send({
      senderId: carol,
      correlationId: 'r3',
      conversationId,
      messageId: 'c1',
      body: base64('x'),
    });

    await expect(intrusion).rejects.toThrow(ForbiddenError);
    expect(messages.messagesOf(conversationId)).toHaveLength(1);
    expect(fanout.jobs).toHaveLength(0);
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
    expect(messages.messagesOf('d_doesnotexist')).toHaveLength(0);
  });

  it('refuses a body over MAX_BODY_SIZE_IN_BYTES before storing, creating, enqueuing or counting', async () => {
    await expect(send(aliceToBob({ body: bodyOfSize(MAX_BODY_SIZE_IN_BYTES + 1) }))).rejects.toThrow(
      PayloadTooLargeError,
    );

    expect(conversations.size).toBe(0);
    expect(messages.messagesOf(ALICE_BOB)).toHaveLength(0);
    expect(fanout.jobs).toHaveLength(0);
    expect(rateLimiter.countOf(alice, 'send', T0)).toBe(0);
  });

  it('accepts a body of exactly MAX_BODY_SIZE_IN_BYTES', async () => {
    const ack = await send(aliceToBob({ body: bodyOfSize(MAX_BODY_SIZE_IN_BYTES) }));

    expect(ack.seq).toBe(1);
    expect(messages.messagesOf(ack.conversationId)[0]?.body?.byteLength).toBe(MAX_BODY_SIZE_IN_BYTES);
  });

  it('answers a retried messageId with the first seq and time, storing and pushing it once', async () => {
    const first = await send(aliceToBob({ requestId: 'r1' }));
    vi.advanceTimersByTime(5_000);

    const retry = await send(
      aliceToBob({ requestId: 'r2', correlationId: 'req-retry', body: base64('a different body') }),
    );

    expect(retry).toEqual({ ...first, requestId: 'r2' });
    expect(messages.messagesOf(first.conversationId)).toHaveLength(1);
    expect(bodyOf(1)).toBe('hello bob');
    expect(messageJobs().map((job) => [job.seq, job.correlationId])).toEqual([[1, 'req-1']]);
    expect(messageJobs()[0]?.frame?.body).toBe(base64('hello bob'));
    // Counted once: the retry stored nothing.
    expect(deps.metrics.total('messagesStored')).toBe(1);
  });

  it('stores nothing when its fan-out cannot be queued, and a retry stores and pushes it once', async () => {
    fanout.refuseNext('message');
    await expect(send(aliceToBob())).rejects.toThrow(QueueUnreachableError);
    expect(messages.messagesOf(ALICE_BOB)).toHaveLength(0);

    const retry = await send(aliceToBob({ correlationId: 'req-retry' }));
    await send(aliceToBob({ correlationId: 'req-again' }));

    // The first attempt's seq stays empty (a reader fills it as skipped once its writer is done).
    expect(retry.seq).toBe(2);
    expect(messages.messagesOf(ALICE_BOB).map((message) => message.seq)).toEqual([2]);
    expect(messageJobs().map((job) => [job.seq, job.correlationId, job.frame?.messageId])).toEqual([
      [2, 'req-retry', 'm1'],
    ]);
    // The refused attempt stored nothing, and the second retry returned the first result.
    expect(deps.metrics.total('messagesStored')).toBe(1);
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
    expect(messages.messagesOf(conversationId).map((m) => m.senderId)).toEqual([alice, bob]);
  });

  it("hands each message to fan-out once, carrying the body and skipping the sender's connection", async () => {
    const ack = await send(aliceToBob({ body: base64('secret ciphertext') }));

    expect(messageJobs()).toEqual([
      {
        kind: 'message',
        conversationId: ack.conversationId,
        seq: 1,
        takenAt: T0,
        contentCount: 1,
        correlationId: 'req-1',
        excludeConnectionId: 'alice-phone',
        frame: {
          type: 'message',
          conversationId: ack.conversationId,
          seq: 1,
          messageId: 'm1',
          senderId: alice,
          sentAt: ack.sentAt,
          kind: 'message',
          body: base64('secret ciphertext'),
        },
      },
    ]);
  });

  it('excludes no connection when the message came without one (over HTTP)', async () => {
    await send(aliceToBob({ connectionId: undefined }));

    expect(messageJobs()[0]).not.toHaveProperty('excludeConnectionId');
  });

  it('numbers 50 concurrent sends 1 to 50 with no gap and no duplicate', async () => {
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(aliceToBob({ messageId: `m${i}`, correlationId: `c${i}` }))),
    );

    const seqs = acks.map((ack) => ack.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const stored = messages.messagesOf(ALICE_BOB);
    expect(stored.map((m) => m.seq)).toEqual(seqs);
    expect(new Set(stored.map((m) => m.messageId)).size).toBe(50);
    expect(
      messageJobs()
        .map((job) => job.seq)
        .sort((a, b) => a - b),
    ).toEqual(seqs);
    expect(conversations.size).toBe(1);
  });

  describe('edits, replies and reactions', () => {
    beforeEach(async () => {
      await send(aliceToBob({ messageId: 'a1', body: base64('from alice') }));
      await send({
        senderId: bob,
        correlationId: 'r',
        recipientId: alice,
        messageId: 'b1',
        body: base64('from bob'),
      });
      fanout.jobs.length = 0;
    });

    it.each([
      ['edit', 1],
      ['reply', 2],
      ['reaction', 2],
    ] as const)('stores a %s of message %i with its reference, and pushes it', async (kind, refSeq) => {
      const ack = await send(aliceToBob({ messageId: 'x', kind, refSeq }));

      expect(messages.messagesOf(ALICE_BOB)[ack.seq - 1]).toMatchObject({ kind, refSeq, senderId: alice });
      expect(messageJobs()[0]?.frame).toMatchObject({ kind, refSeq, seq: 3 });
    });

    it("refuses an edit of someone else's message", async () => {
      await expect(send(aliceToBob({ messageId: 'x', kind: 'edit', refSeq: 2 }))).rejects.toThrow(
        ForbiddenError,
      );
      expect(messages.messagesOf(ALICE_BOB)).toHaveLength(2);
      expect(fanout.jobs).toHaveLength(0);
    });

    it('refuses an edit of a deleted message', async () => {
      await messages.markDeleted(ALICE_BOB, 1, alice, T0);

      await expect(send(aliceToBob({ messageId: 'x', kind: 'edit', refSeq: 1 }))).rejects.toThrow(
        ValidationError,
      );
      expect(messages.messagesOf(ALICE_BOB)).toHaveLength(2);
    });

    it('refuses an edit, reply or reaction whose reference is a commit, storing nothing', async () => {
      const commit = await messages.append({
        conversationId: ALICE_BOB,
        messageId: 'commit-0',
        senderId: alice,
        kind: 'commit',
        body: Buffer.from('commit bytes'),
        now: T0,
      });
      for (const kind of ['edit', 'reply', 'reaction'] as const) {
        await expect(send(aliceToBob({ messageId: `x-${kind}`, kind, refSeq: commit.seq }))).rejects.toThrow(
          ImmutableMessageError,
        );
      }
      expect(messages.messagesOf(ALICE_BOB)).toHaveLength(3);
      expect(fanout.jobs).toHaveLength(0);
    });

    it('refuses a reference to a message that is not there', async () => {
      for (const kind of ['edit', 'reply', 'reaction'] as const) {
        await expect(send(aliceToBob({ messageId: `x-${kind}`, kind, refSeq: 3 }))).rejects.toThrow(
          NotFoundError,
        );
      }
      expect(messages.messagesOf(ALICE_BOB)).toHaveLength(2);
    });
  });

  describe('blocks', () => {
    beforeEach(async () => {
      await send(aliceToBob());
    });

    const bobBlocksAlice = () => friends(deps).block({ userId: bob, correlationId: 'b' }, alice);

    it('refuses a direct message either way once either side blocked the other, storing nothing', async () => {
      await bobBlocksAlice();

      await expect(send(aliceToBob({ messageId: 'm2' }))).rejects.toThrow(ForbiddenError);
      await expect(
        send(aliceToBob({ messageId: 'm2', recipientId: undefined, conversationId: ALICE_BOB })),
      ).rejects.toThrow(ForbiddenError);
      await expect(
        send({
          senderId: bob,
          correlationId: 'r',
          conversationId: ALICE_BOB,
          messageId: 'b1',
          body: base64('x'),
        }),
      ).rejects.toThrow(ForbiddenError);
      expect(messages.messagesOf(ALICE_BOB)).toHaveLength(1);
    });

    it('lets messages through again after the block is lifted', async () => {
      await bobBlocksAlice();
      await friends(deps).unblock({ userId: bob, correlationId: 'u' }, alice);
      // The block ended the friendship: the conversation opens once they are friends again.
      await expect(send(aliceToBob({ messageId: 'm2' }))).rejects.toThrow(ForbiddenError);
      await friends(deps).request({ userId: alice, correlationId: 'r' }, { userId: bob });
      await friends(deps).accept({ userId: bob, correlationId: 'a' }, alice);

      await expect(send(aliceToBob({ messageId: 'm2' }))).resolves.toMatchObject({ seq: 2 });
    });

    it('stays closed while the other side still blocks', async () => {
      // Each blocked the other at the same moment (one who is already blocked cannot block back after).
      await Promise.all([bobBlocksAlice(), friends(deps).block({ userId: alice, correlationId: 'a' }, bob)]);
      expect((await relationships.relation(alice, bob)).blocks).toBe(true);
      await friends(deps).unblock({ userId: bob, correlationId: 'u' }, alice);

      await expect(
        send(aliceToBob({ messageId: 'm2', recipientId: undefined, conversationId: ALICE_BOB })),
      ).rejects.toThrow(ForbiddenError);
    });
  });

  it('tells a non-member only that they are not a member, whatever else is wrong', async () => {
    await send(aliceToBob());

    const attempt = send({
      senderId: carol,
      correlationId: 'c',
      conversationId: ALICE_BOB,
      messageId: 'c1',
      kind: 'reply',
      refSeq: 99,
      body: base64('x'),
    });

    await expect(attempt).rejects.toThrow(ForbiddenError);
    await expect(attempt).rejects.toThrow('not a member');
    expect(messages.messagesOf(ALICE_BOB)).toHaveLength(1);
  });

  it("counts sends against the sender's allowance and stores nothing past it", async () => {
    const strict = sendMessage({
      ...deps,
      rateLimiter: rateLimiterWith({ send: { limit: 1, windowSeconds: 60 } }),
    });
    await strict(aliceToBob());

    await expect(strict(aliceToBob({ messageId: 'm2' }))).rejects.toThrow(RateLimitedError);
    expect(messages.messagesOf(ALICE_BOB)).toHaveLength(1);
    // A full window later (the allowance slides: the first send weighs until then).
    vi.advanceTimersByTime(120_000);
    await expect(strict(aliceToBob({ messageId: 'm2' }))).resolves.toMatchObject({ seq: 2 });
  });

  describe('with attachments', () => {
    const A1 = 'a1aaaaaaaaaaaaaaaaaaaa';
    const A2 = 'a2aaaaaaaaaaaaaaaaaaaa';
    const upload = (attachmentId: string, uploaderId = alice, conversationId = ALICE_BOB) =>
      deps.attachments.reserve(
        { attachmentId, conversationId, uploaderId, size: 100, createdAt: T0 },
        86_400_000,
      );
    const recordsOf = async (...ids: string[]) =>
      (await deps.attachments.getMany(ALICE_BOB, ids)).map((r) => [r.attachmentId, r.seq, r.messageId]);

    it('ties its attachments to the message and keeps their ids on it', async () => {
      await upload(A1);
      await upload(A2);

      const ack = await send(aliceToBob({ attachmentIds: [A1, A2] }));

      expect(ack.seq).toBe(1);
      expect(await recordsOf(A1, A2)).toEqual([
        [A1, 1, 'm1'],
        [A2, 1, 'm1'],
      ]);
      expect(messages.messagesOf(ALICE_BOB)[0]?.attachmentIds).toEqual([A1, A2]);
      expect(messageJobs()).toHaveLength(1);
    });

    it("refuses another user's upload, an unknown id and one of another conversation, storing nothing", async () => {
      await upload(A1, bob);
      await upload(A2, alice, 'g_elsewhere');
      // Bob's upload needs the conversation: his first message opens it.
      await send({ ...aliceToBob(), senderId: bob, recipientId: alice, messageId: 'b1' });

      for (const attachmentIds of [[A1], [A2], ['zzzzzzzzzzzzzzzzzzzzzz']]) {
        await expect(send(aliceToBob({ attachmentIds }))).rejects.toThrow(NotFoundError);
      }
      expect(messages.messagesOf(ALICE_BOB)).toHaveLength(1);
      expect(await recordsOf(A1)).toEqual([[A1, undefined, undefined]]);
    });

    it('refuses an attachment another message carries, and lets a retry of its own message through', async () => {
      await upload(A1);
      const first = await send(aliceToBob({ attachmentIds: [A1] }));

      await expect(send(aliceToBob({ messageId: 'm2', attachmentIds: [A1] }))).rejects.toThrow(
        ValidationError,
      );
      await expect(send(aliceToBob({ attachmentIds: [A1], correlationId: 'retry' }))).resolves.toEqual(first);

      expect(messages.messagesOf(ALICE_BOB)).toHaveLength(1);
      expect(await recordsOf(A1)).toEqual([[A1, 1, 'm1']]);
    });

    it('refuses an attachment whose message was deleted', async () => {
      await upload(A1);
      await send(aliceToBob({ attachmentIds: [A1] }));
      await deps.attachments.discard(ALICE_BOB, 1, [A1], T0);

      await expect(send(aliceToBob({ messageId: 'm2', attachmentIds: [A1] }))).rejects.toThrow(NotFoundError);
    });

    it('moves them with the message when its first seq was never placed (the queue refused its job)', async () => {
      await upload(A1);
      fanout.refuseNext('message');
      await expect(send(aliceToBob({ attachmentIds: [A1] }))).rejects.toThrow(QueueUnreachableError);

      const retry = await send(aliceToBob({ attachmentIds: [A1], correlationId: 'retry' }));

      expect(retry.seq).toBe(2);
      expect(await recordsOf(A1)).toEqual([[A1, 2, 'm1']]);
    });
  });
});
