import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import { InMemoryNotifier } from '../../adapters/memory/memory-notifier';
import type { Connection } from '../../ports/connection-store';
import { CONNECTING_GRACE_IN_MS, postAll } from './post-all';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const frame = { type: 'typing' as const, conversationId: 'g_1', userId: 'alice', state: 'start' as const };

describe('postAll', () => {
  let connections: InMemoryConnectionStore;
  let notifier: InMemoryNotifier;
  let targets: Connection[];
  let fanout: InMemoryFanoutQueue;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    connections = new InMemoryConnectionStore();
    notifier = new InMemoryNotifier();
    fanout = new InMemoryFanoutQueue();
    // More targets than posts in flight at once, so every worker takes several.
    targets = Array.from({ length: 40 }, (_, i) => ({
      connectionId: `conn-${i}`,
      userId: `user-${i % 4}`,
      connectedAt: T0,
    }));
    for (const target of targets) await connections.put(target, T0 + 3_600_000);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const deps = () => ({ connections, notifier, fanout, clock: () => Date.now() });

  it('posts the frame once to each connection and reports it', async () => {
    const report = await postAll(deps(), targets, frame, 'job-1');

    expect(report).toEqual({ recipients: 40, delivered: 40, gone: 0 });
    for (const target of targets) expect(notifier.framesOf(target.connectionId)).toEqual([frame]);
  });

  it('posts nothing to no one', async () => {
    await expect(postAll(deps(), [], frame, 'job-1')).resolves.toEqual({
      recipients: 0,
      delivered: 0,
      gone: 0,
    });
  });

  it('deletes each gone connection under its own user and keeps going', async () => {
    notifier.markGone('conn-1');
    notifier.markGone('conn-38');
    // Past the grace a young connection gets while its handshake completes.
    vi.advanceTimersByTime(CONNECTING_GRACE_IN_MS);

    const report = await postAll(deps(), targets, frame, 'job-1');

    expect(report).toEqual({ recipients: 40, delivered: 38, gone: 2 });
    expect(connections.find('user-1', 'conn-1')).toBeUndefined();
    expect(connections.find('user-2', 'conn-38')).toBeUndefined();
    expect(await connections.listByUser('user-1', T0)).toHaveLength(9);
    expect(notifier.framesOf('conn-39')).toEqual([frame]);
    // Their users have other connections: nobody went offline.
    expect(fanout.jobs).toEqual([]);
  });

  it('announces a user offline, as $disconnect would, when the gone connection was their last', async () => {
    await connections.put({ connectionId: 'dana-phone', userId: 'dana', connectedAt: T0 }, T0 + 3_600_000);
    notifier.markGone('dana-phone');
    vi.advanceTimersByTime(CONNECTING_GRACE_IN_MS);

    const dana = { connectionId: 'dana-phone', userId: 'dana', connectedAt: T0 };
    const report = await postAll(deps(), [dana], frame, 'job-7');

    expect(report).toEqual({ recipients: 1, delivered: 0, gone: 1 });
    expect(await connections.listByUser('dana', Date.now())).toEqual([]);
    expect(fanout.jobs).toEqual([
      {
        kind: 'presence',
        userId: 'dana',
        online: false,
        lastSeenAt: T0 + CONNECTING_GRACE_IN_MS,
        correlationId: 'job-7',
      },
    ]);
    // Its $disconnect, coming after, finds nothing to remove and announces nothing more.
    await postAll(deps(), [dana], frame, 'job-8');
    expect(fanout.jobs).toHaveLength(1);
  });

  it('keeps a gone connection that is still connecting (a post raced its handshake)', async () => {
    notifier.markGone('conn-2');

    const report = await postAll(deps(), targets, frame, 'job-1');

    expect(report).toEqual({ recipients: 40, delivered: 39, gone: 1 });
    expect(connections.find('user-2', 'conn-2')).toBeDefined();
  });

  it('throws a failure other than "gone" and deletes nothing for it', async () => {
    notifier.failWith('conn-5', new Error('Internal failure'));

    await expect(postAll(deps(), targets, frame, 'job-1')).rejects.toThrow('Internal failure');
    expect(connections.find('user-1', 'conn-5')).toBeDefined();
  });
});
