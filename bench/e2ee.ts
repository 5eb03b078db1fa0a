/**
 * The E2EE part of `npm run bench` (alone: `npm run bench -- e2ee`): application messages, commits, group
 * state and the module's size, in Node and in headless Chromium. Returns Markdown lines for the report.
 *
 * The scenarios live in `e2ee-scenarios.ts` and run unchanged in both; this file runs them, bundles the
 * module the way a web client would, and compares the numbers with the targets.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { REPO_ROOT } from '../infra/paths';
import { sendFrame } from '../shared/protocol/inbound';
import { MAX_FRAME_SIZE_IN_BYTES, MAX_INLINE_BYTES_SIZE_IN_BYTES } from '../shared/protocol/limits';
import { messageFrame } from '../shared/protocol/outbound';
import { bundleForBrowser, inChromium } from './chromium';
import {
  type CommitKind,
  type CommitSamples,
  type E2eeScenarioOptions,
  type GroupResult,
  runE2eeScenarios,
} from './e2ee-scenarios';
import { summary } from './stats';

const PLAINTEXT_SIZE_IN_BYTES = 200;
const MESSAGE_RUNS = Number(process.env.BENCH_E2EE_MESSAGES ?? 500);
const COMMIT_RUNS = Number(process.env.BENCH_E2EE_COMMITS ?? 10);
/** A commit at 1,000 members takes seconds in each runtime: fewer runs keep the benchmark under ~10 min. */
const LARGE_GROUP_COMMIT_RUNS = Number(process.env.BENCH_E2EE_LARGE_COMMITS ?? 5);

const OPTIONS: E2eeScenarioOptions = {
  plaintextSizeInBytes: PLAINTEXT_SIZE_IN_BYTES,
  messageGroupSizes: [2, 100, 1000],
  messageRuns: MESSAGE_RUNS,
  commitGroups: [
    { size: 10, runs: COMMIT_RUNS },
    { size: 100, runs: COMMIT_RUNS },
    { size: 1000, runs: LARGE_GROUP_COMMIT_RUNS },
  ],
};

/** What a browser client would import from `shared/e2ee`. */
const MODULE_ENTRY_POINTS = [
  'group-session',
  'device',
  'directory',
  'safety-number',
  'encrypted-state-store',
];

const TARGETS = {
  messageInChromiumMs: 0.5,
  messageInNodeMs: 3,
  overheadInBytes: 160,
  processAt1000InChromiumMs: 300,
  moduleGzipInBytes: 50_000,
};

type Runtime = 'node' | 'chromium';

function progress(runtime: Runtime) {
  return (message: string, data: Record<string, number | string>) =>
    process.stderr.write(`  ${runtime}: ${message} ${JSON.stringify(data)}\n`);
}

async function runInNode(): Promise<GroupResult[]> {
  return runE2eeScenarios(OPTIONS, progress('node'));
}

async function runInChromium() {
  const script = await bundleForBrowser(join(REPO_ROOT, 'bench', 'e2ee-browser.ts'));
  return inChromium(script, 'runE2eeBench', async ({ page, version, crossOriginIsolated }) => {
    const results = await page.evaluate((options) => globalThis.runE2eeBench(options), OPTIONS);
    return { results, version, crossOriginIsolated };
  });
}

/** Minified and gzip bytes of the module as a browser client bundles it, and where the bytes come from. */
async function moduleSize() {
  const result = await build({
    stdin: {
      contents: MODULE_ENTRY_POINTS.map((name) => `export * from './shared/e2ee/${name}';`).join('\n'),
      resolveDir: REPO_ROOT,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2023',
    minify: true,
    metafile: true,
    write: false,
  });
  const [output] = result.outputFiles;
  const [meta] = Object.values(result.metafile.outputs);
  if (output === undefined || meta === undefined) throw new Error('esbuild produced no E2EE bundle');
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(meta.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? 'shared/e2ee';
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return {
    bytes: output.contents.length,
    gzip: gzipSync(output.contents, { level: 9 }).length,
    byPackage: [...byPackage].sort((a, b) => b[1] - a[1]),
  };
}

/** Bytes a message of `size` bytes takes as a `send` frame and as the push to each recipient. */
function framing(size: number) {
  const body = Buffer.alloc(size, 7).toString('base64');
  // Ids as the server makes them (group conversation, Cognito sub) and as clients pick them (UUIDs).
  const conversationId = `g_${'x'.repeat(22)}`;
  const messageId = crypto.randomUUID();
  const send = JSON.stringify(sendFrame({ conversationId, messageId, body }));
  const push = JSON.stringify(
    messageFrame({
      conversationId,
      seq: 123_456,
      messageId,
      senderId: crypto.randomUUID(),
      sentAt: new Date().toISOString(),
      kind: 'message',
      body,
    }),
  );
  return { base64: body.length, send: send.length, push: push.length };
}

const ms = (value: number) => (value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(2)} ms`);
const bytes = (value: number) => `${value.toLocaleString('en-US')} B`;
const kib = (value: number) => `${(value / 1024).toFixed(1)} KiB`;
const members = (size: number) => size.toLocaleString('en-US');
const verdict = (pass: boolean) => (pass ? 'pass' : '**miss**');

function groupAt(results: readonly GroupResult[], size: number): GroupResult {
  const group = results.find((r) => r.size === size);
  if (group === undefined) throw new Error(`No results for a group of ${size}`);
  return group;
}

function commitAt(results: readonly GroupResult[], size: number, kind: CommitKind): CommitSamples {
  const samples = groupAt(results, size).commits?.find((c) => c.kind === kind);
  if (samples === undefined) throw new Error(`No ${kind} commits for a group of ${size}`);
  return samples;
}

function roundTrips(group: GroupResult) {
  const messages = group.messages;
  if (messages === undefined) throw new Error(`No messages for a group of ${group.size}`);
  return {
    both: summary(messages.encryptMs.map((encrypt, i) => encrypt + (messages.decryptMs[i] ?? Number.NaN))),
    encrypt: summary(messages.encryptMs),
    decrypt: summary(messages.decryptMs),
    runs: messages.encryptMs.length,
    messageBytes: messages.messageBytes,
  };
}

/** Where the server keeps commit or Welcome bytes: in the DynamoDB item, or in S3 behind a pointer. */
const storage = (size: number) => (size > MAX_INLINE_BYTES_SIZE_IN_BYTES ? 'S3' : 'inline');

/** A commit is also pushed to every member, as a `message` frame, or as a `message-ref` when too large. */
const commitPush = (size: number) =>
  framing(size).push > MAX_FRAME_SIZE_IN_BYTES ? 'by reference' : 'inline';

const COMMIT_LABELS: Record<CommitKind, string> = {
  add: 'add one device',
  remove: 'remove one device',
  update: 'self-update',
};

/**
 * Runs the E2EE benchmark in Node, then in Chromium, and returns the report's Markdown lines.
 *
 * @example
 * lines.push(...(await measureE2ee()));
 */
export async function measureE2ee(): Promise<string[]> {
  // Other work on a shared machine skews every number here: the load average tells a reader how much.
  const [loadAtStart = Number.NaN] = loadavg();
  const node = await runInNode();
  const browser = await runInChromium();
  const chromium = browser.results;
  const size = await moduleSize();
  const [loadAtEnd = Number.NaN] = loadavg();

  const messageSizes = OPTIONS.messageGroupSizes;
  const commitSizes = OPTIONS.commitGroups.map((g) => g.size);
  const messageBytes = roundTrips(groupAt(node, 2)).messageBytes;
  const overhead = messageBytes - PLAINTEXT_SIZE_IN_BYTES;
  const frames = framing(messageBytes);
  const largest = Math.max(...commitSizes);

  const messageRows = messageSizes.map((groupSize) => {
    const inNode = roundTrips(groupAt(node, groupSize));
    const inChromium = roundTrips(groupAt(chromium, groupSize));
    const cell = (r: typeof inNode) =>
      `${ms(r.both.p50)} / ${ms(r.both.p90)} (${ms(r.encrypt.p50)} + ${ms(r.decrypt.p50)})`;
    return `| ${members(groupSize)} | ${cell(inNode)} | ${cell(inChromium)} | ${inNode.runs} |`;
  });

  const commitRows = commitSizes.flatMap((groupSize) =>
    (['add', 'remove', 'update'] as const).map((kind) => {
      const inNode = commitAt(node, groupSize, kind);
      const inChromium = commitAt(chromium, groupSize, kind);
      const commitBytes = Math.max(...inNode.commitBytes);
      const welcome = kind === 'add' ? Math.max(...inNode.welcomeBytes) : undefined;
      return [
        `| ${members(groupSize)} | ${COMMIT_LABELS[kind]}`,
        `${ms(summary(inNode.createMs).p50)} / ${ms(summary(inNode.processMs).p50)}`,
        `${ms(summary(inChromium.createMs).p50)} / ${ms(summary(inChromium.processMs).p50)}`,
        `${bytes(commitBytes)} (${storage(commitBytes)}, push ${commitPush(commitBytes)})`,
        welcome === undefined ? '–' : `${bytes(welcome)} (${storage(welcome)})`,
        kind === 'add' ? `${ms(summary(inNode.joinMs).p50)} / ${ms(summary(inChromium.joinMs).p50)}` : '–',
        `${inNode.createMs.length} |`,
      ].join(' | ');
    }),
  );

  const stateRows = commitSizes.map((groupSize) => {
    const state = groupAt(node, groupSize).state;
    if (state === undefined) throw new Error(`No state size for a group of ${groupSize}`);
    const setup = `${ms(groupAt(node, groupSize).setupMs)} / ${ms(groupAt(chromium, groupSize).setupMs)}`;
    return `| ${members(groupSize)} | ${bytes(state.memberBytes)} (${kib(state.memberBytes)}) | ${bytes(state.joinerBytes)} (${kib(state.joinerBytes)}) | ${setup} |`;
  });

  const worst = (results: readonly GroupResult[], pick: (r: ReturnType<typeof roundTrips>) => number) =>
    Math.max(...messageSizes.filter((s) => s <= 100).map((s) => pick(roundTrips(groupAt(results, s)))));
  const chromiumMessage = worst(chromium, (r) => r.both.p50);
  const nodeMessage = worst(node, (r) => r.both.p50);
  const largeProcess = (['add', 'remove', 'update'] as const).map((kind) => ({
    kind,
    p50: summary(commitAt(chromium, largest, kind).processMs).p50,
  }));
  const chromiumProcess = Math.max(...largeProcess.map((p) => p.p50));

  return [
    `Chromium ${browser.version} (headless, cross-origin isolated: ${browser.crossOriginIsolated}); Node ${process.versions.node}. Each member is one device. 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadAtEnd.toFixed(1)} at the end.`,
    '',
    `| ${PLAINTEXT_SIZE_IN_BYTES}-byte application message, group of | Node: encrypt + decrypt p50 / p90 (encrypt p50 + decrypt p50) | Chromium: same | runs |`,
    '|---|---|---|---|',
    ...messageRows,
    '',
    '| wire size of one message | bytes |',
    '|---|---|',
    `| MLS \`PrivateMessage\` for ${PLAINTEXT_SIZE_IN_BYTES} bytes of plaintext | ${bytes(messageBytes)} (overhead ${bytes(overhead)}) |`,
    `| as base64 | ${bytes(frames.base64)} (+${bytes(frames.base64 - messageBytes)}) |`,
    `| \`send\` frame (JSON) | ${bytes(frames.send)} (+${bytes(frames.send - messageBytes)} over the MLS bytes) |`,
    `| \`message\` push to each recipient (JSON) | ${bytes(frames.push)} (+${bytes(frames.push - messageBytes)} over the MLS bytes) |`,
    '',
    '| group of | commit | Node: create / process p50 | Chromium: create / process p50 | commit size | Welcome size | join from the Welcome, Node / Chromium p50 | runs |',
    '|---|---|---|---|---|---|---|---|',
    ...commitRows,
    '',
    '| group of | state of a member after ≥ 4 epochs | state right after joining | building the group (not measured), Node / Chromium |',
    '|---|---|---|---|',
    ...stateRows,
    '',
    '| E2EE module for the browser (esbuild, ESM, minified) | bytes |',
    '|---|---|',
    `| bundle | ${bytes(size.bytes)} (${kib(size.bytes)}) |`,
    `| gzip | ${bytes(size.gzip)} (${kib(size.gzip)}) |`,
    ...size.byPackage.map(([name, n]) => `| of which ${name}, minified | ${bytes(n)} |`),
    '',
    '| target | measured | |',
    '|---|---|---|',
    `| message (encrypt + decrypt, p50) in Chromium ≤ ${TARGETS.messageInChromiumMs} ms | ${ms(chromiumMessage)} (worst of 2 and 100 members) | ${verdict(chromiumMessage <= TARGETS.messageInChromiumMs)} |`,
    `| message (encrypt + decrypt, p50) in Node ≤ ${TARGETS.messageInNodeMs} ms | ${ms(nodeMessage)} (worst of 2 and 100 members) | ${verdict(nodeMessage <= TARGETS.messageInNodeMs)} |`,
    `| overhead ≤ ${TARGETS.overheadInBytes} B | ${bytes(overhead)} | ${verdict(overhead <= TARGETS.overheadInBytes)} |`,
    `| processing a commit at ${members(largest)} members in Chromium ≤ ${TARGETS.processAt1000InChromiumMs / 1000} s | ${largeProcess.map((p) => `${COMMIT_LABELS[p.kind]} ${ms(p.p50)}`).join(', ')} (p50) | ${verdict(chromiumProcess <= TARGETS.processAt1000InChromiumMs)} |`,
    `| module ≤ ${TARGETS.moduleGzipInBytes / 1000} KB gzip | ${bytes(size.gzip)} | ${verdict(size.gzip <= TARGETS.moduleGzipInBytes)} |`,
  ];
}
