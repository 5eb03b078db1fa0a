/**
 * `npm run bench -- history`: a history of 10,000 messages moved from a user's laptop to a new phone on the
 * local stack, as `test/integration/history-transfer-e2e.test.ts` moves 1,000: both devices keep their
 * history in the web client's `HistoryWriter`, and `HistorySender`/`HistoryReceiver` go through the real
 * routes and S3's presigned forms. The laptop's history is written straight into its store (only the
 * transfer is measured); each run sends it to a fresh phone, a registered device of the same user.
 *
 * Timed runs first (`BENCH_HISTORY_RUNS`, 3 by default), then one more with DynamoDB capacity metered and a
 * pause after each request, so each request's billed units (its fan-out included) are its own.
 */
import { performance } from 'node:perf_hooks';
import type { Usage } from '../infra/local/meter';
import { createApiClient } from '../shared/client/api-client';
import { ciphertextSizeOf, DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES } from '../shared/e2ee/attachment-cipher';
import { encodeMessagePayload } from '../shared/e2ee/attachment-payload';
import { toBase64 } from '../shared/e2ee/base64';
import type { ChatEvent } from '../shared/e2ee/e2ee-client';
import { countKept, FIRST_SCREEN_IN_MESSAGES } from '../shared/e2ee/history/archive';
import { backupApiOf, HistoryBackup } from '../shared/e2ee/history/backup';
import {
  fetchTransport,
  historyTransferApiOf,
  type ObjectTransport,
} from '../shared/e2ee/history/transfer-api';
import type { HistorySink } from '../shared/e2ee/history/transfer-receiver';
import type { TransferProgress } from '../shared/e2ee/history/transfer-sender';
import { InMemoryStateStore } from '../shared/e2ee/in-memory-state-store';
import { createBackupHeader, generateRecoveryKey } from '../shared/e2ee/recovery-key';
import { type E2eeTestDevice, openDevice } from '../test/support/e2ee-device';
import { historyWriterOf } from '../test/support/history';
import { type Persona, signUp } from '../test/support/personas';
import { startTestStack, type TestStack } from '../test/support/stack';
import type { HistoryWriter } from '../web/src/app/history-writer';
import { UNLIMITED } from './allowances';
import { PRICES_IN_USD } from './cost';
import { type LoadAverages, loadLine, loadNow } from './load-average';

const CONVERSATIONS = Number(process.env.BENCH_HISTORY_CONVERSATIONS ?? 10);
const MESSAGES_PER_CONVERSATION = Number(process.env.BENCH_HISTORY_MESSAGES ?? 1000);
const MESSAGES = CONVERSATIONS * MESSAGES_PER_CONVERSATION;
/** Messages of every conversation's first screen together: the archive's first pass. */
const FIRST_SCREENS = CONVERSATIONS * Math.min(FIRST_SCREEN_IN_MESSAGES, MESSAGES_PER_CONVERSATION);
const RUNS = Number(process.env.BENCH_HISTORY_RUNS ?? 3);
/** Time for a request's trailing work (the fan-out of its push) to land before the next is metered. */
const SETTLE_IN_MS = 400;
/** Days a finished transfer's chunks stay in S3 (the lifecycle rule on `history/`). */
const CHUNK_DAYS_IN_S3 = 2;

/** A small deterministic generator (mulberry32), so every run carries the same history. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
  const id = (n = 16) => toBase64(bytes(n)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return { next, int, pick, bytes, id };
}

const WORDS = (
  'the a to and of I you it is that in for on we be this have are was at not with but can so do just ' +
  'what if my me all get like no will one about up out there they know be think time see now good when ' +
  'go how your more come back then here tomorrow tonight today later sure thanks okay yes maybe really ' +
  'dinner train meeting weekend photos kids school work office call home late early coffee lunch ' +
  'running birthday present holiday flight tickets doctor appointment garden weather rain sunny ' +
  'Lisbon Berlin Sam Priya Jonas Mei café déjà vu naïve straße über 😀 👍 ❤️ 🎉 😂 🙏'
).split(' ');

/** A message's text: mostly a line, sometimes a paragraph, now and then a long one (up to ~3,500 characters). */
function textOf(rng: ReturnType<typeof random>): string {
  const roll = rng.next();
  const words =
    roll < 0.6
      ? rng.int(1, 12)
      : roll < 0.9
        ? rng.int(12, 40)
        : roll < 0.98
          ? rng.int(40, 150)
          : rng.int(300, 550);
  const text = Array.from({ length: words }, () => rng.pick(WORDS)).join(' ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${rng.pick(['', '.', '?', '!', ' :)'])}`;
}

/** A photo as a message carries it: its key, digest and sizes, and a blurred thumbnail of 1–3 KiB. */
function photoOf(rng: ReturnType<typeof random>) {
  const plainSize = rng.int(80_000, 4_000_000);
  const width = rng.pick([4032, 3024, 1920, 1080]);
  return {
    id: rng.id(16),
    key: toBase64(rng.bytes(32)),
    sha256: toBase64(rng.bytes(32)),
    size: ciphertextSizeOf(plainSize, DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES),
    plainSize,
    chunkSize: DEFAULT_ATTACHMENT_CHUNK_SIZE_IN_BYTES,
    type: 'image/jpeg',
    name: `IMG_${rng.int(1000, 9999)}.jpg`,
    kind: 'image' as const,
    width,
    height: Math.round((width * 3) / 4),
    thumbnail: toBase64(rng.bytes(rng.int(1024, 3072))),
  };
}

function payload(value: Parameters<typeof encodeMessagePayload>[0]): Uint8Array {
  const bytes = encodeMessagePayload(value);
  if (!bytes) throw new Error('Not a payload');
  return bytes;
}

/**
 * One conversation's log as the laptop read it: MESSAGES_PER_CONVERSATION messages (1 in 50 a photo, 1 in
 * 20 a reply), and beside them reactions (1 in 25) and edits (1 in 100), which take seqs of their own.
 */
function conversationEvents(
  rng: ReturnType<typeof random>,
  conversationId: string,
  people: readonly string[],
) {
  const events: ChatEvent[] = [];
  let seq = 0;
  let at = Date.parse('2026-01-01T08:00:00Z');
  const base = { conversationId, senderDeviceId: 'laptop', own: false };
  for (let i = 0; i < MESSAGES_PER_CONVERSATION; i++) {
    seq += 1;
    at += rng.int(5_000, 3 * 3_600_000);
    const senderId = rng.pick(people);
    const photo = i % 50 === 25;
    const reply = i % 20 === 7 && seq > 5;
    events.push({
      ...base,
      kind: 'message',
      seq,
      messageId: rng.id(12),
      senderId,
      sentAt: new Date(at).toISOString(),
      messageKind: reply ? 'reply' : 'text',
      ...(reply ? { refSeq: seq - rng.int(1, 5) } : {}),
      plaintext: photo
        ? payload({ text: rng.next() < 0.5 ? '' : textOf(rng), attachments: [photoOf(rng)] })
        : payload({ text: textOf(rng) }),
    } as ChatEvent);
    const target = seq;
    if (i % 25 === 3) {
      seq += 1;
      events.push({
        ...base,
        kind: 'message',
        seq,
        messageId: rng.id(12),
        senderId: rng.pick(people),
        sentAt: new Date(at + 1000).toISOString(),
        messageKind: 'reaction',
        refSeq: target,
        plaintext: payload({ emoji: rng.pick(['👍', '❤️', '😂', '🎉']) }),
      } as ChatEvent);
    }
    if (i % 100 === 11) {
      seq += 1;
      events.push({
        ...base,
        kind: 'message',
        seq,
        messageId: rng.id(12),
        senderId,
        sentAt: new Date(at + 2000).toISOString(),
        messageKind: 'edit',
        refSeq: target,
        plaintext: payload({ text: `${textOf(rng)} (fixed)` }),
      } as ChatEvent);
    }
  }
  return events;
}

/** A request's name, its ids left out: `POST /history-transfers/{id}/chunks`, `S3 GET`. */
function stepOf(url: string, method: string, apiUrl: string): string {
  if (!url.startsWith(apiUrl)) return `S3 ${method}`;
  const path = (url.slice(apiUrl.length).split('?')[0] ?? '')
    .split('/')
    .map((segment, i, all) =>
      /^\d+$/.test(segment)
        ? '{n}'
        : ['history-transfers', 'users', 'devices', 'conversations'].includes(all[i - 1] ?? '')
          ? '{id}'
          : segment,
    )
    .join('/');
  return `${method} ${path}`;
}

interface StepCost {
  calls: number;
  readUnits: number;
  writeUnits: number;
  failedConditionalWriteUnits: number;
  sqsRequests: number;
  webSocketMessages: number;
  lambda: Record<string, number>;
  lambdaGbSeconds: number;
  requests: Record<string, number>;
}

/**
 * A `fetch` that, while `on`, waits after each answer for its trailing work and books the meter's change to
 * the request's step. Requests run one at a time in a transfer, so each change is that request's.
 */
function meteredFetch(stack: TestStack) {
  const steps = new Map<string, StepCost>();
  const apiUrl = stack.endpoints.httpApiUrl.replace(/\/+$/, '');
  let on = false;
  let usage: Usage = stack.meter.usage();
  let counts: Record<string, number> = stack.meter.snapshot();
  let queue: Promise<unknown> = Promise.resolve();
  const book = (step: string) => {
    const now = stack.meter.usage();
    const nowCounts = stack.meter.snapshot();
    const cost = steps.get(step) ?? {
      calls: 0,
      readUnits: 0,
      writeUnits: 0,
      failedConditionalWriteUnits: 0,
      sqsRequests: 0,
      webSocketMessages: 0,
      lambda: {},
      lambdaGbSeconds: 0,
      requests: {},
    };
    cost.calls += 1;
    cost.readUnits += now.dynamodb.readUnits - usage.dynamodb.readUnits;
    cost.writeUnits +=
      now.dynamodb.writeUnits +
      now.dynamodb.gsiWriteUnits -
      usage.dynamodb.writeUnits -
      usage.dynamodb.gsiWriteUnits;
    cost.failedConditionalWriteUnits +=
      now.dynamodb.failedConditionalWriteUnits - usage.dynamodb.failedConditionalWriteUnits;
    const sqs = (u: Usage) => u.sqs.sendRequests + u.sqs.receivesWithMessages + u.sqs.deleteRequests;
    cost.sqsRequests += sqs(now) - sqs(usage);
    cost.webSocketMessages +=
      now.apigateway.messagesIn +
      now.apigateway.messagesOut -
      usage.apigateway.messagesIn -
      usage.apigateway.messagesOut;
    for (const [name, fn] of Object.entries(now.lambda)) {
      const before = usage.lambda[name as keyof Usage['lambda']];
      const invocations = (fn?.invocations ?? 0) - (before?.invocations ?? 0);
      if (invocations > 0) cost.lambda[name] = (cost.lambda[name] ?? 0) + invocations;
      cost.lambdaGbSeconds += (fn?.gbSeconds ?? 0) - (before?.gbSeconds ?? 0);
    }
    for (const [key, count] of Object.entries(nowCounts)) {
      if (!key.startsWith('s3 ') && !key.startsWith('dynamodb ')) continue;
      const added = count - (counts[key] ?? 0);
      if (added > 0) cost.requests[key] = (cost.requests[key] ?? 0) + added;
    }
    steps.set(step, cost);
    usage = now;
    counts = nowCounts;
  };
  const fetcher: typeof fetch = async (input, init) => {
    if (!on) return globalThis.fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const step = stepOf(url, method, apiUrl);
    // One at a time, so a device's background request cannot land in another's booking.
    const run = queue.then(async () => {
      const answer = await globalThis.fetch(input, init);
      const body = await answer.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, SETTLE_IN_MS));
      book(step);
      const empty = body.byteLength === 0 || answer.status === 204 || answer.status === 304;
      return new Response(empty ? null : body, {
        status: answer.status,
        statusText: answer.statusText,
        headers: answer.headers,
      });
    });
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    fetch: fetcher,
    steps,
    start: async () => {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_IN_MS));
      stack.meter.reset();
      stack.meter.meterCapacity(true);
      usage = stack.meter.usage();
      counts = stack.meter.snapshot();
      on = true;
    },
    stop: () => {
      on = false;
      stack.meter.meterCapacity(false);
    },
  };
}

interface RunSample {
  readonly handshakeMs: number;
  readonly sendMs: number;
  readonly receiveMs: number;
  /** From the start of `send` to the first chunk announced. */
  readonly firstSentMs: number;
  /** From the start of `receive` to the first chunk restored in the phone's history. */
  readonly firstRestoredMs: number;
  readonly firstScreenMessages: number;
  /** From the start of `receive` until the newest messages of every conversation are restored. */
  readonly everyFirstScreenMs: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly restored: number;
  /** Time inside the phone's history (`restore`: its writes and search index) and inside S3's POSTs and GETs. */
  readonly restoreMs: number;
  readonly uploadMs: number;
  readonly downloadMs: number;
  /** The count of kept messages `send` makes first, for the progress bar (a read of the whole history). */
  readonly countMs: number;
  readonly peakRss: number;
  readonly rssBefore: number;
}

/** Peak RSS while `work` runs, sampled every 20 ms (the stack's stand-ins and functions share this process). */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peak: number; before: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peak, before };
  } finally {
    clearInterval(timer);
  }
}

async function transfer(
  stack: TestStack,
  alice: Persona,
  laptop: E2eeTestDevice,
  laptopHistory: HistoryWriter,
  conversationIds: readonly string[],
  phoneId: string,
  meter: ReturnType<typeof meteredFetch>,
  metered = false,
): Promise<RunSample> {
  const fetcher = meter.fetch;
  const phone = await openDevice(stack, alice, phoneId, { fetch: fetcher });
  // The phone's registration and key packages are not the transfer's.
  if (metered) await meter.start();
  try {
    const phoneHistory = historyWriterOf(phone.persona, phone.store, conversationIds);
    const api = historyTransferApiOf(
      createApiClient({
        baseUrl: stack.endpoints.httpApiUrl,
        accessToken: () => alice.accessToken,
        fetch: fetcher,
      }),
    );
    const timed = { restore: 0, upload: 0, download: 0 };
    const clock = async <T>(key: keyof typeof timed, work: () => Promise<T>) => {
      const start = performance.now();
      try {
        return await work();
      } finally {
        timed[key] += performance.now() - start;
      }
    };
    const plain = fetchTransport(fetcher);
    const transport: ObjectTransport = {
      upload: (form, body, signal) => clock('upload', () => plain.upload(form, body, signal)),
      // The body read to its end, so the time is the download's, not the decryption's that reads it.
      download: (url, signal) =>
        clock(
          'download',
          async () => new Blob([await new Response(await plain.download(url, signal)).arrayBuffer()]),
        ),
    };
    const sink: HistorySink = { restore: (parts) => clock('restore', () => phoneHistory.restore(parts)) };
    const sender = laptop.client.historySender({ api, transport, source: laptopHistory.source() });
    const receiver = phone.client.historyReceiver({ api, transport, sink });
    const countStart = performance.now();
    await countKept(laptopHistory.source());
    const countMs = performance.now() - countStart;

    const handshakeStart = performance.now();
    const asked = await receiver.request('laptop');
    const { code } = await sender.offer(asked);
    if ((await receiver.code(await api.get(asked.transferId))) !== code) throw new Error('The codes differ');
    await sender.approve(asked.transferId);
    const handshakeMs = performance.now() - handshakeStart;

    const { value, peak, before } = await withPeakRss(async () => {
      let firstSent = Number.NaN;
      const sendStart = performance.now();
      const sent = await sender.send(asked.transferId, {
        onProgress: () => {
          if (Number.isNaN(firstSent)) firstSent = performance.now() - sendStart;
        },
      });
      const sendMs = performance.now() - sendStart;
      if (sent.state !== 'sent') throw new Error(`The laptop's transfer is ${sent.state}`);

      let first: TransferProgress | undefined;
      let firstRestored = Number.NaN;
      let restored = 0;
      let everyFirstScreen = Number.NaN;
      const receiveStart = performance.now();
      const done = await receiver.receive(asked.transferId, {
        onProgress: (progress) => {
          if (first === undefined) {
            first = progress;
            firstRestored = performance.now() - receiveStart;
          }
          restored = progress.messages;
          if (Number.isNaN(everyFirstScreen) && restored >= FIRST_SCREENS)
            everyFirstScreen = performance.now() - receiveStart;
        },
      });
      const receiveMs = performance.now() - receiveStart;
      if (done.state !== 'done' || done.received !== sent.chunks)
        throw new Error(`The phone's transfer is ${done.state}, ${done.received} of ${sent.chunks} chunks`);
      return {
        sendMs,
        receiveMs,
        firstSentMs: firstSent,
        firstRestoredMs: firstRestored,
        firstScreenMessages: (first as TransferProgress | undefined)?.messages ?? 0,
        everyFirstScreenMs: everyFirstScreen,
        chunks: done.chunks,
        bytes: done.bytes,
        restored,
      };
    });
    // The phone now holds every message, as the laptop does.
    let kept = 0;
    for (const id of conversationIds) kept += (await phoneHistory.readAll(id)).length;
    if (kept !== MESSAGES || value.restored !== MESSAGES)
      throw new Error(`The phone keeps ${kept} messages (restored ${value.restored}), not ${MESSAGES}`);
    return {
      handshakeMs,
      ...value,
      restoreMs: timed.restore,
      uploadMs: timed.upload,
      downloadMs: timed.download,
      countMs,
      peakRss: peak,
      rssBefore: before,
    };
  } finally {
    if (metered) meter.stop();
    await phone.close();
  }
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const spread = (values: readonly number[], format: (value: number) => string) =>
  `${format(median(values))} (${format(Math.min(...values))}–${format(Math.max(...values))})`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const msText = (ms: number) => `${Math.round(ms)} ms`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(2)} MB`;
const units = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
const usd = (value: number) => `$${value < 0.001 ? value.toFixed(6) : value.toFixed(4)}`;

export async function measureHistory(): Promise<string[]> {
  const stack = await startTestStack({ rateLimits: UNLIMITED, logLevel: 'WARN' });
  try {
    const alice = await signUp(stack, 'alice');
    // Every request of both devices goes through it; it meters only in the last run.
    const meter = meteredFetch(stack);
    const laptop = await openDevice(stack, alice, 'laptop', { fetch: meter.fetch });
    const rng = random(20261205);
    const people = [alice.userId, ...Array.from({ length: 5 }, () => crypto.randomUUID())];
    const conversationIds = Array.from({ length: CONVERSATIONS }, (_, i) =>
      i < 3 ? `d_${rng.id(16)}` : rng.id(16),
    );
    const laptopHistory = historyWriterOf(laptop.persona, laptop.store, conversationIds);
    const fillStart = performance.now();
    for (const [c, conversationId] of conversationIds.entries()) {
      // A direct conversation has two people; a group three to six.
      const members = c < 3 ? people.slice(0, 2) : people.slice(0, 3 + (c % 4));
      const events = conversationEvents(rng, conversationId, members);
      for (let i = 0; i < events.length; i += 250) await laptopHistory.write(events.slice(i, i + 250));
    }
    const fillMs = performance.now() - fillStart;
    // Each run reads the laptop's history as a browser does after a reload: opened afresh from its store
    // (the writer above still holds every chunk it wrote), the newest messages loaded, the rest read as needed.
    let jsonBytes = 0;
    let kept = 0;
    let photos = 0;
    let longest = 0;
    for (const id of conversationIds) {
      for (const message of await laptopHistory.readAll(id)) {
        jsonBytes += Buffer.byteLength(JSON.stringify(message));
        kept += 1;
        photos += message.attachments?.length ?? 0;
        longest = Math.max(longest, message.text.length);
      }
    }
    if (kept !== MESSAGES) throw new Error(`The laptop keeps ${kept} messages, not ${MESSAGES}`);

    const loadStart = loadNow();
    const samples: RunSample[] = [];
    for (let run = 0; run < RUNS; run++) {
      samples.push(
        await transfer(
          stack,
          alice,
          laptop,
          historyWriterOf(laptop.persona, laptop.store, conversationIds),
          conversationIds,
          `phone${run + 1}`,
          meter,
        ),
      );
    }
    const load: LoadAverages = { start: loadStart, end: loadNow() };

    // One more, metered request by request (slower: each request waits for its fan-out before the next).
    const meteredRun = await transfer(
      stack,
      alice,
      laptop,
      historyWriterOf(laptop.persona, laptop.store, conversationIds),
      conversationIds,
      'phone4',
      meter,
      true,
    );
    const backup = await backupRuns(stack, alice, laptop, conversationIds);
    return [
      ...report({ samples, load, fillMs, jsonBytes, photos, longest, meteredRun, steps: meter.steps }),
      '',
      ...backupReport(backup, jsonBytes),
    ];
  } finally {
    await stack.stop();
  }
}

interface BackupSample {
  readonly kdfMs: number;
  readonly wholeMs: number;
  readonly wholeChunks: number;
  readonly wholeBytes: number;
  readonly appendMs: number;
  readonly appendChunks: number;
  readonly appendBytes: number;
  readonly restoreMs: number;
  readonly restored: number;
}

/** New messages and edits the laptop keeps between two backup runs, as the web client writes them. */
const APPENDED_MESSAGES = 100;
const APPENDED_EDITS = 20;

/**
 * The encrypted backup of the same history, `RUNS` times: the recovery key's derivation, the first (whole)
 * backup, an append of {@link APPENDED_MESSAGES} new messages and {@link APPENDED_EDITS} edits of old ones,
 * and a restore into an empty history. Each run deletes the backup first.
 */
async function backupRuns(
  stack: TestStack,
  alice: Persona,
  laptop: E2eeTestDevice,
  conversationIds: readonly string[],
): Promise<BackupSample[]> {
  const api = backupApiOf(
    createApiClient({ baseUrl: stack.endpoints.httpApiUrl, accessToken: () => alice.accessToken }),
  );
  const backups = new HistoryBackup({ api, transport: fetchTransport() });
  const samples: BackupSample[] = [];
  let nextSeq = MESSAGES_PER_CONVERSATION * 2;
  for (let run = 0; run < RUNS; run++) {
    await backups.delete();
    const history = historyWriterOf(laptop.persona, laptop.store, conversationIds);
    const changed = new Map<string, Set<number>>();
    history.onChanged = (conversationId, seqs) => {
      const set = changed.get(conversationId) ?? new Set<number>();
      for (const seq of seqs) set.add(seq);
      changed.set(conversationId, set);
    };
    const kdfStart = performance.now();
    const { header, dataKey } = await createBackupHeader(generateRecoveryKey());
    const kdfMs = performance.now() - kdfStart;
    const wholeStart = performance.now();
    const whole = await backups.write(dataKey, header, history.source(), new Map());
    const wholeMs = performance.now() - wholeStart;

    // What a day brings: new messages in the first conversation, edits of old ones across the others.
    const [first] = conversationIds as [string];
    const events: ChatEvent[] = [];
    for (let i = 0; i < APPENDED_MESSAGES; i++) {
      nextSeq += 1;
      events.push({
        kind: 'message',
        conversationId: first,
        seq: nextSeq,
        messageId: `appended-${run}-${i}`,
        senderId: alice.userId,
        senderDeviceId: 'laptop',
        own: false,
        sentAt: new Date(Date.parse('2026-12-01T08:00:00Z') + nextSeq * 1000).toISOString(),
        messageKind: 'message',
        plaintext: payload({ text: `A new message after the first backup, number ${i}` }),
      } as ChatEvent);
    }
    for (let i = 0; i < APPENDED_EDITS; i++) {
      const conversationId = conversationIds[1 + (i % (conversationIds.length - 1))] as string;
      const target = (await history.readAll(conversationId)).find((m, at) => at > 10 * i && !m.event);
      if (!target) continue;
      nextSeq += 1;
      events.push({
        kind: 'message',
        conversationId,
        seq: nextSeq,
        messageId: `edit-${run}-${i}`,
        senderId: target.senderId,
        senderDeviceId: 'laptop',
        own: false,
        sentAt: new Date().toISOString(),
        messageKind: 'edit',
        refSeq: target.seq,
        plaintext: payload({ text: `${target.text} (edited after the backup)` }),
      } as ChatEvent);
    }
    await history.write(events);
    const appendStart = performance.now();
    const append = await backups.write(dataKey, header, history.source(), changed);
    const appendMs = performance.now() - appendStart;
    const restoredHistory = historyWriterOf(laptop.persona, new InMemoryStateStore(), conversationIds);
    const restoreStart = performance.now();
    const restored = await backups.restore(dataKey, restoredHistory);
    const restoreMs = performance.now() - restoreStart;
    samples.push({
      kdfMs,
      wholeMs,
      wholeChunks: whole.chunks,
      wholeBytes: whole.bytes,
      appendMs,
      appendChunks: append.chunks,
      appendBytes: append.bytes - whole.bytes,
      restoreMs,
      restored: restored.messages,
    });
  }
  await backups.delete();
  return samples;
}

function backupReport(samples: readonly BackupSample[], jsonBytes: number): string[] {
  const of = (pick: (s: BackupSample) => number) => samples.map(pick);
  const first = samples[0] as BackupSample;
  return [
    '### The encrypted backup of the same history',
    '',
    '| what | value |',
    '|---|---|',
    `| the recovery key's derivation (Argon2id, 64 MiB, 3 passes), once per backup made or opened | ${spread(
      of((s) => s.kdfMs),
      msText,
    )} |`,
    `| first backup, the whole history: time | ${spread(
      of((s) => s.wholeMs),
      seconds,
    )} |`,
    `| … chunks (and the index) / bytes stored / plaintext JSON | ${first.wholeChunks} (+1) / ${mb(first.wholeBytes)} / ${mb(jsonBytes)} (${Math.round((first.wholeBytes / jsonBytes) * 100)} %) |`,
    `| an append of ${APPENDED_MESSAGES} new messages and ${APPENDED_EDITS} edits of old ones: time | ${spread(
      of((s) => s.appendMs),
      msText,
    )} |`,
    `| … new chunks / bytes added (the new index replaces the old) | ${first.appendChunks} / ${(first.appendBytes / 1000).toFixed(1)} KB |`,
    `| restore into an empty history (${first.restored.toLocaleString('en')} messages, the key already derived) | ${spread(
      of((s) => s.restoreMs),
      seconds,
    )} |`,
  ];
}

function report(input: {
  samples: readonly RunSample[];
  load: LoadAverages;
  fillMs: number;
  jsonBytes: number;
  photos: number;
  longest: number;
  meteredRun: RunSample;
  steps: Map<string, StepCost>;
}): string[] {
  const { samples, load, jsonBytes, meteredRun, steps } = input;
  const of = (pick: (s: RunSample) => number) => samples.map(pick);
  const totals = of((s) => s.sendMs + s.receiveMs);
  const rows = [...steps].sort(([a], [b]) => a.localeCompare(b));
  const sum = (pick: (c: StepCost) => number) => rows.reduce((total, [, cost]) => total + pick(cost), 0);
  const requestCount = (prefix: string) =>
    sum((c) =>
      Object.entries(c.requests)
        .filter(([k]) => k.startsWith(prefix))
        .reduce((t, [, n]) => t + n, 0),
    );
  const httpRequests =
    sum((c) => c.calls) -
    rows.filter(([step]) => step.startsWith('S3 ')).reduce((t, [, c]) => t + c.calls, 0);
  const lambdaInvocations = sum((c) => Object.values(c.lambda).reduce((t, n) => t + n, 0));
  const s3Puts = requestCount('s3 POST') + requestCount('s3 PUT');
  const s3Gets = requestCount('s3 GET') + requestCount('s3 HEAD');
  const bytes = meteredRun.bytes;
  const dollars = {
    dynamodb:
      sum((c) => c.readUnits) * PRICES_IN_USD.dynamoDbReadRequestUnit +
      sum((c) => c.writeUnits + c.failedConditionalWriteUnits) * PRICES_IN_USD.dynamoDbWriteRequestUnit,
    s3Requests: s3Puts * PRICES_IN_USD.s3PostRequest + s3Gets * PRICES_IN_USD.s3GetRequest,
    s3Storage: (bytes / 1e9) * (CHUNK_DAYS_IN_S3 / 30) * PRICES_IN_USD.s3StandardGbMonth,
    transferOut: (bytes / 1e9) * PRICES_IN_USD.s3TransferOutGb,
    httpApi: httpRequests * PRICES_IN_USD.apiGatewayHttpRequest,
    lambda:
      lambdaInvocations * PRICES_IN_USD.lambdaRequest +
      sum((c) => c.lambdaGbSeconds) * PRICES_IN_USD.lambdaArmGbSecond,
    pushes:
      sum((c) => c.webSocketMessages) * PRICES_IN_USD.apiGatewayWebSocketMessage +
      sum((c) => c.sqsRequests) * PRICES_IN_USD.sqsStandardRequest,
  };
  const byFunction: Record<string, number> = {};
  for (const [, c] of rows)
    for (const [name, n] of Object.entries(c.lambda)) byFunction[name] = (byFunction[name] ?? 0) + n;
  const lambdaTotals = Object.entries(byFunction)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  const total = Object.values(dollars).reduce((t, v) => t + v, 0);
  const first = samples[0] as RunSample;
  return [
    '## History on a new device',
    '',
    `${MESSAGES.toLocaleString('en')} messages in ${CONVERSATIONS} conversations (${input.photos} photos with a thumbnail, the longest text ${input.longest.toLocaleString('en')} characters; reactions, edits and replies beside them), written into the laptop's history in ${seconds(input.fillMs)}, then sent to a fresh phone ${samples.length} times; median (fastest–slowest). ${loadLine(load)}`,
    '',
    '| what | value |',
    '|---|---|',
    `| request, offer, code, approve | ${spread(
      of((s) => s.handshakeMs),
      msText,
    )} |`,
    `| transfer: laptop sends + phone receives | ${spread(totals, seconds)} |`,
    `| … the laptop's \`send\` | ${spread(
      of((s) => s.sendMs),
      seconds,
    )} |`,
    `| … the phone's \`receive\` | ${spread(
      of((s) => s.receiveMs),
      seconds,
    )} |`,
    `| … in \`send\`: S3 POSTs / the count of kept messages \`send\` makes first (measured alone) | ${spread(
      of((s) => s.uploadMs),
      msText,
    )} / ${spread(
      of((s) => s.countMs),
      msText,
    )} |`,
    `| … in \`receive\`: S3 GETs (bodies read to the end) / restoring into the phone's history and search index | ${spread(
      of((s) => s.downloadMs),
      msText,
    )} / ${spread(
      of((s) => s.restoreMs),
      msText,
    )} |`,
    `| first chunk announced, from the start of \`send\` | ${spread(
      of((s) => s.firstSentMs),
      msText,
    )} |`,
    `| first chunk restored (${first.firstScreenMessages} messages: the first screen), from the start of \`receive\` | ${spread(
      of((s) => s.firstRestoredMs),
      msText,
    )} |`,
    `| the first screen of every conversation restored (${FIRST_SCREENS} messages), from the start of \`receive\` | ${spread(
      of((s) => s.everyFirstScreenMs),
      msText,
    )} |`,
    `| messages per second (send + receive) | ${spread(
      totals.map((ms) => (MESSAGES * 1000) / ms),
      (v) => v.toFixed(0),
    )} |`,
    `| chunks | ${first.chunks} (${mb(first.bytes / first.chunks)} each on average) |`,
    `| on the wire (sum of sealed chunks) / plaintext JSON of the messages | ${mb(first.bytes)} / ${mb(jsonBytes)} (${((100 * first.bytes) / jsonBytes).toFixed(0)} %) |`,
    `| peak RSS of the process during send + receive (stack, functions and both devices) / before | ${spread(
      of((s) => s.peakRss),
      mib,
    )} / ${spread(
      of((s) => s.rssBefore),
      mib,
    )} |`,
    '',
    `Billed units of one transfer, metered request by request (a ${SETTLE_IN_MS} ms pause after each, its fan-out included):`,
    '',
    '| step | calls | read units | write units | S3 requests | Lambda | pushes (WebSocket messages) |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      ([step, c]) =>
        `| ${step} | ${c.calls} | ${units(c.readUnits)} | ${units(c.writeUnits + c.failedConditionalWriteUnits)} | ${
          Object.entries(c.requests)
            .filter(([k]) => k.startsWith('s3 '))
            .map(([k, n]) => `${k.slice(3)} ${n}`)
            .join(', ') || '–'
        } | ${
          Object.entries(c.lambda)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ') || '–'
        } | ${units(c.webSocketMessages)} |`,
    ),
    `| **total** | ${sum((c) => c.calls)} | ${units(sum((c) => c.readUnits))} | ${units(sum((c) => c.writeUnits + c.failedConditionalWriteUnits))} | PUT/POST ${s3Puts}, GET/HEAD ${s3Gets} | ${lambdaTotals} | ${units(sum((c) => c.webSocketMessages))} |`,
    '',
    `| $ per ${MESSAGES.toLocaleString('en')}-message transfer | priced at | $ |`,
    '|---|---|---|',
    `| DynamoDB | $0.125 / $0.625 per million read / write units | ${usd(dollars.dynamodb)} |`,
    `| S3 requests: ${s3Puts} POST, ${s3Gets} GET and HEAD | $0.005 / $0.0004 per 1,000 | ${usd(dollars.s3Requests)} |`,
    `| S3 storage, ${mb(bytes)} for ${CHUNK_DAYS_IN_S3} days | $0.023 per GB-month | ${usd(dollars.s3Storage)} |`,
    `| data transfer out, ${mb(bytes)} | $0.09 per GB | ${usd(dollars.transferOut)} |`,
    `| HTTP API, ${httpRequests} requests | $1.00 per million | ${usd(dollars.httpApi)} |`,
    `| Lambda, ${lambdaInvocations} invocations, ${sum((c) => c.lambdaGbSeconds).toFixed(3)} GB-s | $0.20 per million, $0.0000133334 per GB-s | ${usd(dollars.lambda)} |`,
    `| pushes: ${units(sum((c) => c.webSocketMessages))} WebSocket messages, ${units(sum((c) => c.sqsRequests))} SQS requests | $1.00 / $0.40 per million | ${usd(dollars.pushes)} |`,
    `| **total** | | **${usd(total)}** |`,
  ];
}
