import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MemoryDeps } from '../../../test/support/fixtures';
import { memoryDeps, rateLimiterWith, seedConversation, seedMessages } from '../../../test/support/fixtures';
import type { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import type { InMemoryMessageLog } from '../../adapters/memory/memory-message-log';
import { ForbiddenError, ImmutableMessageError, NotFoundError, RateLimitedError } from '../../errors';
import { deleteMessage } from './delete-message';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const GROUP = 'g_delete';
const alice = { userId: 'alice', correlationId: 'req-del', connectionId: 'alice-phone' };
const bob = { userId: 'bob', correlationId: 'req-bob' };

describe('deleteMessage', () => {
  let deps: MemoryDeps;
  let messages: InMemoryMessageLog;
  let fanout: InMemoryFanoutQueue;
  let remove: ReturnType<typeof deleteMessage>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps();
    ({ messages, fanout } = deps);
    remove = deleteMessage(deps);
    await seedConversation(deps.conversations, {
      conversationId: GROUP,
      kind: 'group',
      name: 'G',
      memberIds: ['alice', 'bob'],
      now: T0,
    });
    await seedMessages(messages, GROUP, ['alice', 'bob'], 2, T0, { body: 'secret' });
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

  it("marks the message's attachments due at once, also when the delete is repeated", async () => {
    const attachmentId = 'a1aaaaaaaaaaaaaaaaaaaa';
    await deps.attachments.reserve(
      { attachmentId, conversationId: GROUP, uploaderId: 'alice', size: 10, createdAt: T0 },
      86_400_000,
    );
    const { seq } = await messages.append({
      conversationId: GROUP,
      messageId: 'with-file',
      senderId: 'alice',
      kind: 'message',
      body: Buffer.from('caption'),
      attachmentIds: [attachmentId],
      now: T0,
    });
    await deps.attachments.attach(GROUP, [attachmentId], 'alice', { seq, messageId: 'with-file', at: T0 });

    await remove(alice, GROUP, seq);
    await remove(alice, GROUP, seq);

    const now = T0 + 60_000;
    expect((await deps.attachments.getMany(GROUP, [attachmentId]))[0]?.discardedAt).toBe(now);
    expect(await deps.attachments.due(now, 10)).toEqual([
      { attachmentId, conversationId: GROUP, dueAt: now },
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

  it('refuses its own author a commit, leaving it intact and pushing nothing', async () => {
    const { seq } = await messages.append({
      conversationId: GROUP,
      messageId: 'commit-0',
      senderId: 'alice',
      kind: 'commit',
      body: Buffer.from('commit bytes'),
      now: T0,
    });

    await expect(remove(alice, GROUP, seq)).rejects.toThrow(ImmutableMessageError);

    const kept = messages.messagesOf(GROUP)[seq - 1];
    expect(Buffer.from(kept?.body ?? []).toString()).toBe('commit bytes');
    expect(kept?.deletedAt).toBeUndefined();
    expect(fanout.jobs).toEqual([]);
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
    await deps.conversations.change(GROUP, 1, { remove: ['alice'] });

    await expect(remove(alice, GROUP, 1)).rejects.toThrow(ForbiddenError);
    expect(messages.messagesOf(GROUP)[0]?.body).toBeDefined();
  });

  it("counts deletions against the caller's write allowance", async () => {
    const strict = deleteMessage({
      ...deps,
      rateLimiter: rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } }),
    });
    await strict(bob, GROUP, 2);

    await expect(strict(bob, GROUP, 2)).rejects.toThrow(RateLimitedError);
  });
});
