/**
 * The attachments part of `npm run bench` (alone: `npm run bench -- attachments`): how fast a 100 MB file
 * goes through the local stack end to end (seal and upload, download and open), the raw POST and GET
 * alone beside them so the cipher's share shows, the cipher's own speed in Node and in Chromium, and what
 * storing and moving 1 GB of attachments costs on AWS, the API calls' units metered at the stand-ins.
 *
 * The S3 stand-in runs in this process: its work shares the event loop and the cores with the client's.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDbAttachmentStore } from '../functions/adapters/dynamodb/dynamodb-attachment-store';
import { REPO_ROOT } from '../infra/paths';
import { SCHEDULES } from '../infra/topology';
import { decryptAttachment, encryptAttachment } from '../shared/e2ee/attachment-cipher';
import {
  MAX_ATTACHMENT_FILE_SIZE_IN_BYTES,
  UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS,
} from '../shared/protocol/limits';
import { type Api, apiFor, befriend } from '../test/support/api';
import { postUpload } from '../test/support/attachments';
import { signUp } from '../test/support/personas';
import { startTestStack, type TestStack } from '../test/support/stack';
import { tableReader } from '../test/support/table';
import { UNLIMITED } from './allowances';
import { type CipherSamples, measureCipher, randomFile } from './attachment-cipher-scenario';
import { bundleForBrowser, inChromium } from './chromium';
import {
  type AttachmentMix,
  attachmentCostPerGb,
  PRICES_IN_USD,
  type UnitsPerAttachment,
  type UnitsPerMessage,
  unitDollars,
  unitsPerMessage,
} from './cost';
import { type LoadAverages, loadLine, type Measured, withLoad } from './load-average';
import { summary } from './stats';

/** The largest file a user may send: 100 MB. */
const FILE_SIZE_IN_BYTES = Number(process.env.BENCH_ATTACHMENT_BYTES ?? MAX_ATTACHMENT_FILE_SIZE_IN_BYTES);
const RUNS = Number(process.env.BENCH_ATTACHMENT_RUNS ?? 3);
/** Attachments per metered call: units do not depend on a file's size, so small files do. */
const METERED_ATTACHMENTS = Number(process.env.BENCH_ATTACHMENT_METERED ?? 20);
/** Time for trailing writes (fan-out, read marks) to land before and after a metered stretch. */
const SETTLE_IN_MS = 500;
const BODY = Buffer.from('sealed message').toString('base64');

/** 1 GB as 100 files of 10 MB, each downloaded by 2 recipients, kept a month. */
const MIX: AttachmentMix = { files: 100, recipients: 2, months: 1 };

const MB = 1_000_000;
const SWEEP_EVERY_MINUTES =
  SCHEDULES.find((schedule) => schedule.function === 'attachmentSweeper')?.everyMinutes ?? Number.NaN;
const mbPerSecond = (bytes: number, ms: number) => bytes / MB / (ms / 1000);

/** Median milliseconds of the samples, and the MB/s at that median. */
function rate(samples: readonly number[], bytes = FILE_SIZE_IN_BYTES) {
  const { p50, max } = summary(samples);
  const fastest = Math.min(...samples);
  return { ms: p50, mbps: mbPerSecond(bytes, p50), best: mbPerSecond(bytes, fastest), worst: max };
}

const rateCell = (samples: readonly number[]) => {
  const { ms, mbps, best } = rate(samples);
  return `${mbps.toFixed(0)} MB/s (${(ms / 1000).toFixed(2)} s; best ${best.toFixed(0)} MB/s)`;
};

/** One file's trip through the local stack, timed piece by piece. */
interface TripSamples {
  readonly sealMs: number[];
  /** Sealing, the upload slot and the POST: what a sender waits for. */
  readonly sealAndUploadMs: number[];
  readonly postMs: number[];
  /** The download link, the GET and opening as the bytes arrive: what a recipient waits for. */
  readonly downloadAndOpenMs: number[];
  readonly getMs: number[];
}

interface Party {
  readonly stack: TestStack;
  readonly aliceId: string;
  readonly alices: Api;
  readonly recipients: readonly Api[];
  readonly conversationId: string;
}

async function party(stack: TestStack): Promise<Party> {
  const [alice, bob, carol] = await Promise.all([
    signUp(stack, 'alice'),
    signUp(stack, 'bob'),
    signUp(stack, 'carol'),
  ]);
  await Promise.all([befriend(stack, alice, bob), befriend(stack, alice, carol)]);
  const alices = apiFor(stack, alice);
  const { conversationId } = await alices.createConversation({
    body: { kind: 'group', name: 'Files', memberIds: [bob.userId, carol.userId] },
  });
  return {
    stack,
    aliceId: alice.userId,
    alices,
    recipients: [apiFor(stack, bob), apiFor(stack, carol)],
    conversationId,
  };
}

/** Reads a response's body to its end, counting its bytes. */
async function drain(response: Response): Promise<number> {
  const reader = response.body?.getReader();
  let bytes = 0;
  for (let read = await reader?.read(); read !== undefined && !read.done; read = await reader?.read()) {
    bytes += read.value.length;
  }
  return bytes;
}

/** Sends the file RUNS times from Alice, and Bob downloads each: through the cipher, and raw. */
async function measureTrips({ alices, recipients, conversationId }: Party): Promise<TripSamples> {
  const [bobs] = recipients;
  if (bobs === undefined) throw new Error('no recipient');
  const file = randomFile(FILE_SIZE_IN_BYTES);
  const samples: TripSamples = {
    sealMs: [],
    sealAndUploadMs: [],
    postMs: [],
    downloadAndOpenMs: [],
    getMs: [],
  };
  for (let run = 0; run < RUNS; run += 1) {
    const start = performance.now();
    const sealed = await encryptAttachment(file);
    const sealedAt = performance.now();
    const slot = await alices.createUpload({ params: { conversationId }, body: { size: sealed.size } });
    const postStart = performance.now();
    const posted = await postUpload(slot, sealed.ciphertext);
    const end = performance.now();
    if (posted.status !== 204) throw new Error(`upload answered ${posted.status}`);
    samples.sealMs.push(sealedAt - start);
    samples.postMs.push(end - postStart);
    samples.sealAndUploadMs.push(end - start);
    await alices.postMessage({
      params: { conversationId },
      body: { messageId: `file-${run}`, body: BODY, attachmentIds: [slot.attachmentId] },
    });

    const getStart = performance.now();
    const raw = await bobs.getAttachment({ params: { conversationId, attachmentId: slot.attachmentId } });
    const bytes = await drain(await fetch(raw.url));
    samples.getMs.push(performance.now() - getStart);
    if (bytes !== sealed.size) throw new Error(`downloaded ${bytes} bytes, not ${sealed.size}`);

    const downloadStart = performance.now();
    const link = await bobs.getAttachment({ params: { conversationId, attachmentId: slot.attachmentId } });
    const response = await fetch(link.url);
    if (response.body === null) throw new Error('the download has no body');
    const opened = await decryptAttachment(response.body, sealed);
    samples.downloadAndOpenMs.push(performance.now() - downloadStart);
    if (opened.size !== FILE_SIZE_IN_BYTES) throw new Error(`opened ${opened.size} bytes`);
  }
  return samples;
}

/** Runs `calls` with DynamoDB capacity metered, and returns the units and requests per call. */
async function metered(stack: TestStack, calls: number, call: (index: number) => Promise<unknown>) {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_IN_MS));
  stack.meter.reset();
  stack.meter.meterCapacity(true);
  try {
    for (let i = 0; i < calls; i += 1) await call(i);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_IN_MS));
  } finally {
    stack.meter.meterCapacity(false);
  }
  const requests = Object.fromEntries(
    Object.entries(stack.meter.snapshot())
      .filter(([key]) => key !== 'sqs ReceiveMessage')
      .map(([key, count]) => [key, count / calls]),
  );
  return { units: unitsPerMessage(stack.meter.usage(), calls), requests };
}

/** `a` minus `b`, field by field, not below zero: what one call adds to another. */
function unitsAdded(a: UnitsPerMessage, b: UnitsPerMessage): UnitsPerMessage {
  const added = Object.fromEntries(
    Object.entries(a).map(([key, value]) => [key, Math.max(0, value - b[key as keyof UnitsPerMessage])]),
  );
  return added as unknown as UnitsPerMessage;
}

/** Units over `calls` calls, per call. */
function perCall(units: UnitsPerMessage, calls: number): UnitsPerMessage {
  const each = Object.fromEntries(Object.entries(units).map(([key, value]) => [key, value / calls]));
  return each as unknown as UnitsPerMessage;
}

/** Requests one stretch made beyond another's, per call. */
function perCallRequests(a: Record<string, number>, b: Record<string, number>, calls: number) {
  return Object.fromEntries(
    Object.entries(a)
      .map(([key, count]) => [key, (count - (b[key] ?? 0)) / calls] as const)
      .filter(([, count]) => count > 0),
  );
}

/** The units of each API call around one attachment, and the S3 requests per upload and download. */
async function measureUnits({ stack, aliceId, alices, recipients, conversationId }: Party) {
  const n = METERED_ATTACHMENTS;
  const tiny = new Uint8Array(1000);
  const slots: Array<{ attachmentId: string; url: string; fields: Record<string, string> }> = [];
  const createUpload = await metered(stack, n, async () => {
    slots.push(await alices.createUpload({ params: { conversationId }, body: { size: tiny.length } }));
  });
  const post = await metered(stack, n, async (i) => {
    const slot = slots[i];
    if (slot === undefined || (await postUpload(slot, tiny)).status !== 204) throw new Error('upload failed');
  });
  const plain = await metered(stack, n, (i) =>
    alices.postMessage({ params: { conversationId }, body: { messageId: `plain-${i}`, body: BODY } }),
  );
  const carrying = await metered(stack, n, (i) =>
    alices.postMessage({
      params: { conversationId },
      body: { messageId: `carrying-${i}`, body: BODY, attachmentIds: [slots[i]?.attachmentId ?? ''] },
    }),
  );
  const links: string[] = [];
  const getAttachment = await metered(stack, n * recipients.length, async (i) => {
    const api = recipients[i % recipients.length] as Api;
    const attachmentId = slots[Math.floor(i / recipients.length)]?.attachmentId ?? '';
    links.push((await api.getAttachment({ params: { conversationId, attachmentId } })).url);
  });
  const get = await metered(stack, links.length, async (i) => {
    await drain(await fetch(links[i] ?? ''));
  });

  // A run with nothing due costs the same whatever the traffic (it looks back over the due index):
  // measured alone, then taken off the run that keeps the files, so only their share is theirs.
  const idle = await metered(stack, 1, () => stack.runSchedule('attachmentSweeper'));
  // The sweep keeps a carried file a day after its upload: uploads recorded a day ago, then carried.
  const table = tableReader(stack);
  try {
    const store = new DynamoDbAttachmentStore(table.client, table.tableName);
    const dayAgo = Date.now() - UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS - 1000;
    for (let i = 0; i < n; i += 1) {
      const attachmentId = randomBytes(16).toString('base64url');
      await store.reserve(
        { attachmentId, conversationId, uploaderId: aliceId, size: tiny.length, createdAt: dayAgo },
        UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS,
      );
      await alices.postMessage({
        params: { conversationId },
        body: { messageId: `late-${i}`, body: BODY, attachmentIds: [attachmentId] },
      });
    }
  } finally {
    table.destroy();
  }
  let swept: unknown;
  const busy = await metered(stack, 1, async () => {
    swept = await stack.runSchedule('attachmentSweeper');
  });
  const units: UnitsPerAttachment = {
    createUpload: createUpload.units,
    carry: unitsAdded(carrying.units, plain.units),
    getAttachment: getAttachment.units,
    sweep: perCall(unitsAdded(busy.units, idle.units), n),
  };
  return {
    units,
    s3: { post: post.requests, get: get.requests },
    requests: {
      createUpload: createUpload.requests,
      getAttachment: getAttachment.requests,
      sweep: perCallRequests(busy.requests, idle.requests, n),
    },
    idleSweep: idle,
    swept,
  };
}

async function measureInChromium(): Promise<{ samples: CipherSamples; version: string } | string> {
  try {
    const script = await bundleForBrowser(join(REPO_ROOT, 'bench', 'attachments-browser.ts'));
    return await inChromium(script, 'runAttachmentCipherBench', async ({ page, version }) => {
      const samples = await page.evaluate(([size, runs]) => globalThis.runAttachmentCipherBench(size, runs), [
        FILE_SIZE_IN_BYTES,
        RUNS,
      ] as const);
      return { samples, version };
    });
  } catch (error) {
    return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
  }
}

const unitsCell = (units: UnitsPerMessage) =>
  `${units.readUnits.toFixed(1)} RRU, ${(units.writeUnits + units.gsiWriteUnits).toFixed(1)} WRU, ${units.lambdaInvocations.toFixed(1)} invocations, ${(units.lambdaGbSeconds * 1000).toFixed(2)} GB-ms`;

const requestsCell = (requests: Record<string, number>) =>
  Object.entries(requests)
    .map(([key, count]) => `${key} ${Number.isInteger(count) ? count : count.toFixed(2)}`)
    .join(', ') || 'none';

const usd = (value: number) => `$${value < 0.01 ? value.toFixed(5) : value.toFixed(3)}`;

/** The attachments part: Markdown lines for the report. */
export async function measureAttachments(): Promise<string[]> {
  const node = await withLoad(() => measureCipher(FILE_SIZE_IN_BYTES, RUNS));
  const stack = await startTestStack({
    logLevel: 'WARN',
    rateLimits: UNLIMITED,
    caps: { attachmentBytesPerUserPerDay: 1_000_000_000_000 },
  });
  let trips: Measured<TripSamples>;
  let metering: Awaited<ReturnType<typeof measureUnits>>;
  try {
    const members = await party(stack);
    trips = await withLoad(() => measureTrips(members));
    metering = await measureUnits(members);
  } finally {
    await stack.stop();
  }
  const chromium = await withLoad(measureInChromium);
  const cost = attachmentCostPerGb(metering.units, MIX);
  const idleSweepPerMonth = ((30 * 24 * 60) / SWEEP_EVERY_MINUTES) * unitDollars(metering.idleSweep.units);
  const size = `${FILE_SIZE_IN_BYTES / MB} MB`;
  const loads: Array<[string, LoadAverages]> = [
    ['Node cipher', node.load],
    ['local stack', trips.load],
    ['Chromium cipher', chromium.load],
  ];
  const share = (part: number[], whole: number[]) =>
    `${((100 * rate(part).ms) / rate(whole).ms).toFixed(0)} %`;

  return [
    `### Attachments: ${size}, median of ${RUNS} runs (MB = 10^6 bytes)`,
    '',
    '| what | speed |',
    '|---|---|',
    `| seal in Node (\`encryptAttachment\`, 64 KiB chunks) | ${rateCell(node.value.encryptMs)} |`,
    `| open in Node (\`decryptAttachment\` of the sealed Blob) | ${rateCell(node.value.decryptMs)} |`,
    `| … its AES-256-GCM alone in Node (WebCrypto, a call per 64 KiB) | ${rateCell(node.value.aesGcmMs)} |`,
    `| … its SHA-256 alone in Node (\`@noble/hashes\`) | ${rateCell(node.value.sha256Ms)} |`,
    ...(typeof chromium.value === 'string'
      ? [`| seal and open in Chromium | skipped: ${chromium.value} |`]
      : [
          `| seal in Chromium ${chromium.value.version} | ${rateCell(chromium.value.samples.encryptMs)} |`,
          `| open in Chromium ${chromium.value.version} | ${rateCell(chromium.value.samples.decryptMs)} |`,
          `| … its AES-256-GCM alone in Chromium | ${rateCell(chromium.value.samples.aesGcmMs)} |`,
          `| … its SHA-256 alone in Chromium | ${rateCell(chromium.value.samples.sha256Ms)} |`,
        ]),
    `| local stack: seal + upload slot + POST (what a sender waits for) | ${rateCell(trips.value.sealAndUploadMs)} |`,
    `| … of which sealing | ${rateCell(trips.value.sealMs)}, ${share(trips.value.sealMs, trips.value.sealAndUploadMs)} of the time |`,
    `| … of which the POST alone | ${rateCell(trips.value.postMs)}, ${share(trips.value.postMs, trips.value.sealAndUploadMs)} of the time |`,
    `| local stack: download link + GET + open as it arrives (what a recipient waits for) | ${rateCell(trips.value.downloadAndOpenMs)} |`,
    `| local stack: download link + GET alone, body read to the end | ${rateCell(trips.value.getMs)} |`,
    '',
    ...loads.map(([what, load]) => `${what}: ${loadLine(load)}`),
    '',
    `Per attachment, metered over ${METERED_ATTACHMENTS} small files (units do not depend on a file's size):`,
    '',
    '| call | DynamoDB and Lambda | requests at the stand-ins |',
    '|---|---|---|',
    `| upload slot (\`createUpload\`) | ${unitsCell(metering.units.createUpload)} | ${requestsCell(metering.requests.createUpload)} |`,
    `| the POST to S3 | none | ${requestsCell(metering.s3.post)} |`,
    `| naming it in a message (added to the same message without it) | ${unitsCell(metering.units.carry)} | |`,
    `| download link, per recipient (\`getAttachment\`) | ${unitsCell(metering.units.getAttachment)} | ${requestsCell(metering.requests.getAttachment)} |`,
    `| the GET from S3, per recipient | none | ${requestsCell(metering.s3.get)} |`,
    `| the sweep keeping it a day on (beyond a run with nothing due) | ${unitsCell(metering.units.sweep)} | ${requestsCell(metering.requests.sweep)} (run: ${JSON.stringify(metering.swept)}) |`,
    `| a sweep run with nothing due, every ${SWEEP_EVERY_MINUTES} min whatever the traffic (not per file) | ${unitsCell(metering.idleSweep.units)} | ${requestsCell(metering.idleSweep.requests)}; ${usd(idleSweepPerMonth)} a month |`,
    '',
    `1 GB of attachments on AWS (us-east-1, list prices, no free tier): ${MIX.files} files of ${1000 / MIX.files} MB, each uploaded once, downloaded by ${MIX.recipients} recipients, kept ${MIX.months} month:`,
    '',
    '| what | priced at | $ per GB |',
    '|---|---|---|',
    `| S3 Standard storage, ${MIX.months} GB-month | $${PRICES_IN_USD.s3StandardGbMonth} per GB-month | ${usd(cost.storage)} |`,
    `| S3 requests: ${MIX.files} POST, ${MIX.files * MIX.recipients} GET | $0.005 / $0.0004 per 1,000 | ${usd(cost.s3Requests)} |`,
    `| data transfer out to the internet, ${MIX.recipients} GB | $${PRICES_IN_USD.s3TransferOutGb} per GB | ${usd(cost.transferOut)} |`,
    `| API: ${MIX.files * (1 + MIX.recipients)} HTTP API requests, DynamoDB and Lambda as metered above | $1.00 per million requests, units as for messages | ${usd(cost.api)} |`,
    `| **total** | | **${usd(cost.total)}** |`,
  ];
}
