import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_CONNECTION_DURATION_IN_SECONDS } from '../../../shared/protocol/limits';
import { befriend, connectDevice, memoryDeps, seedConversation } from '../../../test/support/fixtures';
import type { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import type { InMemoryRelationshipStore } from '../../adapters/memory/memory-relationship-store';
import { getPresence } from './get-presence';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const alice = { userId: 'alice' };

describe('getPresence', () => {
  let connections: InMemoryConnectionStore;
  let relationships: InMemoryRelationshipStore;
  let presence: ReturnType<typeof getPresence>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    const deps = memoryDeps();
    ({ connections, relationships } = deps);
    presence = getPresence(deps);
    await befriend(relationships, 'alice', 'bob', T0);
    await seedConversation(deps.conversations, {
      conversationId: 'g_1',
      kind: 'group',
      name: 'G',
      memberIds: ['alice', 'carol'],
      now: T0,
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const connect = (userId: string, connectionId: string) =>
    connectDevice(connections, userId, connectionId, Date.now());

  it('shows a friend online while any of their devices is connected', async () => {
    await connect('bob', 'bob-phone');

    await expect(presence(alice, ['bob'])).resolves.toEqual([{ userId: 'bob', online: true }]);
  });

  it('shows a co-member offline with the time the last device left', async () => {
    await connect('carol', 'carol-phone');
    vi.advanceTimersByTime(90_000);
    await connections.delete('carol', 'carol-phone', Date.now());

    await expect(presence(alice, ['carol'])).resolves.toEqual([
      { userId: 'carol', online: false, lastSeenAt: '2025-03-01T12:01:30.000Z' },
    ]);
  });

  it('shows a user who never connected as offline, with no last-seen time', async () => {
    await expect(presence(alice, ['bob'])).resolves.toEqual([{ userId: 'bob', online: false }]);
  });

  it('shows a user offline once their only connection expired unclosed', async () => {
    await connect('bob', 'bob-phone');
    vi.advanceTimersByTime(MAX_CONNECTION_DURATION_IN_SECONDS * 1000);

    await expect(presence(alice, ['bob'])).resolves.toMatchObject([{ userId: 'bob', online: false }]);
  });

  it('leaves out strangers, and keeps the asked order of the rest, once each', async () => {
    await connect('dave', 'dave-phone');

    const states = await presence(alice, ['carol', 'dave', 'bob', 'carol']);

    expect(states.map((state) => state.userId)).toEqual(['carol', 'bob']);
  });

  it('leaves out friends and co-members blocked either way', async () => {
    await relationships.block({ userId: 'bob', blockedId: 'alice', since: T0 });
    await relationships.block({ userId: 'alice', blockedId: 'carol', since: T0 });

    await expect(presence(alice, ['bob', 'carol'])).resolves.toEqual([]);
    await expect(presence({ userId: 'bob' }, ['alice'])).resolves.toEqual([]);
  });

  it('shows the caller their own presence', async () => {
    await connect('alice', 'alice-phone');

    await expect(presence(alice, ['alice'])).resolves.toEqual([{ userId: 'alice', online: true }]);
  });
});
