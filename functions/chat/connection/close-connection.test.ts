import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryDeps } from '../../../test/support/fixtures';
import type { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import type { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import { closeConnection } from './close-connection';
import { openConnection } from './open-connection';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

describe('closeConnection', () => {
  let connections: InMemoryConnectionStore;
  let fanout: InMemoryFanoutQueue;
  let open: ReturnType<typeof openConnection>;
  let close: ReturnType<typeof closeConnection>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    const deps = memoryDeps();
    ({ connections, fanout } = deps);
    open = openConnection(deps);
    close = closeConnection(deps);
    await open({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'open-1' });
    await open({ connectionId: 'alice-laptop', userId: 'alice', correlationId: 'open-2' });
    fanout.jobs.length = 0;
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("forgets a closed connection and keeps the user's other ones, announcing nothing", async () => {
    await close({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'close-1' });

    const remaining = await connections.listByUser('alice', Date.now());
    expect(remaining.map((c) => c.connectionId)).toEqual(['alice-laptop']);
    expect(fanout.jobs).toEqual([]);
  });

  it('announces the user offline, last seen when the last device closed', async () => {
    vi.advanceTimersByTime(30_000);
    await close({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'close-1' });
    vi.advanceTimersByTime(30_000);

    await close({ connectionId: 'alice-laptop', userId: 'alice', correlationId: 'close-2' });

    expect(fanout.jobs).toEqual([
      { kind: 'presence', userId: 'alice', online: false, lastSeenAt: T0 + 60_000, correlationId: 'close-2' },
    ]);
    expect(await connections.listByUser('alice', Date.now())).toEqual([]);
  });

  it('closes a connection it never recorded without error, and the user stays online', async () => {
    await expect(
      close({ connectionId: 'ghost', userId: 'alice', correlationId: 'close-1' }),
    ).resolves.toBeUndefined();

    expect(await connections.listByUser('alice', Date.now())).toHaveLength(2);
    expect(fanout.jobs).toEqual([]);
  });

  it('announces offline once when the last connection is forgotten twice (found gone, then $disconnect)', async () => {
    await close({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'close-1' });
    vi.advanceTimersByTime(1_000);
    await close({ connectionId: 'alice-laptop', userId: 'alice', correlationId: 'gone-1' });
    vi.advanceTimersByTime(1_000);

    await close({ connectionId: 'alice-laptop', userId: 'alice', correlationId: 'close-2' });

    expect(fanout.jobs).toEqual([
      { kind: 'presence', userId: 'alice', online: false, lastSeenAt: T0 + 1_000, correlationId: 'gone-1' },
    ]);
  });
});
