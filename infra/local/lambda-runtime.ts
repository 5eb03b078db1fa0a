import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_BUNDLING } from '../bundling';
import { FUNCTIONS, type FunctionName } from '../topology';
import type { Meter } from './meter';
import { INVOCATION_HEADER, type RequestTiming, type Trace } from './trace';

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const WORKER_PATH = fileURLToPath(new URL('./lambda-worker.mjs', import.meta.url));

/**
 * Execution environments kept per function by default; more invocations at once wait, as under reserved
 * concurrency. They all share this machine's cores.
 */
export const DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION = 4;

/** A log line a function wrote, tagged with the function. */
export interface FunctionLogLine {
  readonly functionName: FunctionName;
  readonly line: string;
}

export interface LambdaRuntimeOptions {
  /** Where bundles are written (`.local/build`). */
  readonly buildDir: string;
  readonly region: string;
  /** Environment of each function, from its bindings. */
  readonly environment: (name: FunctionName) => Record<string, string>;
  /** Receives every line a function logs. */
  readonly onLog: (line: FunctionLogLine) => void;
  /** Counts invocations per function, and their billed duration. */
  readonly meter?: Meter;
  /** Records invocations, and has each environment name its invocation on the requests it makes. */
  readonly trace?: Trace;
  /** @default {@link DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION} */
  readonly maxEnvironmentsPerFunction?: number;
}

export interface LocalFunction {
  readonly name: FunctionName;
  readonly timeoutSeconds: number;
  /** Names of the environment variables it runs with. */
  readonly environment: readonly string[];
}

/** Lambda's error type when the runtime process dies during an invocation. */
export const RUNTIME_EXIT_ERROR = 'Runtime.ExitError';

/** A fault to inject: the execution environment of an invocation is killed. */
export interface TerminateOptions {
  /**
   * Kill it this long after the event is handed over, if the invocation is still running then.
   * @default undefined: as the event is handed over, before any handler code runs
   */
  readonly afterMs?: number;
}

/** Raised to the caller of `invoke` when the handler threw or timed out, or its runtime died. */
export class InvocationError extends Error {
  constructor(
    readonly functionName: FunctionName,
    readonly errorName: string,
    message: string,
  ) {
    super(`${functionName} failed: ${errorName}: ${message}`);
    this.name = 'InvocationError';
  }
}

interface Environment {
  readonly worker: Worker;
  busy: boolean;
  /** Settles when the handler module has loaded (the cold start), or failed to. */
  readonly initialized: Promise<void>;
}

/**
 * Lambda's limit on an environment's init phase (loading the handler module). The function's own timeout
 * counts from the invocation after it, so a cold start on a busy machine is not an invocation timeout.
 */
const INIT_TIMEOUT_IN_SECONDS = 10;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  environment: Environment;
}

/** Where `bundleFunctions` wrote each function, and esbuild's account of its inputs when asked. */
export interface FunctionBundles {
  /** `{buildDir}/{name}/index.mjs` by function. */
  readonly bundles: Record<FunctionName, string>;
  readonly metafile?: Metafile;
}

/**
 * Bundles every function of the topology with the options the CDK stacks
 * use, in one esbuild run (entries do not share chunks, so each output is
 * what its `NodejsFunction` builds). The local stack, the benchmark and the
 * bundle tests all run this step.
 */
export async function bundleFunctions(
  buildDir: string,
  options: { readonly metafile?: boolean } = {},
): Promise<FunctionBundles> {
  mkdirSync(buildDir, { recursive: true });
  const names = Object.keys(FUNCTIONS) as FunctionName[];
  const result = await build({
    entryPoints: Object.fromEntries(
      names.map((name) => [`${name}/index`, join(REPO_ROOT, FUNCTIONS[name].entry)]),
    ),
    outdir: buildDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: LAMBDA_BUNDLING.format,
    target: LAMBDA_BUNDLING.target,
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    banner: { js: LAMBDA_BUNDLING.banner },
    alias: { ...LAMBDA_BUNDLING.alias },
    absWorkingDir: REPO_ROOT,
    metafile: options.metafile ?? false,
    logLevel: 'error',
  });
  const bundles = Object.fromEntries(names.map((name) => [name, join(buildDir, name, 'index.mjs')]));
  return {
    bundles: bundles as Record<FunctionName, string>,
    ...(result.metafile ? { metafile: result.metafile } : {}),
  };
}

/**
 * Runs the deployed handler code locally: each function is bundled with the
 * same esbuild options as the CDK stacks, and runs in worker threads that play
 * Lambda execution environments (own `process.env`, module state kept between
 * invocations, one invocation at a time, timeout enforced).
 */
export class LambdaRuntime {
  private readonly bundles = new Map<FunctionName, string>();
  private readonly environments = new Map<FunctionName, Environment[]>();
  private readonly waiting = new Map<FunctionName, Array<() => void>>();
  private readonly pending = new Map<string, Pending>();
  private readonly terminations = new Map<FunctionName, TerminateOptions[]>();
  private stopped = false;

  constructor(private readonly options: LambdaRuntimeOptions) {}

  /** Bundles every function of the topology in one esbuild run. */
  async bundle(): Promise<void> {
    const { bundles } = await bundleFunctions(this.options.buildDir);
    for (const [name, path] of Object.entries(bundles) as [FunctionName, string][])
      this.bundles.set(name, path);
  }

  /** Functions bundled and ready to invoke, with the settings they run under. */
  functions(): LocalFunction[] {
    return [...this.bundles.keys()].map((name) => ({
      name,
      timeoutSeconds: FUNCTIONS[name].timeoutSeconds,
      environment: Object.keys(this.options.environment(name)).sort(),
    }));
  }

  /** Invokes a function synchronously (RequestResponse) and returns its result. */
  async invoke(name: FunctionName, event: unknown): Promise<unknown> {
    this.options.meter?.count('lambda', name);
    if (this.stopped) throw new InvocationError(name, 'Stopped', 'the local stack is stopping');
    const requestedAt = performance.now();
    const environment = await this.acquire(name);
    try {
      await this.initialized(name, environment);
    } catch (error) {
      this.release(name, environment);
      throw error;
    }
    const startedAt = performance.now();
    const id = randomUUID();
    const definition = FUNCTIONS[name];
    const deadline = Date.now() + definition.timeoutSeconds * 1000;
    let ok = false;
    try {
      const value = await new Promise((resolvePromise, rejectPromise) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          // Lambda ends the environment of a timed-out invocation; so does this.
          this.discard(name, environment);
          rejectPromise(
            new InvocationError(name, 'TimeoutError', `timed out after ${definition.timeoutSeconds} s`),
          );
        }, definition.timeoutSeconds * 1000);
        this.pending.set(id, { resolve: resolvePromise, reject: rejectPromise, timer, environment });
        const termination = this.terminations.get(name)?.shift();
        if (termination && termination.afterMs === undefined) void environment.worker.terminate();
        environment.worker.postMessage({
          id,
          event,
          requestId: id,
          deadline,
          traced: this.options.trace?.isRecording ?? false,
        });
        if (termination?.afterMs !== undefined) {
          setTimeout(() => {
            if (this.pending.has(id)) void environment.worker.terminate();
          }, termination.afterMs);
        }
      });
      ok = true;
      return value;
    } finally {
      this.release(name, environment);
      this.options.trace?.invocation({
        id,
        functionName: name,
        requestedAt,
        startedAt,
        endedAt: performance.now(),
        ok,
      });
    }
  }

  /**
   * A fault, for tests: the next invocation of the function has its execution environment killed (the
   * worker thread terminated), as when Lambda's runtime process dies. The invocation fails at once with
   * `Runtime.ExitError`, and the next one gets a fresh environment (a cold start).
   */
  terminateNextInvocation(name: FunctionName, options: TerminateOptions = {}): void {
    const queued = this.terminations.get(name) ?? [];
    queued.push(options);
    this.terminations.set(name, queued);
  }

  /**
   * A fault, for tests: kills every execution environment of the function that is running an invocation
   * now, as when Lambda's runtime process dies mid-way. Their invocations fail at once with
   * `Runtime.ExitError`. Returns how many were killed.
   */
  terminateRunning(name: FunctionName): number {
    const running = (this.environments.get(name) ?? []).filter((environment) => environment.busy);
    for (const environment of running) void environment.worker.terminate();
    return running.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Invocations still waiting for an environment fail rather than start one after the stop.
    for (const queue of this.waiting.values()) for (const wake of queue.splice(0)) wake();
    const workers = [...this.environments.values()]
      .flat()
      .map((environment) => environment.worker.terminate());
    this.environments.clear();
    await Promise.all(workers);
  }

  private async acquire(name: FunctionName): Promise<Environment> {
    for (;;) {
      if (this.stopped) throw new InvocationError(name, 'Stopped', 'the local stack is stopping');
      const environments = this.environments.get(name) ?? [];
      const idle = environments.find((environment) => !environment.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      const max = this.options.maxEnvironmentsPerFunction ?? DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION;
      if (environments.length < max) {
        const created = this.create(name);
        created.busy = true;
        return created;
      }
      await new Promise<void>((wake) => {
        const queue = this.waiting.get(name) ?? [];
        queue.push(wake);
        this.waiting.set(name, queue);
      });
    }
  }

  /** Waits for a new environment's cold start; one that fails or takes too long is discarded. */
  private async initialized(name: FunctionName, environment: Environment): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        environment.initialized,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new InvocationError(name, 'InitTimeout', `init took over ${INIT_TIMEOUT_IN_SECONDS} s`)),
            INIT_TIMEOUT_IN_SECONDS * 1000,
          );
        }),
      ]);
    } catch (error) {
      this.discard(name, environment);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private release(name: FunctionName, environment: Environment) {
    environment.busy = false;
    this.waiting.get(name)?.shift()?.();
  }

  private discard(name: FunctionName, environment: Environment) {
    const environments = this.environments.get(name) ?? [];
    this.environments.set(
      name,
      environments.filter((candidate) => candidate !== environment),
    );
    void environment.worker.terminate();
  }

  private create(name: FunctionName): Environment {
    const bundlePath = this.bundles.get(name);
    if (!bundlePath) throw new Error(`${name} is not bundled; call bundle() first`);
    const definition = FUNCTIONS[name];
    const worker = new Worker(WORKER_PATH, {
      workerData: {
        bundlePath,
        functionName: name,
        memorySizeMb: definition.memorySizeMb,
        region: this.options.region,
        ...(this.options.trace ? { invocationHeader: INVOCATION_HEADER } : {}),
      },
      env: {
        AWS_REGION: this.options.region,
        AWS_DEFAULT_REGION: this.options.region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_LAMBDA_FUNCTION_NAME: name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memorySizeMb),
        // Lambda runs nodejs22.x; the SDK's warning about an older local Node says nothing about the function.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...this.options.environment(name),
      },
      // As deployed: no flags, not even this process's (tsx's loader), and no source maps in stacks.
      execArgv: [],
      stdout: true,
      stderr: true,
    });
    for (const stream of [worker.stdout, worker.stderr]) {
      createInterface({ input: stream }).on('line', (line) =>
        this.options.onLog({ functionName: name, line }),
      );
    }
    let initialized: { resolve: () => void; reject: (error: Error) => void } | undefined;
    const environment: Environment = {
      worker,
      busy: false,
      initialized: new Promise<void>((resolve, reject) => {
        initialized = { resolve, reject };
      }),
    };
    // Awaited by the invocation that created it; a failure is its failure, reported there.
    environment.initialized.catch(() => {});
    worker.on(
      'message',
      (message: {
        type?: 'initialized';
        id: string;
        ok: boolean;
        value?: unknown;
        durationMs: number;
        error?: { name: string; message: string };
        requests?: RequestTiming[];
      }) => {
        if (message.type === 'initialized') {
          if (message.error)
            initialized?.reject(new InvocationError(name, message.error.name, message.error.message));
          else initialized?.resolve();
          return;
        }
        if (message.requests) this.options.trace?.requestTimings(message.id, message.requests);
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        clearTimeout(pending.timer);
        // Billed whether the handler returned or threw.
        this.options.meter?.lambda(name, message.durationMs, definition.memorySizeMb);
        if (message.ok) pending.resolve(message.value);
        else
          pending.reject(
            new InvocationError(name, message.error?.name ?? 'Error', message.error?.message ?? ''),
          );
      },
    );
    worker.on('error', (error) => {
      this.options.onLog({ functionName: name, line: `Execution environment crashed: ${error.message}` });
      initialized?.reject(new InvocationError(name, error.name, error.message));
      for (const [id, pending] of this.pending) {
        if (pending.environment !== environment) continue;
        this.pending.delete(id);
        clearTimeout(pending.timer);
        pending.reject(new InvocationError(name, error.name, error.message));
      }
      this.discard(name, environment);
    });
    // The environment died (terminated, or its thread exited): whatever it was running fails now, as
    // Lambda fails an invocation whose runtime exits, rather than at the function's timeout.
    worker.on('exit', (code) => {
      const error = new InvocationError(
        name,
        RUNTIME_EXIT_ERROR,
        `Runtime exited with error: exit status ${code}`,
      );
      initialized?.reject(error);
      for (const [id, pending] of this.pending) {
        if (pending.environment !== environment) continue;
        this.pending.delete(id);
        clearTimeout(pending.timer);
        pending.reject(error);
      }
      this.environments.set(
        name,
        (this.environments.get(name) ?? []).filter((candidate) => candidate !== environment),
      );
    });
    const environments = this.environments.get(name) ?? [];
    environments.push(environment);
    this.environments.set(name, environments);
    return environment;
  }
}
