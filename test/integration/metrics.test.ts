import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionLogLine } from '../../infra/local/lambda-runtime';
import type { FunctionName } from '../../infra/topology';
import { sendFrame } from '../../shared/protocol/inbound';
import { apiFor, befriend } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually } from '../support/table';

/** An EMF record as a function printed it: CloudWatch's directive beside the values. */
interface EmfRecord {
  readonly _aws: {
    readonly CloudWatchMetrics: ReadonlyArray<{
      readonly Namespace: string;
      readonly Dimensions: string[][];
    }>;
  };
  readonly [key: string]: unknown;
}

/** The EMF records a function printed so far (its other lines are JSON logs without `_aws`). */
function emfOf(logs: readonly FunctionLogLine[], functionName: FunctionName): EmfRecord[] {
  return logs
    .filter((log) => log.functionName === functionName && log.line.includes('"_aws"'))
    .map((log) => JSON.parse(log.line) as EmfRecord);
}

/** A metric's values in one record: one number, or one per time it was recorded in the invocation. */
const valuesOf = (record: EmfRecord, name: string): number[] =>
  record[name] === undefined ? [] : [record[name] as number | number[]].flat();

/** The business metrics, printed by the deployed handler code as CloudWatch embedded metric format lines. */
describe('metrics', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let alicePhone: TestSocket;
  let bobPhone: TestSocket;

  beforeAll(async () => {
    // A rate limit of one search a minute, so a second search is refused.
    stack = await startTestStack({ rateLimits: { search: { limit: 1, windowSeconds: 60 } } });
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    await befriend(stack, alice, bob);
    [alicePhone, bobPhone] = await Promise.all([
      connect(stack.endpoints.webSocketUrl, alice.accessToken),
      connect(stack.endpoints.webSocketUrl, bob.accessToken),
    ]);
  });

  afterAll(async () => {
    await Promise.all([alicePhone?.close(), bobPhone?.close()]);
    await stack?.stop();
  });

  it('counts a message stored and its post to the recipient, with the delay from storing to posting', async () => {
    const sentAt = Date.now();
    alicePhone.send(
      sendFrame({
        requestId: 'r-1',
        recipientId: bob.userId,
        messageId: 'metric-1',
        body: randomBytes(64).toString('base64'),
      }),
    );
    await alicePhone.next('ack');
    await bobPhone.next('message');
    // Stored after the frame left and posted before Bob had it: the delay fits inside that span.
    const span = Date.now() - sentAt;

    const stored = await eventually(async () =>
      emfOf(stack.logs, 'wsSend').find((record) => valuesOf(record, 'MessagesStored').length > 0),
    );
    expect(valuesOf(stored, 'MessagesStored').reduce((sum, value) => sum + value, 0)).toBeGreaterThanOrEqual(
      1,
    );
    expect(stored._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'Parley',
      Dimensions: [['service', 'stage']],
    });
    expect(stored).toMatchObject({ service: 'ws-send', stage: 'local' });

    const posted = await eventually(async () =>
      emfOf(stack.logs, 'fanoutSender').find((record) => valuesOf(record, 'SendToPushDelay').length > 0),
    );
    expect(valuesOf(posted, 'FanoutPosts').reduce((sum, value) => sum + value, 0)).toBeGreaterThanOrEqual(1);
    for (const delay of valuesOf(posted, 'SendToPushDelay')) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(span);
    }
  });

  it('counts a request refused by its rate limit', async () => {
    const search = () =>
      fetch(`${stack.endpoints.httpApiUrl}/users?prefix=bob`, {
        headers: { authorization: `Bearer ${alice.accessToken}` },
      });
    expect((await search()).status).toBe(200);
    expect((await search()).status).toBe(429);

    const refused = await eventually(async () =>
      emfOf(stack.logs, 'httpAccount').find((record) => valuesOf(record, 'RateLimitRefusals').length > 0),
    );
    expect(valuesOf(refused, 'RateLimitRefusals')).toEqual([1]);
  });

  it('prints no record, and no warning, for invocations that counted nothing', async () => {
    await apiFor(stack, bob).getMe();

    // Every record has at least one value: none is printed empty.
    for (const log of stack.logs.filter((line) => line.line.includes('"_aws"'))) {
      const record = JSON.parse(log.line) as EmfRecord & {
        _aws: { CloudWatchMetrics: Array<{ Metrics: unknown[] }> };
      };
      expect(record._aws.CloudWatchMetrics[0]?.Metrics.length).toBeGreaterThan(0);
    }
    expect(stack.logs.filter((log) => log.line.includes('No application metrics'))).toEqual([]);
  });
});
