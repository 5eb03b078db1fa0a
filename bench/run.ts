/**
 * `npm run bench`: measures the local stack — start time, delivery latency
 * between two users, burst throughput, bundle sizes and memory, and the
 * message path: what a message costs in billed units, a hop-by-hop trace of
 * one send, contention in one conversation, push latency under steady load
 * and the stack's ceiling — and the E2EE module (`e2ee.ts`), and prints a
 * Markdown report (also written to `.local/bench/report.md`).
 * `npm run bench -- e2ee`, `-- stack`, `-- web`, `-- lambdas`, `-- attachments`, `-- push`, `-- delete` or `-- history`
 * runs one part.
 *
 * Numbers from a shared machine are indications, not limits: nothing here
 * fails on a slow run. Compare runs on the same machine.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import type { Usage } from '../infra/local/meter';
import { REPO_ROOT } from '../infra/paths';
import { FUNCTIONS, type FunctionName } from '../infra/topology';
import { sendFrame } from '../shared/protocol/inbound';
import { NEW_CONNECTION_PUSHED_WITHIN_IN_MS } from '../shared/protocol/limits';
import { parseOutboundFrame } from '../shared/protocol/outbound';
import { apiFor, befriend } from '../test/support/api';
import { signUp } from '../test/support/personas';
import { connect, type TestSocket } from '../test/support/socket';
import { startTestStack, type TestStack } from '../test/support/stack';
import { UNLIMITED } from './allowances';
import { measureAttachments } from './attachments';
import { floorUnits, type UnitsPerMessage, unitsPerMessage } from './cost';
import { measureDeleteAccount } from './delete-account';
import { measureE2ee } from './e2ee';
import { measureHistory } from './history';
import { measureLambdas } from './lambdas';
import { type LoadAverages, loadLine, loadNow, type Measured, withLoad } from './load-average';
import { measureMessagePath, type TracedSend, traceSend } from './message-path';
import { inPool, signUpMany } from './population';
import { measurePush } from './push';
import { summary } from './stats';
import { measureWeb } from './web';

const SEQUENTIAL_MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1000);
const BURST_MESSAGES = Number(process.env.BENCH_BURST ?? 500);
const WARM_UP_MESSAGES = 20;
const BODY = Buffer.alloc(256, 7).toString('base64');

interface Arrivals {
  /** messageId → time the frame arrived (performance.now()). */
  readonly times: Map<string, number>;
  readonly seqs: number[];
  wait(messageId: string): Promise<number>;
}

/** Records when each ack or message frame arrives, keyed by messageId. */
function arrivals(socket: TestSocket, type: 'ack' | 'message'): Arrivals {
  const times = new Map<string, number>();
  const seqs: number[] = [];
  const waiting = new Map<string, (time: number) => void>();
  socket.ws.on('message', (data) => {
    const now = performance.now();
    const frame = parseOutboundFrame(data.toString());
    if (frame.type !== type) return;
    times.set(frame.messageId, now);
    seqs.push(frame.seq);
    waiting.get(frame.messageId)?.(now);
    waiting.delete(frame.messageId);
  });
  return {
    times,
    seqs,
    wait: (messageId) => {
      const known = times.get(messageId);
      if (known !== undefined) return Promise.resolve(known);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${type} for ${messageId} never came`)), 30_000);
        waiting.set(messageId, (time) => {
          clearTimeout(timer);
          resolve(time);
        });
      });
    },
  };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

async function measureStart(dataDir: string) {
  const cold = await startTestStack({ dataDir, logLevel: 'WARN', rateLimits: UNLIMITED });
  const coldMs = cold.startupMs;
  await cold.stop();
  const warm = await startTestStack({ dataDir, rateLimits: UNLIMITED, trace: true });
  return { coldMs, warm };
}

async function measureDelivery(stack: TestStack) {
  const [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
  await befriend(stack, alice, bob);
  const alicePhone = await connect(stack.endpoints.webSocketUrl, alice.accessToken);
  const bobPhone = await connect(stack.endpoints.webSocketUrl, bob.accessToken);
  const acks = arrivals(alicePhone, 'ack');
  const pushes = arrivals(bobPhone, 'message');
  let counter = 0;
  const send = (prefix: string) => {
    const messageId = `${prefix}-${++counter}`;
    const sentAt = performance.now();
    alicePhone.send(sendFrame({ recipientId: bob.userId, messageId, body: BODY }));
    return { messageId, sentAt };
  };

  for (let i = 0; i < WARM_UP_MESSAGES; i++) {
    const { messageId } = send('warm');
    await pushes.wait(messageId);
  }

  const ackLatency: number[] = [];
  const deliveryLatency: number[] = [];
  for (let i = 0; i < SEQUENTIAL_MESSAGES; i++) {
    const { messageId, sentAt } = send('seq');
    const [acked, delivered] = await Promise.all([acks.wait(messageId), pushes.wait(messageId)]);
    ackLatency.push(acked - sentAt);
    deliveryLatency.push(delivered - sentAt);
  }

  const seqsBeforeBurst = pushes.seqs.length;
  const burstStart = performance.now();
  const burst = Array.from({ length: BURST_MESSAGES }, () => send('burst'));
  await Promise.all(burst.map(({ messageId }) => pushes.wait(messageId)));
  const burstMs = performance.now() - burstStart;
  const burstSeqs = [...pushes.seqs.slice(seqsBeforeBurst)].sort((a, b) => a - b);
  const gapFree = burstSeqs.every((seq, index) => index === 0 || seq === (burstSeqs[index - 1] ?? 0) + 1);
  const duplicates = burstSeqs.length - new Set(burstSeqs).size;

  await Promise.all([alicePhone.close(), bobPhone.close()]);
  return {
    ack: summary(ackLatency),
    delivery: summary(deliveryLatency),
    burst: {
      messages: BURST_MESSAGES,
      ms: burstMs,
      perSecond: (BURST_MESSAGES * 1000) / burstMs,
      gapFree,
      duplicates,
    },
  };
}

/** Requests per message: the meter's counts over `messages` messages, with pollers' receives left out. */
function perMessage(counts: Record<string, number>, messages: number) {
  return (
    Object.entries(counts)
      // Long-poll receives run whether or not there is traffic: not a cost of a message.
      .filter(([key]) => key !== 'sqs ReceiveMessage')
      .map(([key, count]) => ({ key, perMessage: count / messages }))
  );
}

const COST_MESSAGES = 50;

/** Time for the fan-out's trailing writes (read mark, deletes) to land after the last push. */
const TRAILING_WRITES_IN_MS = 500;

/** What a scenario's messages cost: requests by operation, and billed units while capacity was metered. */
interface ScenarioCost {
  readonly requests: ReturnType<typeof perMessage>;
  readonly units: UnitsPerMessage;
}

/** Runs `send` `messages` times with DynamoDB capacity metered, and reads the meter. */
async function metered(stack: TestStack, messages: number, send: (index: number) => Promise<unknown>) {
  await new Promise((resolve) => setTimeout(resolve, TRAILING_WRITES_IN_MS));
  stack.meter.reset();
  stack.meter.meterCapacity(true);
  try {
    for (let i = 0; i < messages; i += 1) await send(i);
    await new Promise((resolve) => setTimeout(resolve, TRAILING_WRITES_IN_MS));
  } finally {
    stack.meter.meterCapacity(false);
  }
  const usage: Usage = stack.meter.usage();
  return { requests: perMessage(stack.meter.snapshot(), messages), units: unitsPerMessage(usage, messages) };
}

/**
 * What one message costs in a 1:1 chat where each user has two devices:
 * sent from one of Alice's devices, delivered to Bob's two and Alice's other.
 * Then one more such send, alone, traced hop by hop.
 */
async function measureDirectCost(
  stack: TestStack,
): Promise<ScenarioCost & { traces: { byRecipient: TracedSend; byConversation: TracedSend } }> {
  const [alice, bob] = await Promise.all([signUp(stack, 'ann'), signUp(stack, 'ben')]);
  await befriend(stack, alice, bob);
  const sockets = await Promise.all(
    [alice, alice, bob, bob].map((p) => connect(stack.endpoints.webSocketUrl, p.accessToken)),
  );
  const [sender, ...others] = sockets as [TestSocket, ...TestSocket[]];
  const receivers = others.map((socket) => arrivals(socket, 'message'));
  const acks = arrivals(sender, 'ack');
  const send = async (messageId: string) => {
    sender.send(sendFrame({ recipientId: bob.userId, messageId, body: BODY }));
    await Promise.all([acks.wait(messageId), ...receivers.map((r) => r.wait(messageId))]);
  };
  await send('cost-warm');
  const cost = await metered(stack, COST_MESSAGES, (i) => send(`cost-${i}`));
  const traced = (frame: { recipientId: string } | { conversationId: string }, messageId: string) =>
    traceSend(
      stack,
      {
        send: (id) => sender.send(sendFrame({ ...frame, messageId: id, body: BODY })),
        ack: (id) => acks.wait(id),
        pushes: (id) => receivers.map((receiver) => receiver.wait(id)),
      },
      messageId,
    );
  const byRecipient = await traced({ recipientId: bob.userId }, 'traced-by-recipient');
  const { conversationId } = await sender.waitFor<{ conversationId: string }>(
    (frame) => (frame as { type?: string }).type === 'ack',
  );
  const byConversation = await traced({ conversationId }, 'traced-by-conversation');
  await Promise.all(sockets.map((socket) => socket.close()));
  return { ...cost, traces: { byRecipient, byConversation } };
}

const GROUP_SIZE = Number(process.env.BENCH_GROUP ?? 100);
const GROUP_MESSAGES = Number(process.env.BENCH_GROUP_MESSAGES ?? 50);

/** Delivery latency and cost in a group of GROUP_SIZE members, one device each. */
async function measureGroup(stack: TestStack) {
  const owner = await signUp(stack, 'owner');
  const members = await signUpMany(stack, GROUP_SIZE - 1, 'member');
  await inPool(members, 8, (member) => befriend(stack, member, owner));
  const group = await apiFor(stack, owner).createConversation({
    body: { kind: 'group', name: 'Benchmark', memberIds: members.map((m) => m.userId) },
  });
  const sender = await connect(stack.endpoints.webSocketUrl, owner.accessToken);
  const sockets = await Promise.all(members.map((m) => connect(stack.endpoints.webSocketUrl, m.accessToken)));
  const receivers = sockets.map((socket) => arrivals(socket, 'message'));
  // A group this large is fanned out from connection lists up to this old: a socket gets its pushes once
  // it has been open this long (a client reads what it missed then, which these sockets do not).
  await new Promise((resolve) => setTimeout(resolve, NEW_CONNECTION_PUSHED_WITHIN_IN_MS));
  const perRecipient: number[] = [];
  const lastRecipient: number[] = [];
  const send = async (messageId: string) => {
    const sentAt = performance.now();
    sender.send(sendFrame({ conversationId: group.conversationId, messageId, body: BODY }));
    const times = await Promise.all(receivers.map((r) => r.wait(messageId)));
    return times.map((time) => time - sentAt);
  };
  for (let i = 0; i < 3; i += 1) await send(`group-warm-${i}`);
  // Latency first, unmetered: capacity metering reads around every write and would slow it down.
  for (let i = 0; i < GROUP_MESSAGES; i += 1) {
    const latencies = await send(`group-${i}`);
    perRecipient.push(...latencies);
    lastRecipient.push(Math.max(...latencies));
  }
  const cost = await metered(stack, GROUP_MESSAGES, (i) => send(`group-cost-${i}`));
  await Promise.all([sender, ...sockets].map((socket) => socket.close()));
  return {
    perRecipient: summary(perRecipient),
    lastRecipient: summary(lastRecipient),
    cost,
  };
}

function costTable(title: string, rows: ReturnType<typeof perMessage>) {
  return [
    `| ${title} | per message |`,
    '|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.key} | ${Number.isInteger(row.perMessage) ? row.perMessage : row.perMessage.toFixed(2)} |`,
    ),
  ];
}

function bundleSizes(buildDir: string) {
  return (Object.keys(FUNCTIONS) as FunctionName[]).map((name) => {
    const file = join(buildDir, name, 'index.mjs');
    const bytes = statSync(file).size;
    const gzip = gzipSync(readFileSync(file), { level: 9 }).length;
    return { name, bytes, gzip };
  });
}

/** The local stack part: start, latency, throughput, cost per message, memory, function bundles, the message path. */
async function measureLocalStack(): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  try {
    const loadAtStart = loadNow();
    const { coldMs, warm } = await measureStart(dataDir);
    let delivery: Awaited<ReturnType<typeof measureDelivery>>;
    let direct: Measured<Awaited<ReturnType<typeof measureDirectCost>>>;
    let group: Measured<Awaited<ReturnType<typeof measureGroup>>>;
    try {
      delivery = await measureDelivery(warm);
      direct = await withLoad(() => measureDirectCost(warm));
      group = await withLoad(() => measureGroup(warm));
    } finally {
      await warm.stop();
    }
    const stackLoad: LoadAverages = { start: loadAtStart, end: loadNow() };
    const rss = process.memoryUsage().rss;
    const bundles = bundleSizes(join(dataDir, 'build'));
    const path = await measureMessagePath({
      rateLimits: UNLIMITED,
      groupSize: GROUP_SIZE,
      costs: {
        direct: { units: direct.value.units, floor: floorUnits(3), load: direct.load },
        group: { units: group.value.cost.units, floor: floorUnits(GROUP_SIZE - 1), load: group.load },
      },
      traces: { ...direct.value.traces, load: direct.load },
    });

    return [
      '| what | value |',
      '|---|---|',
      `| local stack start, fresh \`.local/\` (bundling, table, queues, user pool created) | ${ms(coldMs)} |`,
      `| local stack start, existing \`.local/\` | ${ms(warm.startupMs)} |`,
      `| ack latency over ${SEQUENTIAL_MESSAGES} sequential sends, p50 / p90 / p99 / max | ${ms(delivery.ack.p50)} / ${ms(delivery.ack.p90)} / ${ms(delivery.ack.p99)} / ${ms(delivery.ack.max)} |`,
      `| delivery latency (send → push at the other user) p50 / p90 / p99 / max | ${ms(delivery.delivery.p50)} / ${ms(delivery.delivery.p90)} / ${ms(delivery.delivery.p99)} / ${ms(delivery.delivery.max)} |`,
      `| burst of ${delivery.burst.messages} sends at once, all delivered | ${ms(delivery.burst.ms)} (${delivery.burst.perSecond.toFixed(0)} messages/s), gap-free: ${delivery.burst.gapFree}, duplicates: ${delivery.burst.duplicates} |`,
      `| memory of the local stack process after the run (RSS, without cognito-local) | ${(rss / 1024 / 1024).toFixed(0)} MiB |`,
      `| group of ${GROUP_SIZE} (one device each), ${GROUP_MESSAGES} messages: send → push, per recipient, p50 / p90 / p99 / max | ${ms(group.value.perRecipient.p50)} / ${ms(group.value.perRecipient.p90)} / ${ms(group.value.perRecipient.p99)} / ${ms(group.value.perRecipient.max)} |`,
      `| same, until the last of the ${GROUP_SIZE - 1} recipients has it, p50 / p99 | ${ms(group.value.lastRecipient.p50)} / ${ms(group.value.lastRecipient.p99)} |`,
      '',
      `The rows above: ${loadLine(stackLoad)}`,
      '',
      ...costTable(`1:1, two devices each (${COST_MESSAGES} messages)`, direct.value.requests),
      '',
      ...costTable(
        `group of ${GROUP_SIZE}, one device each (${GROUP_MESSAGES} messages)`,
        group.value.cost.requests,
      ),
      '',
      '| function | bundle | gzip |',
      '|---|---|---|',
      ...bundles.map((bundle) => `| ${bundle.name} | ${kib(bundle.bytes)} | ${kib(bundle.gzip)} |`),
      '',
      ...path,
    ];
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const PARTS = {
  stack: measureLocalStack,
  e2ee: measureE2ee,
  web: measureWeb,
  lambdas: measureLambdas,
  attachments: measureAttachments,
  push: measurePush,
  delete: measureDeleteAccount,
  history: measureHistory,
} as const satisfies Record<string, () => Promise<string[]>>;

type Part = keyof typeof PARTS;

const isPart = (arg: string): arg is Part => Object.hasOwn(PARTS, arg);

/** `npm run bench` runs every part; `npm run bench -- e2ee` (or `stack`) only the ones named, in this order. */
function selectedParts(args: readonly string[]): Part[] {
  const unknown = args.filter((arg) => !isPart(arg));
  if (unknown.length > 0) {
    throw new Error(`Unknown benchmark part ${unknown.join(', ')}; known: ${Object.keys(PARTS).join(', ')}`);
  }
  // The stack part reports the process's memory: it runs first, before the E2EE groups exist.
  return (Object.keys(PARTS) as Part[]).filter((part) => args.length === 0 || args.includes(part));
}

async function main() {
  const parts = selectedParts(process.argv.slice(2));
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${availableParallelism()} cores, Node ${process.versions.node}.`,
  ];
  for (const part of parts) lines.push('', ...(await PARTS[part]()));
  const report = `${lines.join('\n')}\n`;
  const outDir = join(REPO_ROOT, '.local', 'bench');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.md'), report);
  process.stdout.write(report);
}

await main();
