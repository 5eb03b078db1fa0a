/**
 * The message path, measured as its issue asks, each row beside its target:
 * - what a message costs on AWS, in billed units, against the design's floor;
 * - a hop-by-hop trace of one 1:1 send, and each function's serial round trips;
 * - 500 sends at once into one conversation against the same 500 over 250
 *   conversations, at 4 and at 8 execution environments per function;
 * - push latency at 1,000 connections under steady 1:1 traffic, and the
 *   highest rate the local stack keeps up with.
 *
 * `BENCH_LOAD_PEOPLE` (500), `BENCH_LOAD_DEVICES` (2), `BENCH_CONTENTION` (500),
 * `BENCH_STEADY_RATE` (25), `BENCH_STEADY_SECONDS` (20), `BENCH_CEILING_RATES`
 * (25,35,50,70,100,140,200), `BENCH_CEILING_SECONDS` (10) and
 * `BENCH_ENVIRONMENTS` (4,8) shrink it while developing.
 */
import { performance } from 'node:perf_hooks';
import type { RateLimit, RateLimitedAction } from '../functions/ports/rate-limiter';
import type { TraceRecords } from '../infra/local/trace';
import { startTestStack, type TestStack } from '../test/support/stack';
import { costPerMillion, type UnitsPerMessage } from './cost';
import {
  type BurstResult,
  buildPopulation,
  burst,
  CEILING_P99_IN_MS,
  offer,
  type Population,
  type SteadyResult,
  withinCeiling,
} from './load';
import { type LoadAverages, loadLine, withLoad } from './load-average';
import { type ClientEvent, hopsByInvocation, roundsOf, timelineRows } from './trace';

const numberList = (value: string | undefined, fallback: number[]) =>
  value
    ? value
        .split(',')
        .map(Number)
        .filter((n) => n > 0)
    : fallback;

const LOAD_PEOPLE = Number(process.env.BENCH_LOAD_PEOPLE ?? 500);
const LOAD_DEVICES = Number(process.env.BENCH_LOAD_DEVICES ?? 2);
const CONTENTION_MESSAGES = Number(process.env.BENCH_CONTENTION ?? 500);
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 25);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 20);
/** Offered rates for the ceiling, each about 1.4 times the one before. */
const CEILING_RATES = numberList(process.env.BENCH_CEILING_RATES, [25, 35, 50, 70, 100, 140, 200]);
const CEILING_SECONDS = Number(process.env.BENCH_CEILING_SECONDS ?? 10);
const ENVIRONMENTS = numberList(process.env.BENCH_ENVIRONMENTS, [4, 8]);

/** The issue's targets, each printed beside its row. */
const TARGETS = {
  directUsdPerMillionMessages: 8,
  groupUsdPerMillionMessages: 105,
  sendRoundTrips: 4,
  senderRoundTripsBeforePost: 3,
  contentionRatio: 0.9,
  failedConditionalWritesPerMessage: 0.01,
  steadyP50InMs: 30,
  steadyP99InMs: 150,
  /** The ceiling is to be this many times what it was before the message path changed. */
  ceilingFactor: 2,
} as const;

/** The ceiling before the message path changed, as the issue measured it: 41–54 msg/s, taken at its top. */
const CEILING_BEFORE_IN_MESSAGES_PER_SECOND = 54;

/** One traced send: what the stack recorded, when it was sent, and what the clients saw. */
export interface TracedSend {
  readonly records: TraceRecords;
  readonly sentAt: number;
  readonly client: readonly ClientEvent[];
}

/**
 * Traces one send on its own: waits for the stack to be quiet, records while the message is sent, acked
 * and pushed, and a little after (the fan-out's trailing writes and the poller's delete).
 */
export async function traceSend(
  stack: TestStack,
  io: {
    send(messageId: string): void;
    ack(messageId: string): Promise<number>;
    pushes(messageId: string): Array<Promise<number>>;
  },
  messageId = 'traced',
): Promise<TracedSend> {
  const trace = stack.trace;
  if (!trace) throw new Error('Start the stack with `trace: true` to trace a send');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  trace.start();
  const sentAt = performance.now();
  io.send(messageId);
  const [ackAt, pushes] = await Promise.all([io.ack(messageId), Promise.all(io.pushes(messageId))]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const records = trace.stop();
  return {
    records,
    sentAt,
    client: [
      { at: sentAt, what: 'sends the frame' },
      { at: ackAt, what: 'gets the ack' },
      ...pushes.map((at, index) => ({ at, what: `device ${index + 1} gets the push` })),
    ],
  };
}

const usd = (value: number) => `$${value.toFixed(2)}`;
const units = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));
const ms = (value: number) => `${value.toFixed(1)} ms`;
const verdict = (met: boolean) => (met ? 'met' : '**not met**');

function costSection(
  costs: Record<'direct' | 'group', { units: UnitsPerMessage; floor: UnitsPerMessage; load: LoadAverages }>,
  groupSize: number,
): string[] {
  const { direct, group } = costs;
  const row = (label: string, pick: (u: UnitsPerMessage) => number) =>
    `| ${label} | ${units(pick(direct.units))} | ${units(pick(direct.floor))} | ${units(pick(group.units))} | ${units(pick(group.floor))} |`;
  const dollars = [direct, group].map((scenario) => ({
    measured: costPerMillion(scenario.units),
    floor: costPerMillion(scenario.floor),
  }));
  const [d, g] = dollars as [(typeof dollars)[number], (typeof dollars)[number]];
  return [
    '### What a message costs on AWS',
    '',
    `Billed units per message, counted by the local stand-ins while DynamoDB capacity was metered (1:1: ${loadLine(direct.load)} Group: ${loadLine(group.load)})`,
    '',
    `| per message | 1:1, two devices each | its floor | group of ${groupSize}, one device each | its floor |`,
    '|---|---|---|---|---|',
    row('DynamoDB read request units', (u) => u.readUnits),
    row('DynamoDB write request units (tables)', (u) => u.writeUnits),
    row('DynamoDB write request units (global secondary indexes)', (u) => u.gsiWriteUnits),
    row('DynamoDB failed conditional writes', (u) => u.failedConditionalWrites),
    row('DynamoDB write request units of those failed writes', (u) => u.failedConditionalWriteUnits),
    row('SQS billed requests (sends, non-empty receives, deletes)', (u) => u.sqsRequests),
    row('API Gateway messages (in and out, 32 KB units)', (u) => u.apiGatewayMessages),
    row('Lambda invocations', (u) => u.lambdaInvocations),
    `| Lambda GB-seconds | ${direct.units.lambdaGbSeconds.toFixed(4)} | – | ${group.units.lambdaGbSeconds.toFixed(4)} | – |`,
    '',
    '| $ per million messages | DynamoDB | API Gateway | SQS | Lambda | total | target | | floor |',
    '|---|---|---|---|---|---|---|---|---|',
    `| 1:1, two devices each | ${usd(d.measured.dynamodb)} | ${usd(d.measured.apigateway)} | ${usd(d.measured.sqs)} | ${usd(d.measured.lambda)} | **${usd(d.measured.total)}** | ≤ ${usd(TARGETS.directUsdPerMillionMessages)} | ${verdict(d.measured.total <= TARGETS.directUsdPerMillionMessages)} | ${usd(d.floor.total)} |`,
    `| group of ${groupSize}, one device each | ${usd(g.measured.dynamodb)} | ${usd(g.measured.apigateway)} | ${usd(g.measured.sqs)} | ${usd(g.measured.lambda)} | **${usd(g.measured.total)}** | ≤ ${usd(TARGETS.groupUsdPerMillionMessages)} | ${verdict(g.measured.total <= TARGETS.groupUsdPerMillionMessages)} | ${usd(g.floor.total)} |`,
  ];
}

function traceSection(traces: {
  byRecipient: TracedSend;
  byConversation: TracedSend;
  load: LoadAverages;
}): string[] {
  const hops = hopsByInvocation(traces.byRecipient.records);
  const send = roundsOf(hops, 'wsSend');
  const sender = roundsOf(hops, 'fanoutSender');
  const byConversation = roundsOf(hopsByInvocation(traces.byConversation.records), 'wsSend');
  return [
    '### One 1:1 send, hop by hop',
    '',
    `A send from one of two devices to a friend with two devices, alone on the stack (${loadLine(traces.load)}) Each function's requests are those it made itself (the local runtime names the invocation on every request); requests that overlap in time are one round trip.`,
    '',
    '| serial round trips | requests | round trips | target | |',
    '|---|---|---|---|---|',
    `| wsSend (send by \`recipientId\`) | ${send.requests} | ${send.rounds} | ≤ ${TARGETS.sendRoundTrips} | ${verdict(send.rounds <= TARGETS.sendRoundTrips)} |`,
    `| wsSend (send by \`conversationId\`) | ${byConversation.requests} | ${byConversation.rounds} | ≤ ${TARGETS.sendRoundTrips} | ${verdict(byConversation.rounds <= TARGETS.sendRoundTrips)} |`,
    `| fanoutSender, before its first post | – | ${sender.roundsBeforeFirstPost} | ≤ ${TARGETS.senderRoundTripsBeforePost} | ${verdict(sender.roundsBeforeFirstPost <= TARGETS.senderRoundTripsBeforePost)} |`,
    `| fanoutSender, in all | ${sender.requests} | ${sender.rounds} | – | |`,
    '',
    'The send by `recipientId`, in ms from the moment the client sent it:',
    '',
    ...timelineRows(traces.byRecipient.records, traces.byRecipient.sentAt, traces.byRecipient.client),
  ];
}

interface ContentionRun {
  readonly environments: number;
  readonly one: BurstResult;
  readonly many: BurstResult;
  readonly load: LoadAverages;
}

const byOperation = (result: BurstResult) =>
  Object.entries(result.failedConditionalWritesByOperation)
    .map(([operation, perMessage]) => `${operation} ${perMessage.toFixed(2)}`)
    .join(', ') || 'none';

function contentionSection(
  runs: readonly ContentionRun[],
  manyConversations: number,
  setup: string,
): string[] {
  const header = `| what | ${runs.map((run) => `${run.environments} environments`).join(' | ')} | target |`;
  const rule = `|---|${runs.map(() => '---|').join('')}---|`;
  const cells = (pick: (run: ContentionRun) => string) => runs.map(pick).join(' | ');
  const checks = (result: BurstResult) =>
    `${result.gapFree ? 'gap-free' : '**gaps**'}, ${result.duplicateSeqs} duplicate seqs, ${result.mismatchedPushes} pushes with another seq${result.delivered < result.messages ? `, **${result.messages - result.delivered} undelivered**` : ''}${result.errors > 0 ? `, **${result.errors} errors**` : ''}`;
  return [
    '### Contention: one conversation against many',
    '',
    `${CONTENTION_MESSAGES} sends at once, in the same run: into one direct conversation from its ${2 * LOAD_DEVICES} devices in turn, and two into each of ${manyConversations} direct conversations (one from each side). Delivered = acked and pushed to the ${2 * LOAD_DEVICES - 1} other devices of the pair. ${setup}`,
    '',
    ...runs.map((run) => `- ${run.environments} environments per function: ${loadLine(run.load)}`),
    '',
    header,
    rule,
    `| into one conversation, msg/s | ${cells((run) => run.one.perSecond.toFixed(1))} | |`,
    `| over ${manyConversations} conversations, msg/s | ${cells((run) => run.many.perSecond.toFixed(1))} | |`,
    `| ratio one / many | ${cells((run) => `${(run.one.perSecond / run.many.perSecond).toFixed(2)} (${verdict(run.one.perSecond / run.many.perSecond >= TARGETS.contentionRatio)})`)} | ≥ ${TARGETS.contentionRatio} at each |`,
    `| failed conditional writes per message, one conversation | ${cells((run) => `${run.one.failedConditionalWritesPerMessage.toFixed(2)} (${verdict(run.one.failedConditionalWritesPerMessage <= TARGETS.failedConditionalWritesPerMessage)})`)} | ≤ ${TARGETS.failedConditionalWritesPerMessage} |`,
    `| failed conditional writes per message, many | ${cells((run) => run.many.failedConditionalWritesPerMessage.toFixed(2))} | ≤ ${TARGETS.failedConditionalWritesPerMessage} |`,
    `| of which, per message (one; many) | ${cells((run) => `${byOperation(run.one)}; ${byOperation(run.many)}`)} | – |`,
    `| DynamoDB requests per message, one / many | ${cells((run) => `${run.one.dynamoDbRequestsPerMessage.toFixed(1)} / ${run.many.dynamoDbRequestsPerMessage.toFixed(1)}`)} | – |`,
    `| seqs, one conversation | ${cells((run) => checks(run.one))} | gap-free, no duplicates |`,
    `| seqs, many | ${cells((run) => checks(run.many))} | gap-free, no duplicates |`,
  ];
}

function steadySection(
  population: { connections: number; setup: string },
  steady: { result: SteadyResult; load: LoadAverages },
  ceiling: { steps: SteadyResult[]; load: LoadAverages },
): string[] {
  const { result } = steady;
  const latency = result.pushLatency;
  const passed = ceiling.steps.filter(withinCeiling);
  const top = passed.length > 0 ? Math.max(...passed.map((step) => step.offeredPerSecond)) : 0;
  const reachedEnd = ceiling.steps.length === CEILING_RATES.length && passed.length === ceiling.steps.length;
  // Within the steps tried: at least the top one when all passed, below the first when none did.
  const measured = reachedEnd ? `≥ ${top}` : passed.length === 0 ? `< ${CEILING_RATES[0]}` : `${top}`;
  const ceilingTarget = TARGETS.ceilingFactor * CEILING_BEFORE_IN_MESSAGES_PER_SECOND;
  return [
    '### Steady load and the ceiling',
    '',
    `${population.connections} connections open (${population.setup}). Offered open loop: each message goes out on time whatever happened to the earlier ones, round robin over the pairs. Push latency: send → push, every push to every other device of the pair.`,
    '',
    `- steady: ${loadLine(steady.load)}`,
    `- ceiling: ${loadLine(ceiling.load)}`,
    '',
    '| what | measured | target | |',
    '|---|---|---|---|',
    `| ${result.offeredPerSecond} msg/s for ${result.seconds} s: push latency p50 / p90 / p99 / max | ${ms(latency.p50)} / ${ms(latency.p90)} / ${ms(latency.p99)} / ${ms(latency.max)} | p50 ≤ ${TARGETS.steadyP50InMs} ms, p99 ≤ ${TARGETS.steadyP99InMs} ms | ${verdict(latency.p50 <= TARGETS.steadyP50InMs && latency.p99 <= TARGETS.steadyP99InMs)} |`,
    `| same: delivered, backlog at the end | ${result.deliveredPerSecond.toFixed(1)} msg/s, ${result.backlogAtEnd} | – | |`,
    `| ceiling: highest rate delivered with p99 < ${CEILING_P99_IN_MS} ms and no growing backlog | ${measured} msg/s | ≥ ${ceilingTarget} msg/s (${TARGETS.ceilingFactor} × the issue's 41–54 before) | ${verdict(top >= ceilingTarget)} |`,
    '',
    `| offered msg/s (${CEILING_SECONDS} s each) | delivered msg/s | push p50 / p99 | backlog at the end, growth | undelivered after the drain | within |`,
    '|---|---|---|---|---|---|',
    ...ceiling.steps.map(
      (step) =>
        `| ${step.offeredPerSecond} | ${step.deliveredPerSecond.toFixed(1)} | ${ms(step.pushLatency.p50)} / ${ms(step.pushLatency.p99)} | ${step.backlogAtEnd}, ${step.backlogGrew ? `**growing** (${step.backlogGrowthPerSecond.toFixed(1)} msg/s)` : 'steady'} | ${step.undelivered} | ${withinCeiling(step) ? 'yes' : 'no'} |`,
    ),
  ];
}

const seconds = (value: number) => `${(value / 1000).toFixed(0)} s`;

function describeSetup(population: Population): string {
  const { setupMs } = population;
  return `${population.pairs.length * 2} people in ${population.pairs.length} pairs of friends, ${population.devicesEach} devices each; set up in ${seconds(setupMs.signUps)} of sign-ups, ${seconds(setupMs.friends)} of friend requests, ${seconds(setupMs.connects)} of connects and ${seconds(setupMs.firstMessages)} of first messages`;
}

/** Contention at the stack's number of environments: one conversation, then many. */
async function contention(
  stack: TestStack,
  population: Population,
  environments: number,
  manyConversations: number,
): Promise<ContentionRun> {
  const { value, load } = await withLoad(async () => {
    const one = await burst(stack, population, { kind: 'one' }, CONTENTION_MESSAGES);
    const many = await burst(
      stack,
      population,
      { kind: 'many', conversations: manyConversations },
      CONTENTION_MESSAGES,
    );
    return { one, many };
  });
  return { environments, ...value, load };
}

/**
 * The message path's rows: the cost and trace sections from what the stack part measured, then the load
 * sections, each on a fresh local stack per number of execution environments (the first number also runs
 * the steady load and the ceiling).
 */
export async function measureMessagePath(context: {
  readonly rateLimits: Partial<Record<RateLimitedAction, RateLimit>>;
  readonly groupSize: number;
  readonly costs: Record<
    'direct' | 'group',
    { units: UnitsPerMessage; floor: UnitsPerMessage; load: LoadAverages }
  >;
  readonly traces: { byRecipient: TracedSend; byConversation: TracedSend; load: LoadAverages };
}): Promise<string[]> {
  const manyConversations = Math.min(Math.floor(LOAD_PEOPLE / 2), Math.ceil(CONTENTION_MESSAGES / 2));
  const runs: ContentionRun[] = [];
  let steadyLines: string[] = [];
  let setup = '';
  for (const [index, environments] of ENVIRONMENTS.entries()) {
    const stack = await startTestStack({
      rateLimits: context.rateLimits,
      maxEnvironmentsPerFunction: environments,
    });
    try {
      const population = await buildPopulation(stack, LOAD_PEOPLE, LOAD_DEVICES);
      try {
        setup = describeSetup(population);
        runs.push(await contention(stack, population, environments, manyConversations));
        if (index === 0) steadyLines = await steadyAndCeiling(population, environments, setup);
      } finally {
        await population.close();
      }
    } finally {
      await stack.stop();
    }
  }
  return [
    '## Message path',
    '',
    ...costSection(context.costs, context.groupSize),
    '',
    ...traceSection(context.traces),
    '',
    ...contentionSection(runs, manyConversations, `Each stack is fresh: ${setup}.`),
    '',
    ...steadyLines,
  ];
}

async function steadyAndCeiling(
  population: Population,
  environments: number,
  setup: string,
): Promise<string[]> {
  const steady = await withLoad(() => offer(population, STEADY_RATE, STEADY_SECONDS));
  const ceiling = await withLoad(async () => {
    const steps: SteadyResult[] = [];
    for (const rate of CEILING_RATES) {
      const step = await offer(population, rate, CEILING_SECONDS);
      steps.push(step);
      // A rate it cannot keep up with: higher ones would only pile up more.
      if (!withinCeiling(step)) break;
    }
    return steps;
  });
  return steadySection(
    { connections: population.connections, setup: `${setup}; ${environments} environments per function` },
    { result: steady.value, load: steady.load },
    { steps: ceiling.value, load: ceiling.load },
  );
}
