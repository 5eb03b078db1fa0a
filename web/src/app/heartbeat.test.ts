import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IDLE_TIMEOUT_IN_SECONDS } from '../../../shared/protocol/limits';
import { Heartbeat, PING_AFTER_IDLE_IN_MS, PONG_WAIT_IN_MS } from './heartbeat';

const MINUTE_IN_MS = 60_000;

describe('Heartbeat', () => {
  let pings: number[];
  let deaths: number;
  let heartbeat: Heartbeat;
  let pongs: boolean;

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    pings = [];
    deaths = 0;
    pongs = true;
    heartbeat = new Heartbeat({
      ping: () => {
        pings.push(Date.now());
        // The socket's send calls sent(); API Gateway's pong comes back at once while the socket lives.
        heartbeat.sent();
        if (pongs) queueMicrotask(() => heartbeat.received());
      },
      dead: () => {
        deaths += 1;
      },
    });
    heartbeat.sent();
  });

  afterEach(() => {
    heartbeat.stop();
    vi.useRealTimers();
  });

  it('pings an idle socket every 5 minutes, well inside the 10-minute idle timeout: 12 pings an hour', async () => {
    await vi.advanceTimersByTimeAsync(60 * MINUTE_IN_MS);
    expect(pings).toHaveLength(12);
    expect(pings.slice(0, 2)).toEqual([PING_AFTER_IDLE_IN_MS, 2 * PING_AFTER_IDLE_IN_MS]);
    expect(PING_AFTER_IDLE_IN_MS).toBeLessThan(IDLE_TIMEOUT_IN_SECONDS * 1000);
    expect(deaths).toBe(0);
  });

  it('does not ping a socket that keeps sending', async () => {
    for (let minute = 0; minute < 60; minute += 1) {
      await vi.advanceTimersByTimeAsync(4 * MINUTE_IN_MS);
      heartbeat.sent();
    }
    expect(pings).toEqual([]);
  });

  it('counts the idle time from the last frame sent', async () => {
    await vi.advanceTimersByTimeAsync(3 * MINUTE_IN_MS);
    heartbeat.sent();
    await vi.advanceTimersByTimeAsync(PING_AFTER_IDLE_IN_MS - 1);
    expect(pings).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(pings).toEqual([3 * MINUTE_IN_MS + PING_AFTER_IDLE_IN_MS]);
  });

  it('gives the socket up when nothing at all comes back after a ping', async () => {
    pongs = false;
    await vi.advanceTimersByTimeAsync(PING_AFTER_IDLE_IN_MS + PONG_WAIT_IN_MS - 1);
    expect(deaths).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(deaths).toBe(1);
    // Stopped: it neither pings again nor gives up twice.
    await vi.advanceTimersByTimeAsync(60 * MINUTE_IN_MS);
    expect(pings).toHaveLength(1);
    expect(deaths).toBe(1);
  });

  it('takes any frame, a push as well as a pong, as a sign of life', async () => {
    pongs = false;
    await vi.advanceTimersByTimeAsync(PING_AFTER_IDLE_IN_MS + PONG_WAIT_IN_MS / 2);
    heartbeat.received();
    await vi.advanceTimersByTimeAsync(PONG_WAIT_IN_MS);
    expect(deaths).toBe(0);
  });

  it('stops pinging once stopped', async () => {
    heartbeat.stop();
    await vi.advanceTimersByTimeAsync(60 * MINUTE_IN_MS);
    expect(pings).toEqual([]);
  });
});
