import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IDLE_TIMEOUT_IN_SECONDS, MAX_CONNECTION_DURATION_IN_SECONDS } from '../../../shared/protocol/limits';
import { memoryDeps } from '../../../test/support/fixtures';
import type { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import type { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import { LimitReachedError, SessionEndedError } from '../../errors';
import { openConnection } from './open-connection';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const GRACE_IN_MS = 5 * 60 * 1000;
const EXPIRES_AT = T0 + MAX_CONNECTION_DURATION_IN_SECONDS * 1000 + GRACE_IN_MS;

describe('openConnection', () => {
  let connections: InMemoryConnectionStore;
  let fanout: InMemoryFanoutQueue;
  let open: ReturnType<typeof openConnection>;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    const deps = memoryDeps();
    ({ connections, fanout } = deps);
    open = openConnection(deps);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const presenceJobs = () => fanout.jobs.filter((job) => job.kind === 'presence');

  it('has the connection checked one idle timeout and a few seconds later, should its $disconnect never come', async () => {
    await open({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'c1' });
    const index = fanout.jobs.findIndex((job) => job.kind === 'connection-check');
    expect(fanout.jobs[index]).toEqual({
      kind: 'connection-check',
      userId: 'alice',
      connectionId: 'alice-phone',
      correlationId: 'c1',
    });
    expect(fanout.delays[index]).toBe(IDLE_TIMEOUT_IN_SECONDS + 5);
  });

  it("records the connection under its user until API Gateway's 2 h cap plus 5 min grace", async () => {
    await open({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'c1' });

    expect(connections.find('alice', 'alice-phone')).toEqual({
      connection: { connectionId: 'alice-phone', userId: 'alice', connectedAt: T0 },
      expiresAt: EXPIRES_AT,
    });
    expect(await connections.listByUser('alice', EXPIRES_AT - 1)).toHaveLength(1);
    expect(await connections.listByUser('alice', EXPIRES_AT)).toHaveLength(0);
  });

  it("announces the user online on their first device, with the request's correlation id", async () => {
    await open({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'c1' });

    expect(presenceJobs()).toEqual([
      { kind: 'presence', userId: 'alice', online: true, correlationId: 'c1' },
    ]);
  });

  it('announces nothing when a second device of an online user connects', async () => {
    await open({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'c1' });
    vi.advanceTimersByTime(60_000);

    await open({ connectionId: 'alice-laptop', userId: 'alice', correlationId: 'c2' });

    expect(presenceJobs().map((job) => job.correlationId)).toEqual(['c1']);
    expect(await connections.listByUser('alice', Date.now())).toHaveLength(2);
  });

  it('announces each user on their own first connection', async () => {
    await open({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'c1' });
    await open({ connectionId: 'bob-phone', userId: 'bob', correlationId: 'c2' });

    expect(presenceJobs()).toEqual([
      { kind: 'presence', userId: 'alice', online: true, correlationId: 'c1' },
      { kind: 'presence', userId: 'bob', online: true, correlationId: 'c2' },
    ]);
  });

  it('announces the user again when they connect after a connection that expired unclosed', async () => {
    await open({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'c1' });
    vi.setSystemTime(EXPIRES_AT);

    await open({ connectionId: 'alice-laptop', userId: 'alice', correlationId: 'c2' });

    expect(presenceJobs().map((job) => job.correlationId)).toEqual(['c1', 'c2']);
    expect(connections.find('alice', 'alice-phone')).toBeUndefined();
  });

  it('refuses a connection whose token predates a sign-out everywhere, storing and announcing nothing', async () => {
    const signedOutAt = T0 / 1000 + 1;
    await connections.signOut('alice', signedOutAt, T0);

    await expect(
      open({ connectionId: 'stolen', userId: 'alice', tokenIssuedAt: signedOutAt - 1, correlationId: 'c1' }),
    ).rejects.toThrow(SessionEndedError);
    expect(await connections.listByUser('alice', T0)).toEqual([]);
    expect(fanout.jobs).toEqual([]);

    await open({ connectionId: 'fresh', userId: 'alice', tokenIssuedAt: signedOutAt, correlationId: 'c2' });
    expect(await connections.listByUser('alice', T0)).toHaveLength(1);
  });

  it('refuses a connection past the socket cap with LIMIT_REACHED, and keeps the others', async () => {
    const deps = memoryDeps({ caps: { socketsPerUser: 2 } });
    const openCapped = openConnection(deps);
    await openCapped({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'c1' });
    await openCapped({ connectionId: 'alice-laptop', userId: 'alice', correlationId: 'c2' });

    const refused = openCapped({ connectionId: 'alice-tablet', userId: 'alice', correlationId: 'c3' });

    await expect(refused).rejects.toThrow(LimitReachedError);
    await expect(refused).rejects.toMatchObject({ code: 'LIMIT_REACHED', cap: 'socketsPerUser', limit: 2 });
    const open = await deps.connections.listByUser('alice', Date.now());
    expect(open.map((connection) => connection.connectionId).sort()).toEqual(['alice-laptop', 'alice-phone']);
    // Another user's connections are their own.
    await expect(
      openCapped({ connectionId: 'bob-phone', userId: 'bob', correlationId: 'c4' }),
    ).resolves.toBeUndefined();
  });

  it('does not count connections that expired unclosed against the socket cap', async () => {
    const deps = memoryDeps({ caps: { socketsPerUser: 1 } });
    const openCapped = openConnection(deps);
    await openCapped({ connectionId: 'alice-phone', userId: 'alice', correlationId: 'c1' });
    vi.setSystemTime(EXPIRES_AT);

    await expect(
      openCapped({ connectionId: 'alice-laptop', userId: 'alice', correlationId: 'c2' }),
    ).resolves.toBeUndefined();
  });
});
