import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_CONNECTION_DURATION_IN_SECONDS } from '../../../shared/protocol/limits';
import { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import { InMemoryNotifier } from '../../adapters/memory/memory-notifier';
import { InMemoryRateLimiter } from '../../adapters/memory/memory-rate-limiter';
import { InMemoryRelationshipStore } from '../../adapters/memory/memory-relationship-store';
import { ForbiddenError, RateLimitedError } from '../../errors';
import { DEFAULT_RATE_LIMITS } from '../../rate-limits';
import { directConversationId } from '../conversation/direct-conversation';
import { type RelayTypingDeps, relayTyping } from './relay-typing';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const GROUP = 'g_typing';
const DIRECT = directConversationId('alice', 'bob');
const alice = { userId: 'alice' };

describe('relayTyping', () => {
  let connections: InMemoryConnectionStore;
  let relationships: InMemoryRelationshipStore;
  let notifier: InMemoryNotifier;
  let deps: RelayTypingDeps;
  let typing: ReturnType<typeof relayTyping>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    const conversations = new InMemoryConversationStore();
    connections = new InMemoryConnectionStore();
    relationships = new InMemoryRelationshipStore();
    notifier = new InMemoryNotifier();
    deps = {
      conversations,
      relationships,
      connections,
      notifier,
      rateLimiter: new InMemoryRateLimiter(DEFAULT_RATE_LIMITS),
      clock: () => Date.now(),
    };
    typing = relayTyping(deps);
    const create = async (conversationId: string, kind: 'group' | 'direct', memberIds: string[]) =>
      conversations.createIfAbsent(
        { conversationId, kind, memberIds, createdBy: 'alice', createdAt: T0, version: 1 },
        memberIds.map((userId) => ({
          conversationId,
          userId,
          role: 'member',
          joinedAt: T0,
          delivered: 0,
          read: 0,
        })),
      );
    await create(GROUP, 'group', ['alice', 'bob', 'carol']);
    await create(DIRECT, 'direct', ['alice', 'bob']);
    for (const [userId, connectionId] of [
      ['alice', 'alice-phone'],
      ['alice', 'alice-laptop'],
      ['bob', 'bob-phone'],
      ['bob', 'bob-laptop'],
      ['carol', 'carol-phone'],
      ['dave', 'dave-phone'],
    ] as const) {
      await connections.put(
        { userId, connectionId, connectedAt: T0 },
        T0 + MAX_CONNECTION_DURATION_IN_SECONDS * 1000,
      );
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
    await expect(typing({ userId: 'dave' }, GROUP, 'start')).rejects.toThrow(ForbiddenError);
    expect(notifier.framesOf('bob-phone')).toEqual([]);
  });

  it('relays nothing in a direct conversation once either side blocked the other', async () => {
    await relationships.block({ userId: 'bob', blockedId: 'alice', since: T0 });

    await expect(typing(alice, DIRECT, 'start')).rejects.toThrow(ForbiddenError);
    await expect(typing({ userId: 'bob' }, DIRECT, 'start')).rejects.toThrow(ForbiddenError);
    expect(notifier.framesOf('bob-phone')).toEqual([]);
    expect(notifier.framesOf('alice-phone')).toEqual([]);
  });

  it("counts typing against the typist's allowance", async () => {
    const strict = relayTyping({
      ...deps,
      rateLimiter: new InMemoryRateLimiter({
        ...DEFAULT_RATE_LIMITS,
        typing: { limit: 1, windowSeconds: 60 },
      }),
    });
    await strict(alice, GROUP, 'start');

    await expect(strict(alice, GROUP, 'stop')).rejects.toThrow(RateLimitedError);
    expect(notifier.framesOf('bob-phone')).toHaveLength(1);
  });
});
