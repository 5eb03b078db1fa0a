import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MemoryDeps } from '../../../test/support/fixtures';
import {
  connectDevice,
  memoryDeps,
  rateLimiterWith,
  seedBlock,
  seedConversation,
} from '../../../test/support/fixtures';
import type { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import type { InMemoryNotifier } from '../../adapters/memory/memory-notifier';
import type { InMemoryRelationshipStore } from '../../adapters/memory/memory-relationship-store';
import { ForbiddenError, RateLimitedError } from '../../errors';
import { directConversationId } from '../conversation/direct-conversation';
import { CONNECTING_GRACE_IN_MS } from '../push/post-all';
import { relayTyping } from './relay-typing';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const GROUP = 'g_typing';
const DIRECT = directConversationId('alice', 'bob');
const alice = { userId: 'alice', correlationId: 'typing-1' };

describe('relayTyping', () => {
  let deps: MemoryDeps;
  let connections: InMemoryConnectionStore;
  let relationships: InMemoryRelationshipStore;
  let notifier: InMemoryNotifier;
  let typing: ReturnType<typeof relayTyping>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps();
    ({ connections, relationships, notifier } = deps);
    typing = relayTyping(deps);
    const { conversations } = deps;
    await seedConversation(conversations, {
      conversationId: GROUP,
      kind: 'group',
      memberIds: ['alice', 'bob', 'carol'],
      now: T0,
    });
    await seedConversation(conversations, {
      conversationId: DIRECT,
      kind: 'direct',
      memberIds: ['alice', 'bob'],
      now: T0,
    });
    for (const [userId, connectionId] of [
      ['alice', 'alice-phone'],
      ['alice', 'alice-laptop'],
      ['bob', 'bob-phone'],
      ['bob', 'bob-laptop'],
      ['carol', 'carol-phone'],
      ['dave', 'dave-phone'],
    ] as const) {
      await connectDevice(connections, userId, connectionId, T0);
    }
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("posts the typing state to the other members' devices only", async () => {
    const report = await typing(alice, GROUP, 'start');

    const frame = { type: 'typing', conversationId: GROUP, userId: 'alice', state: 'start' };
    for (const connectionId of ['bob-phone', 'bob-laptop', 'carol-phone']) {
      expect(notifier.framesOf(connectionId)).toEqual([frame]);
    }
    for (const connectionId of ['alice-phone', 'alice-laptop', 'dave-phone']) {
      expect(notifier.framesOf(connectionId)).toEqual([]);
    }
    expect(report).toEqual({ recipients: 3, delivered: 3, gone: 0 });
  });

  it('relays stop as well as start', async () => {
    await typing(alice, DIRECT, 'stop');

    expect(notifier.framesOf('bob-phone')).toEqual([
      { type: 'typing', conversationId: DIRECT, userId: 'alice', state: 'stop' },
    ]);
  });

  it('forgets connections that are gone and still reaches the rest', async () => {
    notifier.markGone('bob-laptop');
    // Past the grace a young connection gets while its handshake completes.
    vi.advanceTimersByTime(CONNECTING_GRACE_IN_MS);

    const report = await typing(alice, GROUP, 'start');

    expect(report).toEqual({ recipients: 3, delivered: 2, gone: 1 });
    expect((await connections.listByUser('bob', Date.now())).map((c) => c.connectionId)).toEqual([
      'bob-phone',
    ]);
    expect(notifier.framesOf('carol-phone')).toHaveLength(1);
  });

  it('fails when posting fails for another reason, forgetting nothing', async () => {
    notifier.failWith('carol-phone', new Error('Throttled'));

    await expect(typing(alice, GROUP, 'start')).rejects.toThrow('Throttled');
    expect(await connections.listByUser('carol', Date.now())).toHaveLength(1);
  });

  it('refuses a non-member', async () => {
    await expect(typing({ userId: 'dave', correlationId: 'typing-2' }, GROUP, 'start')).rejects.toThrow(
      ForbiddenError,
    );
    expect(notifier.framesOf('bob-phone')).toEqual([]);
  });

  it('relays nothing in a direct conversation once either side blocked the other', async () => {
    await seedBlock(deps, 'bob', 'alice', T0);

    await expect(typing(alice, DIRECT, 'start')).rejects.toThrow(ForbiddenError);
    await expect(typing({ userId: 'bob', correlationId: 'typing-3' }, DIRECT, 'start')).rejects.toThrow(
      ForbiddenError,
    );
    expect(notifier.framesOf('bob-phone')).toEqual([]);
    expect(notifier.framesOf('alice-phone')).toEqual([]);
  });

  it('relays nothing in a group between members blocked either way, and the rest still get it', async () => {
    await seedBlock(deps, 'bob', 'alice', T0);

    await typing(alice, GROUP, 'start');
    await typing({ userId: 'bob', correlationId: 'typing-4' }, GROUP, 'start');

    for (const connectionId of ['bob-phone', 'bob-laptop']) {
      expect(notifier.framesOf(connectionId)).toEqual([]);
    }
    for (const connectionId of ['alice-phone', 'alice-laptop']) {
      expect(notifier.framesOf(connectionId)).toEqual([]);
    }
    expect(notifier.framesOf('carol-phone').map((frame) => (frame as { userId: string }).userId)).toEqual([
      'alice',
      'bob',
    ]);

    await relationships.unblock('bob', 'alice');
    await typing(alice, GROUP, 'stop');
    expect(notifier.framesOf('bob-phone')).toHaveLength(1);
  });

  it("counts typing against the typist's allowance", async () => {
    const strict = relayTyping({
      ...deps,
      rateLimiter: rateLimiterWith({ typing: { limit: 1, windowSeconds: 60 } }),
    });
    await strict(alice, GROUP, 'start');

    await expect(strict(alice, GROUP, 'stop')).rejects.toThrow(RateLimitedError);
    expect(notifier.framesOf('bob-phone')).toHaveLength(1);
  });
});
