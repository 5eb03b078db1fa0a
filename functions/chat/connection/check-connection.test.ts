import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IDLE_TIMEOUT_IN_SECONDS } from '../../../shared/protocol/limits';
import { memoryDeps } from '../../../test/support/fixtures';
import type { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import type { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import type { InMemoryNotifier } from '../../adapters/memory/memory-notifier';
import type { ConnectionCheckJob } from '../../ports/fanout-queue';
import { checkConnection } from './check-connection';
import { openConnection } from './open-connection';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const MINUTE_IN_MS = 60_000;
const job = (connectionId: string): ConnectionCheckJob => ({
  kind: 'connection-check',
  userId: 'alice',
  connectionId,
  correlationId: 'open-1',
});

describe('checkConnection', () => {
  let connections: InMemoryConnectionStore;
  let fanout: InMemoryFanoutQueue;
  let notifier: InMemoryNotifier;
  let check: ReturnType<typeof checkConnection>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    const deps = memoryDeps();
    ({ connections, fanout, notifier } = deps);
    check = checkConnection(deps);
    const open = openConnection(deps);
    await open({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'open-1' });
    await open({ connectionId: 'alice-laptop', userId: 'alice', correlationId: 'open-2' });
    fanout.jobs.length = 0;
    fanout.delays.length = 0;
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('checks an open connection again when it would be closed if it stays idle from its last frame', async () => {
    vi.advanceTimersByTime(10 * MINUTE_IN_MS);
    notifier.markActive('alice-phone', T0 + 7 * MINUTE_IN_MS);

    await expect(check(job('alice-phone'))).resolves.toBe('open');

    expect(fanout.jobs).toEqual([job('alice-phone')]);
    // Last active 3 minutes ago: closed, if idle, 7 minutes (and a few seconds) from now.
    expect(fanout.delays).toEqual([7 * 60 + 5]);
    expect(await connections.listByUser('alice', Date.now())).toHaveLength(2);
  });

  it("checks again at least a second later, at most SQS's 15 minutes", async () => {
    vi.advanceTimersByTime(60 * MINUTE_IN_MS);
    notifier.markActive('alice-phone', T0);
    await check(job('alice-phone'));
    notifier.markActive('alice-phone', T0 + 120 * MINUTE_IN_MS);
    await check(job('alice-phone'));

    expect(fanout.delays).toEqual([1, 15 * 60]);
  });

  it('forgets a gone connection whose $disconnect never came, the user staying online on another', async () => {
    notifier.markGone('alice-phone');

    await expect(check(job('alice-phone'))).resolves.toBe('gone');

    expect((await connections.listByUser('alice', Date.now())).map((c) => c.connectionId)).toEqual([
      'alice-laptop',
    ]);
    expect(fanout.jobs).toEqual([]);
  });

  it('announces the user offline when the gone connection was their last, and checks it no more', async () => {
    notifier.markGone('alice-phone');
    notifier.markGone('alice-laptop');
    vi.advanceTimersByTime(IDLE_TIMEOUT_IN_SECONDS * 1000);

    await check(job('alice-phone'));
    await check(job('alice-laptop'));

    expect(fanout.jobs).toEqual([
      {
        kind: 'presence',
        userId: 'alice',
        online: false,
        lastSeenAt: T0 + IDLE_TIMEOUT_IN_SECONDS * 1000,
        correlationId: 'open-1',
      },
    ]);
  });

  it('announces nothing for a connection whose $disconnect already forgot it', async () => {
    await connections.delete('alice', 'alice-phone', T0);
    await connections.delete('alice', 'alice-laptop', T0);
    notifier.markGone('alice-phone');

    await expect(check(job('alice-phone'))).resolves.toBe('gone');

    expect(fanout.jobs).toEqual([]);
  });

  it('throws any other failure, so the queue retries the check', async () => {
    notifier.failWith('alice-phone', new Error('Throttled'));

    await expect(check(job('alice-phone'))).rejects.toThrow('Throttled');
    expect(await connections.listByUser('alice', Date.now())).toHaveLength(2);
  });
});
