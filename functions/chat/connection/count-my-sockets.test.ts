import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_CONNECTION_DURATION_IN_SECONDS } from '../../../shared/protocol/limits';
import { memoryDeps } from '../../../test/support/fixtures';
import { LimitReachedError } from '../../errors';
import { countMySockets } from './count-my-sockets';
import { openConnection } from './open-connection';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

describe('countMySockets', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts the caller’s open sockets as the cap does: at max, the next handshake is refused', async () => {
    const deps = { ...memoryDeps(), caps: { socketsPerUser: 2 } };
    const open = openConnection(deps);
    const count = countMySockets(deps);
    expect(await count({ userId: 'alice' })).toEqual({ open: 0, max: 2, devices: [] });
    await open({ connectionId: 'a1', userId: 'alice', deviceId: 'laptop', correlationId: 'c' });
    await open({ connectionId: 'b1', userId: 'bob', deviceId: 'phone', correlationId: 'c' });
    expect(await count({ userId: 'alice' })).toEqual({ open: 1, max: 2, devices: ['laptop'] });
    await open({ connectionId: 'a2', userId: 'alice', correlationId: 'c' });
    expect(await count({ userId: 'alice' })).toEqual({ open: 2, max: 2, devices: ['laptop'] });
    await expect(open({ connectionId: 'a3', userId: 'alice', correlationId: 'c' })).rejects.toThrow(
      LimitReachedError,
    );
    expect(await count({ userId: 'alice' })).toEqual({ open: 2, max: 2, devices: ['laptop'] });
  });

  it('leaves out sockets past their expiry, whose $disconnect never came', async () => {
    const deps = { ...memoryDeps(), caps: { socketsPerUser: 2 } };
    await openConnection(deps)({ connectionId: 'a1', userId: 'alice', correlationId: 'c' });
    vi.setSystemTime(T0 + (MAX_CONNECTION_DURATION_IN_SECONDS + 6 * 60) * 1000);
    expect(await countMySockets(deps)({ userId: 'alice' })).toEqual({ open: 0, max: 2, devices: [] });
  });
});
