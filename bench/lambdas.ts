/**
 * `npm run bench -- lambdas`: the size of every function's bundle, built as
 * deployed, and its module init: what a cold start pays before the handler
 * runs. Init is timed from outside, the way Lambda's runtime pays it: a fresh
 * `node` imports the bundle with the function's environment, and a fresh
 * `node -e 0` beside it gives Node's own start, subtracted run by run.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { DEFAULT_CAPS } from '../functions/caps';
import { Env, type EnvName } from '../functions/config';
import { METRICS_NAMESPACE } from '../functions/metric-names';
import { DEFAULT_RATE_LIMITS } from '../functions/rate-limits';
import { bundleFunctions } from '../infra/local/lambda-runtime';
import { envNamesOf, FUNCTIONS, type FunctionName } from '../infra/topology';
import { percentile } from './stats';

/** Pairs per function; each pair is one import and one bare start, in alternating order. */
const PAIRS = Math.max(15, Number(process.env.BENCH_LAMBDA_PAIRS ?? 21));
const GZIP_TARGET_IN_KIB = 120;
const INIT_TARGET_IN_MS = 45;
/** A bundle whose init never ends (a handle left open at module scope) must not hang the benchmark. */
const RUN_TIMEOUT_IN_MS = 10_000;

const REGION = 'eu-west-1';
const POOL_ID = `${REGION}_Bench0000`;
const ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${POOL_ID}`;

/** Values each binding's variables take: any the config schema accepts, shaped like a stage's. */
const BOUND_VALUES: Record<EnvName, string | undefined> = {
  [Env.TableName]: 'Parley-bench-Data-MainTable',
  [Env.BlobBucketName]: 'parley-bench-blobs',
  [Env.FanoutQueueUrl]: `https://sqs.${REGION}.amazonaws.com/000000000000/Parley-bench-Data-FanoutQueue`,
  [Env.FanoutDeadLetterQueueUrl]: `https://sqs.${REGION}.amazonaws.com/000000000000/Parley-bench-Data-FanoutDeadLetterQueue`,
  [Env.FanoutMaxReceiveCount]: '5',
  [Env.PushQueueUrl]: `https://sqs.${REGION}.amazonaws.com/000000000000/Parley-bench-Data-PushQueue`,
  [Env.VapidParameterName]: '/parley/bench/vapid-keys',
  [Env.VapidSubject]: 'mailto:operators@example.com',
  [Env.ConnectionsEndpoint]: `https://abcdefghij.execute-api.${REGION}.amazonaws.com/bench`,
  [Env.UserPoolId]: POOL_ID,
  [Env.UserPoolClientId]: 'benchclient0000000000000000',
  [Env.JwtIssuer]: ISSUER,
  [Env.JwksUri]: `${ISSUER}/.well-known/jwks.json`,
  [Env.RateLimits]: JSON.stringify(DEFAULT_RATE_LIMITS),
  [Env.Caps]: JSON.stringify(DEFAULT_CAPS),
  [Env.IdleTimeoutMs]: '600000',
  [Env.Stage]: 'bench',
  [Env.MetricsNamespace]: METRICS_NAMESPACE,
  // Local-only endpoint overrides: unset on AWS.
  [Env.DynamoDbEndpoint]: undefined,
  [Env.SqsEndpoint]: undefined,
  [Env.S3Endpoint]: undefined,
  [Env.CognitoEndpoint]: undefined,
  [Env.SsmEndpoint]: undefined,
  [Env.PushServiceCaFile]: undefined,
};

/** What Lambda's nodejs22.x runtime sets for a function with JSON logs at INFO, plus its bindings. */
function lambdaEnvironment(name: FunctionName): Record<string, string> {
  const environment: Record<string, string> = {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'ASIABENCH0000000000',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: `Parley-bench-${name}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(FUNCTIONS[name].memorySizeMb),
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_LAMBDA_LOG_LEVEL: 'INFO',
    LAMBDA_TASK_ROOT: '/var/task',
    TZ: ':UTC',
    // Lambda runs Node 22; the SDK's warning about this machine's Node says nothing about the function.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const binding of FUNCTIONS[name].bindings.flatMap((binding) => envNamesOf(binding))) {
    const value = BOUND_VALUES[binding];
    if (value !== undefined) environment[binding] = value;
  }
  environment[Env.Stage] = BOUND_VALUES[Env.Stage] as string;
  environment[Env.MetricsNamespace] = METRICS_NAMESPACE;
  return environment;
}

/** Wall time of one fresh `node` process, start to exit. */
function timeNode(args: readonly string[], env: Record<string, string>): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: RUN_TIMEOUT_IN_MS,
  });
  const elapsed = performance.now() - started;
  if (run.status !== 0) {
    throw new Error(
      `node ${args.join(' ')} failed (${run.status ?? run.signal}): ${run.stderr.toString().trim()}`,
    );
  }
  return elapsed;
}

interface InitTiming {
  /** Import minus bare start, per pair. */
  readonly inits: number[];
  readonly bare: number[];
}

/**
 * Round-robin over the functions, so a burst of other work on the machine
 * lands on all of them alike; within a function, the import and the bare
 * start swap order every round.
 */
function timeInits(bundles: Record<FunctionName, string>): Record<FunctionName, InitTiming> {
  const names = Object.keys(bundles) as FunctionName[];
  const timings = Object.fromEntries(
    names.map((name): [FunctionName, InitTiming] => [name, { inits: [], bare: [] }]),
  ) as Record<FunctionName, InitTiming>;
  const bareEnv = { TZ: ':UTC' };
  for (let round = 0; round < PAIRS; round += 1) {
    for (const name of names) {
      const importBundle = () =>
        timeNode(
          ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(bundles[name]).href)})`],
          lambdaEnvironment(name),
        );
      const bareStart = () => timeNode(['-e', '0'], bareEnv);
      let imported: number;
      let bare: number;
      if (round % 2 === 0) {
        imported = importBundle();
        bare = bareStart();
      } else {
        bare = bareStart();
        imported = importBundle();
      }
      timings[name].inits.push(imported - bare);
      timings[name].bare.push(bare);
    }
  }
  return timings;
}

const median = (samples: readonly number[]) =>
  percentile(
    [...samples].sort((a, b) => a - b),
    50,
  );
const kib = (bytes: number) => bytes / 1024;

/** The benchmark part: one row per function, sizes and init against the targets. */
export async function measureLambdas(): Promise<string[]> {
  const buildDir = mkdtempSync(join(tmpdir(), 'parley-lambdas-'));
  try {
    const [loadAtStart = Number.NaN] = loadavg();
    const { bundles } = await bundleFunctions(buildDir);
    const timings = timeInits(bundles);
    const [loadAtEnd = Number.NaN] = loadavg();
    const rows = (Object.keys(bundles) as FunctionName[]).map((name) => {
      const code = readFileSync(bundles[name]);
      const gzip = kib(gzipSync(code, { level: 9 }).length);
      const { inits } = timings[name];
      const sorted = [...inits].sort((a, b) => a - b);
      const init = percentile(sorted, 50);
      const spread = `${percentile(sorted, 25).toFixed(0)}–${percentile(sorted, 75).toFixed(0)}`;
      const gzipMark = gzip <= GZIP_TARGET_IN_KIB ? '' : ' ✗';
      const initMark = init <= INIT_TARGET_IN_MS ? '' : ' ✗';
      return `| ${name} | ${kib(statSync(bundles[name]).size).toFixed(1)} | ${gzip.toFixed(1)}${gzipMark} | ${init.toFixed(1)}${initMark} (${spread}) |`;
    });
    const bare = median(Object.values(timings).flatMap((timing: InitTiming) => timing.bare));
    return [
      '## Function bundles and init',
      '',
      `Each function bundled as deployed (esbuild, ESM, minified); init is the median over ${PAIRS} pairs of a fresh \`node\` importing the bundle with the function's environment minus a fresh \`node -e 0\` (median ${bare.toFixed(1)} ms), paired run by run. 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadAtEnd.toFixed(2)} at the end.`,
      '',
      `| function | bundle KiB | gzip KiB (≤ ${GZIP_TARGET_IN_KIB}) | init ms (≤ ${INIT_TARGET_IN_MS}), median (p25–p75) |`,
      '|---|---|---|---|',
      ...rows,
    ];
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}
