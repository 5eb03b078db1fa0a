/**
 * `npm run bench -- push`: what Web Push adds to a message. Bob reads on his laptop (an open socket) and
 * has a phone and a tablet whose browsers are closed, each subscribed at the local push-service stand-in.
 * Alice sends the same messages twice in one run, first with neither closed device subscribed, then with
 * both: the difference in billed units is what pushes cost. Each time once paced (one message every
 * 300 ms, as a conversation goes) and once as a burst (all at once), where the push sender's batching
 * window folds a conversation's messages into one push per device.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StandInSubscription } from '../infra/local/push-service';
import { apiFor, befriend } from '../test/support/api';
import { signUp } from '../test/support/personas';
import { connect } from '../test/support/socket';
import { startTestStack, type TestStack } from '../test/support/stack';
import { eventually } from '../test/support/table';
import { UNLIMITED } from './allowances';
import { costPerMillion, type UnitsPerMessage, unitsPerMessage } from './cost';
import { summary } from './stats';

const MESSAGES = Number(process.env.BENCH_PUSH_MESSAGES ?? 60);
const PACE_IN_MS = 300;
const BODY = Buffer.alloc(256, 7).toString('base64');
/** Long enough for the last push and any retry to finish before the meter is read. */
const SETTLE_IN_MS = 2_500;

interface Run {
  readonly label: string;
  readonly units: UnitsPerMessage;
  readonly pushes: number;
  readonly latencies: number[];
}

export async function measurePush(): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-push-'));
  let stack: TestStack | undefined;
  try {
    stack = await startTestStack({ dataDir, rateLimits: UNLIMITED });
    const running = stack;
    const [alice, bob] = await Promise.all([signUp(running, 'alice'), signUp(running, 'bob')]);
    await befriend(running, alice, bob);
    const [alices, bobs] = [apiFor(running, alice), apiFor(running, bob)];
    for (const [deviceId, seed] of [
      ['laptop', 1],
      ['phone', 2],
      ['tablet', 3],
    ] as const) {
      await bobs.registerDevice({
        body: { deviceId, signaturePublicKey: Buffer.alloc(32, seed).toString('base64') },
      });
    }
    const conversationId = (await alices.createConversation({ body: { kind: 'direct', userId: bob.userId } }))
      .conversationId;
    const laptop = await connect(running.endpoints.webSocketUrl, bob.accessToken, { deviceId: 'laptop' });
    let sent = 0;

    const run = async (label: string, pacing: 'paced' | 'burst', subscriptions: StandInSubscription[]) => {
      const sentAt = new Map<number, number>();
      await new Promise((resolve) => setTimeout(resolve, SETTLE_IN_MS));
      running.meter.reset();
      running.meter.meterCapacity(true);
      const send = async () => {
        sent += 1;
        const messageId = `bench-${sent}`;
        const at = Date.now();
        const { seq } = await alices.postMessage({
          params: { conversationId },
          body: { messageId, body: BODY },
        });
        sentAt.set(seq, at);
        return messageId;
      };
      const ids: string[] = [];
      if (pacing === 'burst') ids.push(...(await Promise.all(Array.from({ length: MESSAGES }, send))));
      else {
        for (let n = 0; n < MESSAGES; n += 1) {
          ids.push(await send());
          await new Promise((resolve) => setTimeout(resolve, PACE_IN_MS));
        }
      }
      for (const id of ids)
        await laptop.waitFor((frame) => (frame as { messageId?: string }).messageId === id, {
          timeoutMs: 30_000,
        });
      const received = () =>
        subscriptions
          .flatMap((subscription) => running.pushService.received(subscription.endpoint))
          .filter((push) => {
            const payload = JSON.parse(push.payload) as { seq: number };
            return sentAt.has(payload.seq);
          });
      if (subscriptions.length > 0) {
        // Every message is counted in some push to each device.
        await eventually(async () => {
          const counted = received().reduce(
            (total, push) => total + (JSON.parse(push.payload) as { count: number }).count,
            0,
          );
          return counted >= MESSAGES * subscriptions.length ? true : undefined;
        }, 60_000);
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_IN_MS));
      const usage = running.meter.usage();
      running.meter.meterCapacity(false);
      const pushes = received();
      const latencies = pushes.map(
        (push) => push.receivedAt - (sentAt.get((JSON.parse(push.payload) as { seq: number }).seq) ?? 0),
      );
      return {
        label,
        units: unitsPerMessage(usage, MESSAGES),
        pushes: pushes.length,
        latencies,
      } satisfies Run;
    };

    const subscribe = async (deviceId: string) => {
      const subscription = running.pushService.subscribe(running.vapidPublicKey);
      await bobs.putPushSubscription({ params: { deviceId }, body: { ...subscription, preview: 'name' } });
      return subscription;
    };

    const runs: Run[] = [];
    runs.push(await run('paced, no device takes pushes', 'paced', []));
    runs.push(await run('burst, no device takes pushes', 'burst', []));
    const subscriptions = [await subscribe('phone'), await subscribe('tablet')];
    runs.push(await run('paced, 2 closed devices take pushes', 'paced', subscriptions));
    runs.push(await run('burst, 2 closed devices take pushes', 'burst', subscriptions));
    await laptop.close();
    return report(runs);
  } finally {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(runs: readonly Run[]): string[] {
  const [pacedBase, burstBase, paced, burst] = runs as [Run, Run, Run, Run];
  const row = (run: Run, base: Run | undefined) => {
    const cost = costPerMillion(run.units);
    const extra = base ? cost.total - costPerMillion(base.units).total : 0;
    const latency = run.latencies.length > 0 ? summary(run.latencies) : undefined;
    return `| ${run.label} | ${(run.pushes / MESSAGES).toFixed(2)} | ${run.units.readUnits.toFixed(2)} | ${run.units.writeUnits.toFixed(2)} | ${run.units.sqsRequests.toFixed(2)} | ${run.units.lambdaInvocations.toFixed(2)} | $${cost.total.toFixed(2)} | ${base ? `$${extra.toFixed(2)}` : '–'} | ${latency ? `${Math.round(latency.p50)} / ${Math.round(latency.p90)}` : '–'} |`;
  };
  return [
    `## Web Push (${MESSAGES} messages per row, Alice to Bob; Bob's laptop open)`,
    '',
    '| run | pushes per message | read units | write units | SQS requests | invocations | $ per million messages | push path, $ per million | send → push p50 / p90 ms |',
    '|---|---|---|---|---|---|---|---|---|',
    row(pacedBase, undefined),
    row(burstBase, undefined),
    row(paced, pacedBase),
    row(burst, burstBase),
  ];
}
