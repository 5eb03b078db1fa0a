import { describe, expect, it } from 'vitest';
import type { TraceRecords } from '../infra/local/trace';
import { hopsByInvocation, serialRounds } from './trace';

const span = (startedAt: number, endedAt: number) => ({ startedAt, endedAt });

describe('serial round trips', () => {
  it('counts requests one after another as one round each', () => {
    expect(serialRounds([span(0, 2), span(3, 5), span(6, 7)])).toBe(3);
  });

  it('counts requests that overlap in time as one round', () => {
    expect(serialRounds([span(0, 5), span(1, 4), span(2, 6), span(7, 9)])).toBe(2);
  });

  it('reads requests in the order they started, whatever order they were recorded in', () => {
    expect(serialRounds([span(7, 9), span(0, 5), span(1, 6)])).toBe(2);
  });

  it('is zero for no requests', () => {
    expect(serialRounds([])).toBe(0);
  });
});

describe('hops by invocation', () => {
  const invocation = (id: string, functionName: 'wsSend' | 'fanoutSender', startedAt: number) => ({
    id,
    functionName,
    requestedAt: startedAt,
    startedAt,
    endedAt: startedAt + 50,
    ok: true,
  });
  const request = (
    invocationId: string | undefined,
    operation: string,
    startedAt: number,
    endedAt: number,
  ) => ({
    service: 'dynamodb' as const,
    operation,
    startedAt,
    endedAt,
    status: 200,
    ...(invocationId ? { invocationId } : {}),
  });

  it('gives each invocation its own requests, and counts the rounds before its first post', () => {
    const records: TraceRecords = {
      invocations: [invocation('b', 'fanoutSender', 60), invocation('a', 'wsSend', 0)],
      requests: [
        request('a', 'GetItem', 1, 3),
        request('a', 'PutItem', 4, 6),
        request('b', 'GetItem', 61, 63),
        request('b', 'BatchGetItem', 64, 66),
        request('b', 'PostToConnection', 67, 68),
        request('b', 'PostToConnection', 67, 69),
        request('b', 'UpdateItem', 70, 72),
        request(undefined, 'DeleteMessageBatch', 112, 113),
      ],
      events: [],
    };
    const [send, sender] = hopsByInvocation(records);
    expect(send?.invocation.functionName).toBe('wsSend');
    expect(send?.rounds).toBe(2);
    expect(send?.roundsBeforeFirstPost).toBeUndefined();
    expect(sender?.requests).toHaveLength(5);
    expect(sender?.rounds).toBe(4);
    expect(sender?.roundsBeforeFirstPost).toBe(2);
  });

  it('counts from when the function sent and had its answer, not when the stand-in got to it', () => {
    const records: TraceRecords = {
      invocations: [invocation('b', 'fanoutSender', 0)],
      requests: [1, 2, 3].map((n) => ({
        ...request('b', 'PostToConnection', 10 + n, 11 + n),
        sentAt: 10,
        answeredAt: 15,
      })),
      events: [],
    };
    expect(hopsByInvocation(records)[0]?.rounds).toBe(1);
  });
});
