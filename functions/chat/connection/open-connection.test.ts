import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_CONNECTION_DURATION_IN_SECONDS } from '../../../shared/protocol/limits';
import { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import { InMemoryUserRegistry } from '../../adapters/memory/memory-user-registry';
import { closeConnection } from './close-connection';
import { openConnection } from './open-connection';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const GRACE_IN_MS = 5 * 60 * 1000;
const EXPIRES_AT = T0 + MAX_CONNECTION_DURATION_IN_SECONDS * 1000 + GRACE_IN_MS;

describe('openConnection and closeConnection', () => {
  let connections: InMemoryConnectionStore;
  let users: InMemoryUserRegistry;
  let open: ReturnType<typeof openConnection>;
  let close: ReturnType<typeof closeConnection>;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    connections = new InMemoryConnectionStore();
    users = new InMemoryUserRegistry();
    open = openConnection({ connections, users, clock: Date.now });
    close = closeConnection({ connections });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("records the connection under its user until API Gateway's 2 h cap plus 5 min grace", async () => {
    await open({ connectionId: 'alice-phone', userId: 'alice' });

    expect(connections.find('alice', 'alice-phone')).toEqual({
      connection: { connectionId: 'alice-phone', userId: 'alice', connectedAt: T0 },
      expiresAt: EXPIRES_AT,
    });
    expect(await connections.listByUser('alice', EXPIRES_AT - 1)).toHaveLength(1);
    expect(await connections.listByUser('alice', EXPIRES_AT)).toHaveLength(0);
  });

  it('creates the user on first connection and keeps the first-seen time on later ones', async () => {
    expect(await users.get('alice')).toBeUndefined();

    await open({ connectionId: 'alice-phone', userId: 'alice' });
    vi.setSystemTime(T0 + 60_000);
    await open({ connectionId: 'alice-laptop', userId: 'alice' });

    expect(await users.get('alice')).toEqual({ userId: 'alice', firstSeenAt: T0 });
    expect(users.lastSeenAt('alice')).toBe(T0 + 60_000);
    expect(await connections.listByUser('alice', T0 + 60_000)).toHaveLength(2);
  });

  it("forgets a closed connection and keeps the user's other ones", async () => {
    await open({ connectionId: 'alice-phone', userId: 'alice' });
    await open({ connectionId: 'alice-laptop', userId: 'alice' });

    await close({ connectionId: 'alice-phone', userId: 'alice' });

    const remaining = await connections.listByUser('alice', T0);
    expect(remaining.map((c) => c.connectionId)).toEqual(['alice-laptop']);
  });

  it('closes a connection it never recorded without error', async () => {
    await expect(close({ connectionId: 'ghost', userId: 'alice' })).resolves.toBeUndefined();
    expect(await connections.listByUser('alice', T0)).toEqual([]);
  });
});
