/**
 * The message path under load, on the local stack, with many people in 1:1
 * conversations: many sends at once into one conversation against the same
 * number spread over many (contention on the conversation's `seq`), steady
 * traffic at a fixed rate (push latency), and rising rates until the stack no
 * longer keeps up (its ceiling).
 *
 * Every message goes from one of a person's devices (the first, except in the
 * burst into one conversation, which takes turns over all of them) to the
 * other person of their pair (`recipientId`, as the other stack measurements
 * send), and counts as delivered when its ack came back and every other
 * device of both people got its push.
 */
import { performance } from 'node:perf_hooks';
import { REFUSED_BY_CONDITION } from '../infra/local/meter';
import { sendFrame } from '../shared/protocol/inbound';
import type { Persona } from '../test/support/personas';
import type { TestStack } from '../test/support/stack';
import {
  connectAll,
  type Device,
  type FrameListener,
  inPool,
  type Pair,
  pairUp,
  signUpMany,
} from './population';
import { summary } from './stats';

const BODY = Buffer.alloc(256, 7).toString('base64');

/** Longest wait for a burst, a warm-up or a drain to be delivered before it is reported incomplete. */
const DELIVERY_TIMEOUT_IN_MS = 120_000;
/** After the last push, the fan-out's trailing writes (read mark, deletes) still land. */
const TRAILING_WRITES_IN_MS = 1_000;
/** How often the backlog (messages sent and not yet delivered) is sampled under steady load. */
const BACKLOG_SAMPLE_INTERVAL_IN_MS = 250;
/**
 * A backlog "grows" when, over the second half of a step, it rises by more than this share of the offered
 * rate per second: the stack delivers less than 90% of what is offered.
 */
const BACKLOG_GROWTH_SHARE = 0.1;
/** A rate is within the ceiling when the p99 push latency stays under this and nothing piles up. */
export const CEILING_P99_IN_MS = 1_000;

/** A message in flight, and what came back for it. */
interface Tracked {
  readonly messageId: string;
  readonly sentAt: number;
  /** Pushes it should cause: every device of the pair but the sending one. */
  readonly expectedPushes: number;
  ackAt?: number;
  seq?: number;
  conversationId?: string;
  error?: string;
  readonly pushes: Array<{ readonly at: number; readonly seq: number; readonly device: Device }>;
  /** When the ack and the last expected push had both arrived. */
  doneAt?: number;
}

/** Follows every message the load sends, by its id, from the frames the devices receive. */
export class Traffic {
  private readonly tracked = new Map<string, Tracked>();
  private readonly waiters = new Set<() => void>();
  private counter = 0;
  /** Highest `seq` seen in each conversation. */
  readonly highestSeq = new Map<string, number>();

  readonly listener: FrameListener = (device, frame, at) => {
    if (frame.type !== 'ack' && frame.type !== 'message' && frame.type !== 'error') return;
    const id = String(frame.type === 'error' ? frame.requestId : frame.messageId);
    const message = this.tracked.get(id);
    if (!message) return;
    if (frame.type === 'error') message.error = String(frame.code);
    else {
      const seq = Number(frame.seq);
      const conversationId = String(frame.conversationId);
      this.highestSeq.set(conversationId, Math.max(seq, this.highestSeq.get(conversationId) ?? 0));
      if (frame.type === 'ack') {
        message.ackAt = at;
        message.seq = seq;
        message.conversationId = conversationId;
      } else message.pushes.push({ at, seq, device });
    }
    if (message.doneAt === undefined && message.ackAt !== undefined) {
      if (new Set(message.pushes.map((push) => push.device)).size >= message.expectedPushes) {
        message.doneAt = at;
        for (const wake of this.waiters) wake();
      }
    }
  };

  send(from: Device, to: Persona, expectedPushes: number): Tracked {
    const messageId = `load-${++this.counter}`;
    const message: Tracked = { messageId, sentAt: performance.now(), expectedPushes, pushes: [] };
    this.tracked.set(messageId, message);
    from.send(sendFrame({ requestId: messageId, recipientId: to.userId, messageId, body: BODY }));
    return message;
  }

  /** Resolves once every message is delivered, or false after `timeoutMs`. */
  settle(messages: readonly Tracked[], timeoutMs = DELIVERY_TIMEOUT_IN_MS): Promise<boolean> {
    const done = () => messages.every((message) => message.doneAt !== undefined);
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        finish(true);
      };
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Stops following messages already reported on. */
  forget(messages: readonly Tracked[]): void {
    for (const message of messages) this.tracked.delete(message.messageId);
  }
}

/** People in pairs of friends, each with the same number of devices, and the traffic between them. */
export interface Population {
  readonly pairs: readonly Pair[];
  /** Per pair, each side's devices. */
  readonly devices: ReadonlyArray<{ readonly a: readonly Device[]; readonly b: readonly Device[] }>;
  readonly devicesEach: number;
  readonly connections: number;
  /** How long each step of building it took, in ms. */
  readonly setupMs: {
    readonly signUps: number;
    readonly friends: number;
    readonly connects: number;
    readonly firstMessages: number;
  };
  readonly traffic: Traffic;
  close(): Promise<void>;
}

/**
 * Signs up `people` people in pairs of friends, connects `devicesEach` devices for each, and has each pair
 * send a first message (it opens their conversation and warms every function up).
 */
export async function buildPopulation(
  stack: TestStack,
  people: number,
  devicesEach: number,
): Promise<Population> {
  const traffic = new Traffic();
  const clock = performance.now();
  const personas = await signUpMany(stack, people, 'load');
  const signedUp = performance.now();
  const pairs = await pairUp(stack, personas);
  const befriended = performance.now();
  const opened = await connectAll(stack, personas, devicesEach, traffic.listener);
  const connected = performance.now();
  const devices = pairs.map((_, index) => ({
    a: opened[2 * index] as Device[],
    b: opened[2 * index + 1] as Device[],
  }));
  const population: Omit<Population, 'setupMs'> = {
    pairs,
    devices,
    devicesEach,
    connections: opened.flat().length,
    traffic,
    close: async () => {
      await inPool(opened.flat(), 32, (device) => device.close());
    },
  };
  const first = await inPool(pairs, 16, async (_, index) => {
    const message = sendFrom(population, index, 'a');
    await traffic.settle([message]);
    return message;
  });
  traffic.forget(first);
  return {
    ...population,
    setupMs: {
      signUps: signedUp - clock,
      friends: befriended - signedUp,
      connects: connected - befriended,
      firstMessages: performance.now() - connected,
    },
  };
}

/** Sends one message from one of a side's devices (the first by default) to the other side of a pair. */
function sendFrom(
  population: Omit<Population, 'setupMs'>,
  pair: number,
  side: 'a' | 'b',
  device = 0,
): Tracked {
  const devices = population.devices[pair];
  const people = population.pairs[pair];
  if (!devices || !people) throw new Error(`No pair ${pair}`);
  const from = (side === 'a' ? devices.a : devices.b)[device];
  if (!from) throw new Error(`No device ${device} on side ${side} of pair ${pair}`);
  return population.traffic.send(from, side === 'a' ? people.b : people.a, 2 * population.devicesEach - 1);
}

export interface BurstResult {
  readonly messages: number;
  readonly delivered: number;
  readonly elapsedMs: number;
  readonly perSecond: number;
  /** Every conversation's new seqs follow on from its last one, with none missing (from the acks). */
  readonly gapFree: boolean;
  /** Seqs given to two different messages, from the acks or from the pushes. */
  readonly duplicateSeqs: number;
  /** Pushes whose seq is not the one the sender was told. */
  readonly mismatchedPushes: number;
  /** Pushes a device got twice (delivery is at least once). */
  readonly repeatedPushes: number;
  readonly errors: number;
  readonly failedConditionalWritesPerMessage: number;
  /** The same, by operation (`PutItem`, `UpdateItem`). */
  readonly failedConditionalWritesByOperation: Record<string, number>;
  readonly dynamoDbRequestsPerMessage: number;
}

/**
 * Sends `messages` at once, either all into the first pair's conversation from all its devices in turn
 * (`one`), or two into each of the first `conversations` pairs' conversations, one from each side (`many`).
 */
export async function burst(
  stack: TestStack,
  population: Population,
  shape: { readonly kind: 'one' } | { readonly kind: 'many'; readonly conversations: number },
  messages: number,
): Promise<BurstResult> {
  const before = new Map(population.traffic.highestSeq);
  stack.meter.reset();
  const started = performance.now();
  const sent: Tracked[] = [];
  for (let index = 0; index < messages; index += 1) {
    if (shape.kind === 'one') {
      const side = index % 2 === 0 ? 'a' : 'b';
      sent.push(sendFrom(population, 0, side, Math.floor(index / 2) % population.devicesEach));
    } else {
      sent.push(
        sendFrom(population, Math.floor(index / 2) % shape.conversations, index % 2 === 0 ? 'a' : 'b'),
      );
    }
  }
  await population.traffic.settle(sent);
  const delivered = sent.filter((message) => message.doneAt !== undefined);
  const lastDone = Math.max(...delivered.map((message) => message.doneAt as number));
  const elapsedMs = (delivered.length > 0 ? lastDone : performance.now()) - started;
  await new Promise((resolve) => setTimeout(resolve, TRAILING_WRITES_IN_MS));
  const requests = stack.meter.snapshot();
  const usage = stack.meter.usage();
  population.traffic.forget(sent);
  const dynamoDb = Object.entries(requests).filter(([key]) => key.startsWith('dynamodb '));
  const dynamoDbRequests = dynamoDb
    .filter(([key]) => !key.endsWith(REFUSED_BY_CONDITION))
    .reduce((sum, [, count]) => sum + count, 0);
  const refused = Object.fromEntries(
    dynamoDb
      .filter(([key]) => key.endsWith(REFUSED_BY_CONDITION))
      .map(([key, count]) => [key.split(' ')[1] as string, count / messages]),
  );
  return {
    messages,
    delivered: delivered.length,
    elapsedMs,
    perSecond: (delivered.length * 1000) / elapsedMs,
    ...seqChecks(sent, before),
    errors: sent.filter((message) => message.error !== undefined).length,
    failedConditionalWritesPerMessage: usage.dynamodb.failedConditionalWrites / messages,
    failedConditionalWritesByOperation: refused,
    dynamoDbRequestsPerMessage: dynamoDbRequests / messages,
  };
}

function seqChecks(sent: readonly Tracked[], before: ReadonlyMap<string, number>) {
  const acked = new Map<string, number[]>();
  const owners = new Map<string, Set<string>>();
  const own = (conversationId: string, seq: number, messageId: string) => {
    const key = `${conversationId}#${seq}`;
    const set = owners.get(key) ?? new Set<string>();
    set.add(messageId);
    owners.set(key, set);
  };
  let mismatchedPushes = 0;
  let repeatedPushes = 0;
  for (const message of sent) {
    if (message.seq === undefined || message.conversationId === undefined) continue;
    acked.set(message.conversationId, [...(acked.get(message.conversationId) ?? []), message.seq]);
    own(message.conversationId, message.seq, message.messageId);
    for (const push of message.pushes) {
      own(message.conversationId, push.seq, message.messageId);
      if (push.seq !== message.seq) mismatchedPushes += 1;
    }
    repeatedPushes += message.pushes.length - new Set(message.pushes.map((push) => push.device)).size;
  }
  const gapFree = [...acked.entries()].every(([conversationId, seqs]) => {
    const first = (before.get(conversationId) ?? 0) + 1;
    return [...seqs].sort((a, b) => a - b).every((seq, index) => seq === first + index);
  });
  const duplicateSeqs = [...owners.values()].filter((ids) => ids.size > 1).length;
  return { gapFree, duplicateSeqs, mismatchedPushes, repeatedPushes };
}

export interface SteadyResult {
  readonly offeredPerSecond: number;
  readonly seconds: number;
  readonly sent: number;
  /** Messages delivered within the step, per second of it. */
  readonly deliveredPerSecond: number;
  /** Messages not delivered by the end of the drain. */
  readonly undelivered: number;
  /** Send → push, every push to every device. */
  readonly pushLatency: ReturnType<typeof summary>;
  /** Messages sent and not yet delivered, at the end of the step. */
  readonly backlogAtEnd: number;
  /** Its rise over the second half of the step, in messages per second. */
  readonly backlogGrowthPerSecond: number;
  readonly backlogGrew: boolean;
}

/**
 * Offers `rate` messages a second for `seconds`, open loop (a message goes out on time whether or not the
 * earlier ones were delivered), round robin over the pairs, alternating sides; then waits for the rest.
 */
export async function offer(
  population: Population,
  rate: number,
  seconds: number,
  drainTimeoutMs = DELIVERY_TIMEOUT_IN_MS,
): Promise<SteadyResult> {
  const total = Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const pairs = population.pairs.length;
  const sent: Tracked[] = [];
  const samples: Array<{ at: number; outstanding: number }> = [];
  const started = performance.now();
  const sampler = setInterval(() => {
    samples.push({
      at: performance.now(),
      outstanding: sent.filter((message) => message.doneAt === undefined).length,
    });
  }, BACKLOG_SAMPLE_INTERVAL_IN_MS);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent.length < total && started + sent.length * intervalMs <= now) {
        const index = sent.length;
        sent.push(sendFrom(population, index % pairs, Math.floor(index / pairs) % 2 === 0 ? 'a' : 'b'));
      }
      if (sent.length >= total) return resolve();
      setTimeout(tick, Math.max(0, started + sent.length * intervalMs - performance.now()));
    };
    tick();
  });
  const windowEnd = started + seconds * 1000;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowEnd - performance.now())));
  clearInterval(sampler);
  const backlogAtEnd = sent.filter((message) => message.doneAt === undefined).length;
  const deliveredInWindow = sent.filter(
    (message) => message.doneAt !== undefined && message.doneAt <= windowEnd,
  );
  await population.traffic.settle(sent, drainTimeoutMs);
  population.traffic.forget(sent);
  const latencies = sent.flatMap((message) => message.pushes.map((push) => push.at - message.sentAt));
  const growth = slopePerSecond(samples.filter((sample) => sample.at >= started + (seconds * 1000) / 2));
  return {
    offeredPerSecond: rate,
    seconds,
    sent: sent.length,
    deliveredPerSecond: deliveredInWindow.length / seconds,
    undelivered: sent.filter((message) => message.doneAt === undefined).length,
    pushLatency: summary(latencies),
    backlogAtEnd,
    backlogGrowthPerSecond: growth,
    backlogGrew: growth > BACKLOG_GROWTH_SHARE * rate,
  };
}

/** Least-squares slope of the samples, per second. */
function slopePerSecond(samples: ReadonlyArray<{ at: number; outstanding: number }>): number {
  if (samples.length < 2) return 0;
  const meanAt = samples.reduce((sum, s) => sum + s.at, 0) / samples.length;
  const meanOutstanding = samples.reduce((sum, s) => sum + s.outstanding, 0) / samples.length;
  let covariance = 0;
  let variance = 0;
  for (const sample of samples) {
    covariance += (sample.at - meanAt) * (sample.outstanding - meanOutstanding);
    variance += (sample.at - meanAt) ** 2;
  }
  return variance === 0 ? 0 : (covariance / variance) * 1000;
}

/** Whether a step was delivered within the ceiling's terms. */
export function withinCeiling(step: SteadyResult): boolean {
  return step.pushLatency.p99 < CEILING_P99_IN_MS && !step.backlogGrew && step.undelivered === 0;
}
