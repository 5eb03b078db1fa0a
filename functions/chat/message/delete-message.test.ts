import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import { InMemoryMessageLog } from '../../adapters/memory/memory-message-log';
import { InMemoryRateLimiter } from '../../adapters/memory/memory-rate-limiter';
import { ForbiddenError, NotFoundError, RateLimitedError } from '../../errors';
import { DEFAULT_RATE_LIMITS } from '../../rate-limits';
import { deleteMessage } from './delete-message';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const GROUP = 'g_delete';
const alice = { userId: 'alice', correlationId: 'req-del', connectionId: 'alice-phone' };
const bob = { userId: 'bob', correlationId: 'req-bob' };

describe('deleteMessage', () => {
  let conversations: InMemoryConversationStore;
  let messages: InMemoryMessageLog;
  let fanout: InMemoryFanoutQueue;
  let remove: ReturnType<typeof deleteMessage>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    conversations = new InMemoryConversationStore();
    messages = new InMemoryMessageLog();
    fanout = new InMemoryFanoutQueue();
    remove = deleteMessage({
      conversations,
      messages,
      fanout,
      rateLimiter: new InMemoryRateLimiter(DEFAULT_RATE_LIMITS),
      clock: () => Date.now(),
    });
    const member = (userId: string) => ({
      conversationId: GROUP,
      userId,
      role: 'member' as const,
      joinedAt: T0,
      delivered: 0,
      read: 0,
    });
    await conversations.createIfAbsent(
      {
        conversationId: GROUP,
        kind: 'group',
        name: 'G',
        memberIds: ['alice', 'bob'],
        createdBy: 'alice',
        createdAt: T0,
        version: 1,
      },
      [member('alice'), member('bob')],
    );
    for (const [messageId, senderId] of [
      ['a1', 'alice'],
      ['b1', 'bob'],
    ]) {
      await messages.append({
        conversationId: GROUP,
        messageId: messageId as string,
        senderId: senderId as string,
        kind: 'message',
        body: Buffer.from('secret'),
        now: T0,
      });
    }
    vi.advanceTimersByTime(60_000);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("removes the author's body, keeps the message's place and pushes the tombstone to the members", async () => {
    await remove(alice, GROUP, 1);

    expect(messages.messagesOf(GROUP).map((m) => [m.seq, m.body === undefined, m.deletedAt])).toEqual([
      [1, true, T0 + 60_000],
      [2, false, undefined],
    ]);
    expect(fanout.jobs).toEqual([
      {
        kind: 'conversation',
        conversationId: GROUP,
        correlationId: 'req-del',
        excludeConnectionId: 'alice-phone',
        frame: { type: 'deleted', conversationId: GROUP, seq: 1, deletedAt: '2025-03-01T12:01:00.000Z' },
      },
    ]);
  });

  it('excludes no connection when the request came over HTTP', async () => {
    await remove(bob, GROUP, 2);

    expect(fanout.jobs[0]).not.toHaveProperty('excludeConnectionId');
  });

  it('keeps the first deletion time when a message is deleted again', async () => {
    await remove(alice, GROUP, 1);
    vi.advanceTimersByTime(60_000);

    await remove(alice, GROUP, 1);

    expect(messages.messagesOf(GROUP)[0]?.deletedAt).toBe(T0 + 60_000);
    expect(fanout.jobs.map((job) => job.kind === 'conversation' && job.frame)).toEqual([
      expect.objectContaining({ deletedAt: '2025-03-01T12:01:00.000Z' }),
      expect.objectContaining({ deletedAt: '2025-03-01T12:01:00.000Z' }),
    ]);
  });

  it("refuses to delete another member's message, leaving it intact", async () => {
    await expect(remove(alice, GROUP, 2)).rejects.toThrow(ForbiddenError);

    expect(Buffer.from(messages.messagesOf(GROUP)[1]?.body ?? []).toString()).toBe('secret');
    expect(fanout.jobs).toEqual([]);
  });

  it('answers NOT_FOUND for a seq that is not in the log', async () => {
    await expect(remove(alice, GROUP, 3)).rejects.toThrow(NotFoundError);
    expect(fanout.jobs).toEqual([]);
  });

  it('refuses a non-member, even the author of a message', async () => {
    await conversations.change(GROUP, 1, { remove: ['alice'] });

    await expect(remove(alice, GROUP, 1)).rejects.toThrow(ForbiddenError);
    expect(messages.messagesOf(GROUP)[0]?.body).toBeDefined();
  });

  it("counts deletions against the caller's write allowance", async () => {
    const strict = deleteMessage({
      conversations,
      messages,
      fanout,
      rateLimiter: new InMemoryRateLimiter({
        ...DEFAULT_RATE_LIMITS,
        write: { limit: 1, windowSeconds: 60 },
      }),
      clock: () => Date.now(),
    });
    await strict(bob, GROUP, 2);

    await expect(strict(bob, GROUP, 2)).rejects.toThrow(RateLimitedError);
  });
});
