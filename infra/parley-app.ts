/**
 * Builds Parley's CDK app for one stage: two stateful stacks (auth, data)
 * and five stateless ones: realtime and http import from them; web hosts the
 * web client, whose origin the HTTP API's CORS allows; web content deploys
 * the client and its configuration, which names every other stack's endpoints;
 * monitoring watches the others (alarms, a dashboard, a budget). A stage
 * outside us-east-1 gets an eighth, edge stack there: CloudFront takes its web
 * ACL and certificate from that region only.
 * `infra/app.ts` runs it for the CLI; tests and the local stack's parity
 * test call it directly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type Environment, type Stack, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { REPO_ROOT } from './paths';
import { AuthStack } from './stacks/auth-stack';
import { bucketNamesFor, DataStack } from './stacks/data-stack';
import { EdgeStack, edgeStackNameFor, needsEdgeStack } from './stacks/edge-stack';
import { HttpStack } from './stacks/http-stack';
import { MonitoringStack } from './stacks/monitoring-stack';
import { RealtimeStack } from './stacks/realtime-stack';
import { WebContentStack } from './stacks/web-content-stack';
import { siteBucketNameFor, WebStack } from './stacks/web-stack';
import { type StageConfig, StageConfigError, StageContext, stageConfig } from './stage-config';
import { stackNames } from './topology';

export type StackPart = keyof ReturnType<typeof stackNames>;

export interface ParleyStacks {
  readonly auth: AuthStack;
  readonly data: DataStack;
  readonly realtime: RealtimeStack;
  readonly http: HttpStack;
  readonly web: WebStack;
  readonly webContent: WebContentStack;
  readonly monitoring: MonitoringStack;
  /** CloudFront's us-east-1 resources, when the stage is in another region (`needsEdgeStack`). */
  readonly edge?: EdgeStack;
}

export interface BuildAppOptions {
  /**
   * The stage to build.
   * @default the `stage` context value (`-c stage=NAME`), else 'dev'
   */
  readonly stage?: string;
  /**
   * CDK context, as `-c key=value` would give it.
   * @default none beyond what the CLI passes
   */
  readonly context?: Readonly<Record<string, unknown>>;
  /**
   * Skip esbuild: assets become placeholders. For template tests only; a
   * cloud assembly built this way cannot be deployed.
   * @default false
   */
  readonly skipBundling?: boolean;
  /**
   * Run the cdk-nag AwsSolutions checks during synthesis.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Account and region of every stack.
   * @default CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION when set, else environment-agnostic
   */
  readonly env?: Environment;
  /**
   * Where the cloud assembly goes.
   * @default the CLI's output directory, else a temporary one
   */
  readonly outdir?: string;
}

export interface ParleyApp {
  readonly app: App;
  readonly stage: string;
  readonly config: StageConfig;
  readonly stacks: ParleyStacks;
}

/**
 * Builds the seven stacks of a stage (eight with the edge stack), tagged and checked by cdk-nag.
 *
 * @example
 * const { app, stacks } = buildApp({ stage: 'prod', skipBundling: true });
 * const template = Template.fromStack(stacks.data);
 */
export function buildApp(options: BuildAppOptions = {}): ParleyApp {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    // The CLI reads cdk.json itself (and wins over this); tests get the same feature flags from here.
    context: { ...projectContext(), ...options.context },
    postCliContext: {
      ...(options.stage ? { [StageContext.stage]: options.stage } : {}),
      // An empty list tells NodejsFunction that no stack needs its bundle.
      ...(options.skipBundling ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
  });
  const stage = readStage(app);
  const config = stageConfig(stage, contextOf(app));
  const env = options.env ?? environmentFromCli();
  const names = stackNames(stage);

  const auth = new AuthStack(app, names.auth, {
    env,
    stage,
    config,
    description: `Parley ${stage}: Cognito user pool (stateful)`,
    terminationProtection: config.productionLike,
  });
  const siteBucketName = siteBucketNameFor(stage);
  const domainProps = {
    ...(config.domain ? { domain: config.domain } : {}),
    ...(config.hostedZone ? { hostedZone: config.hostedZone } : {}),
  };
  // CloudFront takes its web ACL and certificate from us-east-1 only: from a stack of its own there when the
  // stage is elsewhere.
  const edge = needsEdgeStack(env)
    ? new EdgeStack(app, edgeStackNameFor(stage), {
        env,
        stage,
        ...domainProps,
        description: `Parley ${stage}: CloudFront's web ACL and certificate, in us-east-1 (stateless)`,
      })
    : undefined;
  const web = new WebStack(app, names.web, {
    env,
    stage,
    bucketName: siteBucketName,
    ...(edge ? { edge } : {}),
    ...domainProps,
    description: `Parley ${stage}: web client hosting, S3 and CloudFront (stateless)`,
    // The distribution's domain is the app's origin, which owns every browser's device state.
    terminationProtection: config.productionLike,
  });
  const bucketNames = bucketNamesFor(stage);
  const data = new DataStack(app, names.data, {
    env,
    stage,
    config,
    bucketNames,
    webOrigin: web.url,
    description: `Parley ${stage}: tables, queues and buckets (stateful)`,
    terminationProtection: config.productionLike,
  });
  const shared = {
    env,
    stage,
    config,
    tables: data.tablesInUse,
    queues: data.queues,
    deadLetterQueues: data.deadLetterQueues,
    bucketNames,
    userPool: auth.userPool,
    userPoolClient: auth.userPoolClient,
    vapidKeys: { parameterName: data.vapidKeys.parameterName, parameterArn: data.vapidKeys.parameterArn },
  };
  const realtime = new RealtimeStack(app, names.realtime, {
    ...shared,
    description: `Parley ${stage}: WebSocket API and fan-out (stateless)`,
  });
  const http = new HttpStack(app, names.http, {
    ...shared,
    webOrigin: web.url,
    description: `Parley ${stage}: HTTP API (stateless)`,
  });
  const webContent = new WebContentStack(app, names.webContent, {
    env,
    stage,
    bucketName: siteBucketName,
    userPool: auth.userPool,
    userPoolClient: auth.userPoolClient,
    httpApiUrl: http.url,
    webSocketUrl: realtime.url,
    vapidPublicKeyParameterName: data.vapidKeys.publicKeyParameterName,
    description: `Parley ${stage}: web client files and config.json (stateless)`,
  });
  // The bucket is named, not referenced (see siteBucketNameFor): order the stacks explicitly.
  webContent.addStackDependency(web, 'the site bucket is named, not referenced');
  webContent.addStackDependency(
    data,
    'the VAPID public key is read from its parameter at deploy, not imported',
  );
  // config.json imported the key from the data stack before it read the parameter. CloudFormation removes
  // no export while a stack still imports it, and the data stack deploys first: keep the export for stages
  // deployed before that change. It is no longer imported, so a rotation may change its value.
  data.exportValue(data.vapidKeys.publicKey);
  const monitoring = new MonitoringStack(app, names.monitoring, {
    env,
    stage,
    config,
    functions: { ...realtime.functions, ...http.functions },
    queues: data.queues,
    deadLetterQueues: data.deadLetterQueues,
    table: data.tables.main,
    webSocket: { api: realtime.api, stageName: realtime.stage.stageName },
    httpApi: http.api,
    userPool: auth.userPool,
    userPoolClient: auth.userPoolClient,
    description: `Parley ${stage}: alarms, dashboard and budget (stateless)`,
  });

  Tags.of(app).add('project', 'parley');
  Tags.of(app).add('stage', stage);
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

  return {
    app,
    stage,
    config,
    stacks: { auth, data, realtime, http, web, webContent, monitoring, ...(edge ? { edge } : {}) },
  };
}

/**
 * The synthesized templates of a stage, keyed by stack part, with
 * bundling skipped and no account or region: cheap, offline and the same on
 * every run.
 *
 * @example
 * const { realtime } = synthTemplates('dev');
 * Object.values(realtime.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route');
 */
export function synthTemplates(
  stage: string,
  context: Readonly<Record<string, unknown>> = {},
): Record<StackPart, CloudFormationTemplate> {
  const { app, stacks } = buildApp({ stage, context, skipBundling: true, nag: false, env: {} });
  const assembly = app.synth();
  const template = (stack: Stack) =>
    assembly.getStackByName(stack.stackName).template as CloudFormationTemplate;
  return {
    auth: template(stacks.auth),
    data: template(stacks.data),
    realtime: template(stacks.realtime),
    http: template(stacks.http),
    web: template(stacks.web),
    webContent: template(stacks.webContent),
    monitoring: template(stacks.monitoring),
  };
}

/** The parts of a CloudFormation template the tests read; the rest is kept as is. */
export interface CloudFormationTemplate {
  readonly Resources: Record<string, CloudFormationResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly [key: string]: unknown }>;
  readonly [key: string]: unknown;
}

export interface CloudFormationResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** The `context` block of cdk.json: feature flags that change what CDK synthesizes. */
function projectContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

function readStage(app: App): string {
  const value: unknown = app.node.tryGetContext(StageContext.stage) ?? 'dev';
  if (typeof value !== 'string') {
    throw new StageConfigError(`Context ${StageContext.stage} must be a string, e.g. -c stage=dev`);
  }
  return value;
}

function contextOf(app: App): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const key of Object.values(StageContext)) {
    const value: unknown = app.node.tryGetContext(key);
    if (value !== undefined) context[key] = value;
  }
  return context;
}

/** The CLI sets these from the credentials it finds; without any, stacks stay environment-agnostic. */
function environmentFromCli(): Environment {
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  return { ...(account ? { account } : {}), ...(region ? { region } : {}) };
}
