import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import { InMemoryNotifier } from '../../adapters/memory/memory-notifier';
import { ParleyError } from '../../errors';
import { CLOSE_RETRY_IN_MS, closeAll, MAX_CLOSE_WAIT_IN_MS } from './close-all';
import { CONNECTING_GRACE_IN_MS } from './post-all';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const HOUR = 3_600_000;

describe('closeAll', () => {
  let connections: InMemoryConnectionStore;
  let notifier: InMemoryNotifier;
  const waits: number[] = [];
  const deps = () => ({
    connections,
    notifier,
    clock: () => Date.now(),
    sleep: async (ms: number) => {
      waits.push(ms);
      vi.advanceTimersByTime(ms);
    },
  });
  const job = (...entries: Array<[string, number]>) => ({
    kind: 'close' as const,
    userId: 'alice',
    correlationId: 'c1',
    connections: entries.map(([connectionId, connectedAt]) => ({ connectionId, connectedAt })),
  });

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    waits.length = 0;
    connections = new InMemoryConnectionStore();
    notifier = new InMemoryNotifier();
    for (const id of ['phone', 'laptop']) {
      await connections.put({ connectionId: id, userId: 'alice', connectedAt: T0 - HOUR }, T0 + HOUR);
    }
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('closes each listed connection and reports it', async () => {
    const report = await closeAll(deps(), job(['phone', T0 - HOUR], ['laptop', T0 - HOUR]));

    expect(report).toEqual({ recipients: 2, delivered: 2, gone: 0 });
    expect([...notifier.closed()].sort()).toEqual(['laptop', 'phone']);
    expect(waits).toEqual([]);
  });

  it('forgets a connection that is already gone, without waiting', async () => {
    notifier.markGone('phone');

    const report = await closeAll(deps(), job(['phone', T0 - HOUR], ['laptop', T0 - HOUR]));

    expect(report).toEqual({ recipients: 2, delivered: 1, gone: 1 });
    expect(connections.find('alice', 'phone')).toBeUndefined();
    expect(waits).toEqual([]);
  });

  it('closes a connection that answered "gone" during its handshake once the handshake is done', async () => {
    notifier.markGone('tablet');
    let tries = 0;
    const opening = {
      ...deps(),
      sleep: async (ms: number) => {
        tries += 1;
        if (tries === 3) notifier.markOpen('tablet');
        vi.advanceTimersByTime(ms);
      },
    };

    const report = await closeAll(opening, job(['tablet', T0]));

    expect(report).toEqual({ recipients: 1, delivered: 1, gone: 0 });
    expect(notifier.closed()).toEqual(['tablet']);
    expect(tries).toBe(3);
  });

  it('fails the job, for the queue to retry, when a young connection stays "gone" too long', async () => {
    notifier.markGone('tablet');

    await expect(closeAll(deps(), job(['tablet', T0]))).rejects.toThrow(ParleyError);
    expect(waits.length).toBe(MAX_CLOSE_WAIT_IN_MS / CLOSE_RETRY_IN_MS);
    expect(MAX_CLOSE_WAIT_IN_MS).toBeLessThan(CONNECTING_GRACE_IN_MS);
  });
});
