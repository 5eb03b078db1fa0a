import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Caps, capsWith } from '../../functions/caps';
import { Env, type EnvName } from '../../functions/config';
import { METRICS_NAMESPACE } from '../../functions/metric-names';
import type { RateLimit, RateLimitedAction } from '../../functions/ports/rate-limiter';
import { rateLimitsWith } from '../../functions/rate-limits';
import { type StackOutputs, stageEndpoints } from '../../shared/client/stage';
import { type WebConfig, webConfigOf } from '../../shared/client/web-config';
import { mapEntries } from '../placement';
import {
  EVENT_SOURCES,
  envNamesOf,
  FUNCTIONS,
  type FunctionName,
  OUTPUTS,
  QUEUES,
  type QueueDefinition,
  type QueueName,
  SCHEDULES,
  type ScheduleDefinition,
  stackNames,
  WEBSOCKET,
} from '../topology';
import type { WebBuildMode } from '../web-build';
import { startCognito } from './cognito';
import { type DevServerOptions, type LocalDevServer, startDevServer } from './dev-server';
import { type LocalDynamoDb, startDynamoDb } from './dynamodb';
import { type LocalEventSource, startEventSource } from './event-source';
import { type LocalHttpApi, startHttpApi } from './gateway/http-api';
import { type LocalWebSocketApi, startWebSocketApi, type TrafficRecord } from './gateway/websocket-api';
import {
  DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION,
  type FunctionLogLine,
  LambdaRuntime,
  type LocalFunction,
  type TerminateOptions,
} from './lambda-runtime';
import { LOCAL_HOST } from './listen';
import type { Mailbox } from './mailbox';
import { Meter } from './meter';
import { type LocalPushService, startPushService } from './push-service';
import { type LocalS3, mirrorS3ToDisk, serveS3ToBrowsers, startS3 } from './s3';
import { type LocalSqs, startSqs } from './sqs';
import { startSsm } from './ssm';
import { Trace } from './trace';
import { localVapidKeys } from './vapid';

/** Outputs only the local stage has, beside the ones CDK declares. */
// The stand-ins are driven with the SDK from this process; its warning about
// the local Node version is noise here (deployed functions run nodejs22.x).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const LOCAL_OUTPUTS = {
  cognitoEndpoint: 'CognitoEndpoint',
  dynamoDbEndpoint: 'DynamoDbEndpoint',
  sqsEndpoint: 'SqsEndpoint',
  mailboxUrl: 'MailboxUrl',
} as const;

export const LOCAL_STAGE = 'local';

/** Where the local stage keeps its VAPID key pair (in the SSM stand-in), as a deployed stage does in SSM. */
export const LOCAL_VAPID_PARAMETER = '/parley/local/vapid-keys';
/** The contact the local stage's push requests name (RFC 8292 `sub`). */
export const LOCAL_VAPID_SUBJECT = 'mailto:push@localhost';

export interface LocalPorts {
  readonly web: number;
  readonly webSocket: number;
  readonly http: number;
  readonly dynamoDb: number;
  readonly sqs: number;
  readonly cognito: number;
}

export interface LocalStackOptions {
  /** Where data, bundles, logs and outputs go (`.local`). */
  readonly dataDir: string;
  /** 0 everywhere picks free ports (tests). */
  readonly ports: LocalPorts;
  /** @default 'us-east-1' */
  readonly region?: string;
  /**
   * The table every function uses instead of the stack's own, as `-c tableName=` does on AWS: a restored
   * table (`tools/restore-local-table.ts` plays the restore). It must exist; the start fails if not.
   * @default the stack's own table
   */
  readonly tableName?: string;
  /** Shorter than API Gateway's limits in tests. */
  readonly idleTimeoutMs?: number;
  readonly maxConnectionMs?: number;
  /** @default the local web client's origin */
  readonly webOrigins?: readonly string[];
  /**
   * Rebuild the web client when a file under `web/` changes (`npm start`).
   * @default false: built once at start
   */
  readonly watchWeb?: boolean;
  /** How the web client is built (see {@link DevServerOptions.mode}). */
  readonly webMode?: WebBuildMode;
  /** Powertools log level of the functions. @default 'INFO' */
  readonly logLevel?: string;
  /** Per-user rate limits to enforce instead of the defaults (tests lower them). */
  readonly rateLimits?: Partial<Record<RateLimitedAction, RateLimit>>;
  /** Per-user caps to enforce instead of the defaults (tests lower them). */
  readonly caps?: Partial<Caps>;
  /**
   * Queues' visibility timeouts instead of the topology's (tests shorten them, so a failing job is
   * retried, and given up on, within seconds). Redrive and retention stay the topology's.
   */
  readonly visibilityTimeoutSeconds?: Partial<Record<QueueName, number>>;
  /**
   * Execution environments each function may run at once; further invocations wait for one.
   * @default 4 ({@link DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION})
   */
  readonly maxEnvironmentsPerFunction?: number;
  /**
   * Have every function name its invocation on the requests it makes, so {@link LocalStack.trace} can
   * record who asked what (it records only between its `start()` and `stop()`).
   * @default false
   */
  readonly trace?: boolean;
  /** Every line any function logs (also written to `{dataDir}/logs/functions.log`). */
  readonly onLog?: (line: FunctionLogLine) => void;
  /** Every request body the gateways receive. */
  readonly onTraffic?: (record: TrafficRecord) => void;
  /** Failures of the stand-ins themselves. */
  readonly onError?: (message: string, error: unknown) => void;
  /**
   * A web client build that failed (the stack runs on; the page shows the error).
   * Kept apart from `onError`: the APIs work whatever state `web/` is in.
   */
  readonly onWebBuildError?: (error: Error) => void;
}

export interface LocalStack {
  readonly outputs: StackOutputs;
  readonly mailbox: Mailbox;
  readonly webSocket: LocalWebSocketApi;
  /** The Web Push service stand-in: tests subscribe at it and read what the push sender sent. */
  readonly pushService: LocalPushService;
  /** The stage's VAPID public key, as `config.json` gives it to browsers. */
  readonly vapidPublicKey: string;
  readonly region: string;
  /**
   * Faults to inject, for tests: a DynamoDB outage drops every connection to the stand-in while on; a
   * WebSocket connection can be dropped as by a crash, its `$disconnect` lost.
   */
  readonly faults: {
    dynamoDbDown(down: boolean): void;
    /** See {@link LocalWebSocketApi.dropWithoutDisconnect}. */
    dropConnectionWithoutDisconnect(connectionId: string): boolean;
    /** See {@link LambdaRuntime.terminateNextInvocation}. */
    terminateNextInvocation(name: FunctionName, options?: TerminateOptions): void;
    /**
     * The running invocation of `name` dies right after the next DynamoDB request whose operation and
     * JSON body `matches` is carried out, before it learns the answer (its environment is killed).
     */
    killAfterDynamoDbRequest(name: FunctionName, matches: (operation: string, body: string) => boolean): void;
  };
  /** Endpoints of the stand-ins and their resources, for tests and tools. */
  readonly resources: {
    readonly dynamoDbEndpoint: string;
    readonly tableNames: LocalDynamoDb['tableNames'];
    readonly sqsEndpoint: string;
    readonly queues: LocalSqs['queues'];
    /** Path-style S3 endpoint (the SQS stand-in's). */
    readonly s3Endpoint: string;
    readonly buckets: LocalS3['buckets'];
    readonly cognitoEndpoint: string;
  };
  /** What the gateways, runtime and pollers serve: for the parity test. */
  readonly served: {
    readonly functions: readonly LocalFunction[];
    readonly webSocketRoutes: LocalWebSocketApi['routes'];
    readonly webSocketMockRoutes: LocalWebSocketApi['mockRoutes'];
    readonly webSocketAuthorizer: LocalWebSocketApi['authorizer'];
    readonly httpRoutes: LocalHttpApi['routes'];
    readonly eventSources: ReadonlyArray<LocalEventSource['mapping']>;
    /** Run on timers at the topology's rates. */
    readonly schedules: readonly ScheduleDefinition[];
  };
  /** Invokes a function directly, as `aws lambda invoke` would. */
  invoke(name: FunctionName, event: unknown): Promise<unknown>;
  /** Invokes a scheduled function now, with the event its schedule sends. */
  runSchedule(name: FunctionName): Promise<unknown>;
  /** Milliseconds from the call to ready. */
  readonly startupMs: number;
  /**
   * Billable requests the stand-ins served, and the units they are billed in, for cost benchmarks.
   * DynamoDB's capacity units are counted only while `meter.meterCapacity(true)`.
   */
  readonly meter: Meter;
  /** Invocations and requests, hop by hop; present when started with `trace: true`. */
  readonly trace?: Trace;
  stop(): Promise<void>;
}

/**
 * Starts the whole local stack on 127.0.0.1: DynamoDB, SQS (with S3) and
 * Cognito stand-ins, the functions (bundled as for AWS), the WebSocket and HTTP API
 * gateways, the SQS event sources and the dev server. Writes
 * `{dataDir}/outputs.json` in the shape of `cdk deploy --outputs-file`.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const started = performance.now();
  const meter = new Meter();
  const trace = options.trace ? new Trace() : undefined;
  const traced = trace ? { trace } : {};
  const region = options.region ?? 'us-east-1';
  mkdirSync(join(options.dataDir, 'logs'), { recursive: true });
  const logFile = join(options.dataDir, 'logs', 'functions.log');
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse())
      await stop().catch((error) => options.onError?.('Stop failed', error));
  };

  // Known once the dev server listens; S3 reads it per request (CORS for the site's pages).
  let webOrigins: readonly string[] = [];

  try {
    const vapid = localVapidKeys(join(options.dataDir, 'push', 'vapid.json'));
    const standIns = [
      startDynamoDb({
        dataDir: join(options.dataDir, 'dynamodb'),
        port: options.ports.dynamoDb,
        region,
        ...(options.tableName !== undefined ? { tableName: options.tableName } : {}),
        meter,
        ...traced,
        ...(options.onError ? { onError: options.onError } : {}),
      }).then(track),
      startSqs({
        port: options.ports.sqs,
        region,
        meter,
        ...traced,
        queues: mapEntries(
          QUEUES,
          (name, definition): QueueDefinition => ({
            ...definition,
            visibilityTimeoutSeconds:
              options.visibilityTimeoutSeconds?.[name] ?? definition.visibilityTimeoutSeconds,
          }),
        ),
        configure: (app) => {
          mirrorS3ToDisk(app, join(options.dataDir, 's3'));
          serveS3ToBrowsers(app, { region, allowedOrigins: () => webOrigins });
        },
      }).then(track),
      startCognito({ dataDir: join(options.dataDir, 'cognito'), port: options.ports.cognito, region }).then(
        track,
      ),
    ] as const;
    // When one fails, the others must be started (and tracked) before the stop below, or they outlive it.
    await Promise.allSettled(standIns);
    const [dynamoDb, sqs, cognito] = await Promise.all(standIns);

    const s3 = track(await startS3({ endpoint: sqs.endpoint, region, dataDir: join(options.dataDir, 's3') }));
    const [ssm, pushService] = await Promise.all([
      startSsm({ region, parameters: { [LOCAL_VAPID_PARAMETER]: JSON.stringify(vapid) } }).then(track),
      startPushService({ dataDir: options.dataDir }).then(track),
    ]);

    let webSocket: LocalWebSocketApi | undefined;
    const values = (): Partial<Record<EnvName, string>> => ({
      [Env.TableName]: dynamoDb.tableNames.main,
      [Env.DynamoDbEndpoint]: dynamoDb.endpoint,
      [Env.FanoutQueueUrl]: sqs.queues.fanout.url,
      [Env.FanoutDeadLetterQueueUrl]: sqs.queues.fanout.deadLetterUrl,
      [Env.FanoutMaxReceiveCount]: String(sqs.queues.fanout.definition.deadLetter.maxReceiveCount),
      [Env.PushQueueUrl]: sqs.queues.push.url,
      [Env.VapidParameterName]: LOCAL_VAPID_PARAMETER,
      [Env.VapidSubject]: LOCAL_VAPID_SUBJECT,
      [Env.SsmEndpoint]: ssm.endpoint,
      [Env.PushServiceCaFile]: pushService.caFile,
      [Env.SqsEndpoint]: sqs.endpoint,
      [Env.BlobBucketName]: s3.buckets.blobs.name,
      [Env.S3Endpoint]: s3.endpoint,
      [Env.ConnectionsEndpoint]: webSocket?.connectionsEndpoint,
      [Env.UserPoolId]: cognito.userPoolId,
      [Env.UserPoolClientId]: cognito.userPoolClientId,
      [Env.JwtIssuer]: cognito.issuer,
      [Env.JwksUri]: cognito.jwksUri,
      [Env.CognitoEndpoint]: cognito.endpoint,
      [Env.Stage]: LOCAL_STAGE,
      [Env.MetricsNamespace]: METRICS_NAMESPACE,
      [Env.RateLimits]: JSON.stringify(rateLimitsWith(options.rateLimits)),
      [Env.Caps]: JSON.stringify(capsWith(options.caps)),
      // The gateway's, shortened in tests: the functions check connections on its schedule.
      [Env.IdleTimeoutMs]: String(options.idleTimeoutMs ?? WEBSOCKET.idleTimeoutSeconds * 1000),
    });
    const runtime = new LambdaRuntime({
      meter,
      ...traced,
      maxEnvironmentsPerFunction: options.maxEnvironmentsPerFunction ?? DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION,
      buildDir: join(options.dataDir, 'build'),
      region,
      environment: (name) => ({
        ...functionEnvironment(name, values()),
        POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'INFO',
      }),
      onLog: (line) => {
        appendFileSync(logFile, `${line.functionName} ${line.line}\n`);
        options.onLog?.(line);
      },
    });
    await runtime.bundle();
    stoppers.push(() => runtime.stop());
    const invoke = (name: FunctionName, event: unknown) => runtime.invoke(name, event);

    webSocket = track(
      await startWebSocketApi({
        meter,
        ...traced,
        port: options.ports.webSocket,
        region,
        stage: LOCAL_STAGE,
        invoke,
        ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
        ...(options.maxConnectionMs ? { maxConnectionMs: options.maxConnectionMs } : {}),
        ...(options.onTraffic ? { onTraffic: options.onTraffic } : {}),
        ...(options.onError ? { onError: options.onError } : {}),
      }),
    );
    let outputs: StackOutputs = {};
    let webConfig: WebConfig | undefined;
    const dev: LocalDevServer = track(
      await startDevServer({
        port: options.ports.web,
        buildDir: join(options.dataDir, 'web'),
        watch: options.watchWeb ?? false,
        ...(options.webMode ? { mode: options.webMode } : {}),
        outputs: () => outputs,
        webConfig: () => webConfig,
        mailbox: cognito.mailbox,
        connectSources: [s3.endpoint],
        ...(options.onWebBuildError ? { onBuildError: options.onWebBuildError } : {}),
      }),
    );
    const mailboxUrl = `${dev.url}/mailbox`;
    webOrigins = options.webOrigins ?? [dev.url, dev.url.replace(LOCAL_HOST, 'localhost')];
    const http = track(
      await startHttpApi({
        port: options.ports.http,
        invoke,
        jwt: { issuer: cognito.issuer, jwksUri: cognito.jwksUri, audience: cognito.userPoolClientId },
        allowOrigins: webOrigins,
        ...(options.onTraffic ? { onTraffic: options.onTraffic } : {}),
        ...(options.onError ? { onError: options.onError } : {}),
      }),
    );
    const eventSources: LocalEventSource[] = [];
    for (const mapping of EVENT_SOURCES) {
      const source: LocalEventSource = startEventSource({
        endpoint: sqs.endpoint,
        region,
        queue: sqs.queues[mapping.queue],
        mapping,
        invoke,
        meter,
        ...(options.onError ? { onError: options.onError } : {}),
      });
      stoppers.push(() => source.stop());
      eventSources.push(source);
    }

    // Scheduled functions run on a timer, as EventBridge runs them; tests call `runSchedule` instead of waiting.
    const runSchedule = (name: FunctionName) => invoke(name, scheduledEvent(region));
    for (const schedule of SCHEDULES) {
      const timer = setInterval(() => {
        runSchedule(schedule.function).catch((error: unknown) =>
          options.onError?.(`Scheduled ${schedule.function} failed`, error),
        );
      }, schedule.everyMinutes * 60_000);
      timer.unref();
      stoppers.push(async () => clearInterval(timer));
    }

    const names = stackNames(LOCAL_STAGE);
    outputs = {
      [names.auth]: {
        [OUTPUTS.auth.userPoolId]: cognito.userPoolId,
        [OUTPUTS.auth.userPoolClientId]: cognito.userPoolClientId,
        [OUTPUTS.auth.region]: region,
        [LOCAL_OUTPUTS.cognitoEndpoint]: cognito.endpoint,
      },
      [names.data]: {
        [OUTPUTS.data.tableName]: dynamoDb.tableNames.main,
        [OUTPUTS.data.fanoutQueueUrl]: sqs.queues.fanout.url,
        [OUTPUTS.data.blobBucketName]: s3.buckets.blobs.name,
        [LOCAL_OUTPUTS.dynamoDbEndpoint]: dynamoDb.endpoint,
        [LOCAL_OUTPUTS.sqsEndpoint]: sqs.endpoint,
      },
      [names.realtime]: {
        [OUTPUTS.realtime.webSocketUrl]: webSocket.url,
        [OUTPUTS.realtime.connectionsEndpoint]: webSocket.connectionsEndpoint,
      },
      [names.http]: {
        [OUTPUTS.http.httpApiUrl]: http.url,
        // Transitional: clients read the web URL here before the web part existed (test/integration/auth.test.ts).
        [OUTPUTS.web.webUrl]: dev.url,
      },
      [names.web]: {
        [OUTPUTS.web.webUrl]: dev.url,
        [LOCAL_OUTPUTS.mailboxUrl]: mailboxUrl,
      },
    };
    webConfig = webConfigOf(stageEndpoints(outputs), {
      stage: LOCAL_STAGE,
      mailboxUrl,
      vapidPublicKey: vapid.publicKey,
    });
    writeFileSync(join(options.dataDir, 'outputs.json'), `${JSON.stringify(outputs, null, 2)}\n`);

    return {
      outputs,
      mailbox: cognito.mailbox,
      webSocket,
      pushService,
      vapidPublicKey: vapid.publicKey,
      region,
      faults: {
        dynamoDbDown: (down) => dynamoDb.setDown(down),
        dropConnectionWithoutDisconnect: (connectionId) => webSocket.dropWithoutDisconnect(connectionId),
        terminateNextInvocation: (name, terminate) => runtime.terminateNextInvocation(name, terminate),
        killAfterDynamoDbRequest: (name, matches) =>
          dynamoDb.afterNext(matches, () => runtime.terminateRunning(name)),
      },
      resources: {
        dynamoDbEndpoint: dynamoDb.endpoint,
        tableNames: dynamoDb.tableNames,
        sqsEndpoint: sqs.endpoint,
        queues: sqs.queues,
        s3Endpoint: s3.endpoint,
        buckets: s3.buckets,
        cognitoEndpoint: cognito.endpoint,
      },
      served: {
        functions: runtime.functions(),
        webSocketRoutes: webSocket.routes,
        webSocketMockRoutes: webSocket.mockRoutes,
        webSocketAuthorizer: webSocket.authorizer,
        httpRoutes: http.routes,
        eventSources: eventSources.map((source) => source.mapping),
        schedules: SCHEDULES,
      },
      invoke,
      runSchedule,
      meter,
      ...traced,
      startupMs: Math.round(performance.now() - started),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }

  function track<T extends { stop(): Promise<void> }>(resource: T): T {
    stoppers.push(() => resource.stop());
    return resource;
  }
}

/** A function's environment: exactly what its bindings provide, plus local endpoint overrides. */
function functionEnvironment(
  name: FunctionName,
  values: Partial<Record<EnvName, string>>,
): Record<string, string> {
  const names = new Set<EnvName>([Env.Stage, Env.MetricsNamespace]);
  for (const binding of FUNCTIONS[name].bindings) {
    for (const env of envNamesOf(binding)) names.add(env);
    if (binding.kind === 'table') names.add(Env.DynamoDbEndpoint);
    if (binding.kind === 'queue' || binding.kind === 'deadLetterQueue') names.add(Env.SqsEndpoint);
    if (binding.kind === 'bucket') names.add(Env.S3Endpoint);
    if (binding.kind === 'userPool' && binding.access !== 'verifyTokens') names.add(Env.CognitoEndpoint);
    if (binding.kind === 'pushKeys') {
      names.add(Env.SsmEndpoint);
      names.add(Env.PushServiceCaFile);
    }
  }
  const environment: Record<string, string> = {};
  for (const env of names) {
    const value = values[env];
    if (value !== undefined) environment[env] = value;
  }
  return environment;
}

/** The event EventBridge sends a function on its schedule. */
function scheduledEvent(region: string) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region,
    resources: [],
    detail: {},
  };
}
