import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MemoryDeps } from '../../../test/support/fixtures';
import {
  memoryDeps,
  rateLimiterWith,
  seedBlock,
  seedConversation,
  seedMessages,
} from '../../../test/support/fixtures';
import type { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import type { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import type { InMemoryMessageLog } from '../../adapters/memory/memory-message-log';
import { ForbiddenError, RateLimitedError, ValidationError } from '../../errors';
import { directConversationId } from '../conversation/direct-conversation';
import { advanceReceipts } from './advance-receipts';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const GROUP = 'g_receipts';
const bob = { userId: 'bob', correlationId: 'req-bob', connectionId: 'bob-phone' };

describe('advanceReceipts', () => {
  let deps: MemoryDeps;
  let conversations: InMemoryConversationStore;
  let messages: InMemoryMessageLog;
  let fanout: InMemoryFanoutQueue;
  let advance: ReturnType<typeof advanceReceipts>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps();
    ({ conversations, messages, fanout } = deps);
    advance = advanceReceipts(deps);
    await seedConversation(conversations, {
      conversationId: GROUP,
      kind: 'group',
      name: 'G',
      memberIds: ['alice', 'bob'],
      now: T0,
    });
    await seedMessages(messages, GROUP, 'alice', 5, T0);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("stores the caller's marks and pushes them to the members, but not to the connection that sent them", async () => {
    const receipt = await advance(bob, GROUP, { delivered: 5, read: 3 });

    expect(receipt).toEqual({ conversationId: GROUP, userId: 'bob', delivered: 5, read: 3 });
    expect(await conversations.getMembership(GROUP, 'bob')).toMatchObject({ delivered: 5, read: 3 });
    expect(fanout.jobs).toEqual([
      {
        kind: 'conversation',
        conversationId: GROUP,
        correlationId: 'req-bob',
        excludeConnectionId: 'bob-phone',
        frame: { type: 'receipt', conversationId: GROUP, userId: 'bob', delivered: 5, read: 3 },
      },
    ]);
  });

  it('counts what was read as delivered', async () => {
    await expect(advance(bob, GROUP, { read: 4 })).resolves.toMatchObject({ delivered: 4, read: 4 });
  });

  it('never moves a mark back, and pushes nothing when no mark moved', async () => {
    await advance(bob, GROUP, { delivered: 5, read: 3 });
    fanout.jobs.length = 0;

    const receipt = await advance(bob, GROUP, { delivered: 2, read: 1 });

    expect(receipt).toMatchObject({ delivered: 5, read: 3 });
    expect(fanout.jobs).toEqual([]);
  });

  it('pushes when only one of the marks moved', async () => {
    await advance(bob, GROUP, { delivered: 5, read: 3 });
    fanout.jobs.length = 0;

    await advance(bob, GROUP, { read: 4 });

    expect(fanout.jobs).toEqual([
      expect.objectContaining({ frame: expect.objectContaining({ delivered: 5, read: 4 }) }),
    ]);
  });

  it('refuses a mark beyond the last message, storing nothing', async () => {
    await expect(advance(bob, GROUP, { read: 6 })).rejects.toThrow(ValidationError);
    await expect(advance(bob, GROUP, { delivered: 6, read: 1 })).rejects.toThrow(ValidationError);

    expect(await conversations.getMembership(GROUP, 'bob')).toMatchObject({ delivered: 0, read: 0 });
    expect(fanout.jobs).toEqual([]);
  });

  it('accepts a mark at exactly the last message', async () => {
    await expect(advance(bob, GROUP, { read: 5 })).resolves.toMatchObject({ read: 5 });
  });

  it('pushes to every member when the request came over HTTP', async () => {
    await advance({ userId: 'bob', correlationId: 'req-http' }, GROUP, { read: 1 });

    expect(fanout.jobs[0]).not.toHaveProperty('excludeConnectionId');
  });

  it('tells a blocked user nothing of the blocker reading a direct conversation', async () => {
    const direct = directConversationId('alice', 'bob');
    await seedConversation(conversations, {
      conversationId: direct,
      kind: 'direct',
      memberIds: ['alice', 'bob'],
      now: T0,
    });
    await seedMessages(messages, direct, 'alice', 1, T0);
    await seedBlock(deps, 'bob', 'alice', T0);

    // Refusing the receipt or keeping it to the reader's own devices would both do.
    await advance(bob, direct, { read: 1 }).catch(() => undefined);

    const pushedToAlice = fanout.jobs.filter(
      (job) => job.kind === 'conversation' && job.conversationId === direct,
    );
    expect(pushedToAlice).toEqual([]);
  });

  it("keeps the blocker's marks where they were for the other member, and moves them for the blocker", async () => {
    const direct = directConversationId('alice', 'bob');
    await seedConversation(conversations, {
      conversationId: direct,
      kind: 'direct',
      memberIds: ['alice', 'bob'],
      now: T0,
    });
    await seedMessages(messages, direct, 'alice', 2, T0);
    await advance(bob, direct, { read: 1 });
    await seedBlock(deps, 'bob', 'alice', T0);

    const receipt = await advance(bob, direct, { read: 2 });

    expect(receipt).toMatchObject({ delivered: 2, read: 2 });
    expect(await conversations.getMembership(direct, 'bob')).toMatchObject({
      read: 2,
      readContentCount: 2,
      shown: { delivered: 1, read: 1 },
    });
  });

  it('refuses a non-member', async () => {
    await expect(advance({ userId: 'carol', correlationId: 'r' }, GROUP, { read: 1 })).rejects.toThrow(
      ForbiddenError,
    );
  });

  it("counts receipts against the caller's write allowance", async () => {
    const strict = advanceReceipts({
      ...deps,
      rateLimiter: rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } }),
    });
    await strict(bob, GROUP, { read: 1 });

    await expect(strict(bob, GROUP, { read: 2 })).rejects.toThrow(RateLimitedError);
    expect(await conversations.getMembership(GROUP, 'bob')).toMatchObject({ read: 1 });
  });
});
