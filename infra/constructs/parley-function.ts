import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  type CfnFunction,
  LoggingFormat,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Env } from '../../functions/config';
import { METRICS_NAMESPACE } from '../../functions/metric-names';
import { LAMBDA_BUNDLING, SOURCE_MAPS_DIR_SUFFIX } from '../bundling';
import { REPO_ROOT } from '../paths';
import { FUNCTIONS, type FunctionDefinition, type FunctionName } from '../topology';
import { NAG_XRAY_WILDCARD } from './nag';

/** CloudFormation metadata key naming a resource's topology entry, for the local stack's parity test. */
export const TOPOLOGY_METADATA_KEY = 'parley:topology';

export interface ParleyFunctionProps {
  /** The function's entry in `topology.ts`; entry, memory, timeout and description come from it. */
  readonly name: FunctionName;
  /** Stage name, given to the function as `PARLEY_STAGE` for its logs and metrics. */
  readonly stage: string;
  /** How long the function's log group keeps its logs. */
  readonly logRetention: RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * A Parley function as the topology defines it: an ESM bundle built by local
 * esbuild (never Docker), on Node.js 22 and Graviton, with its own log group
 * in JSON format, X-Ray active tracing, and its own role that starts with no
 * permission beyond writing to that log group and sending its traces.
 * Bindings (`bind.ts`) add the rest.
 *
 * @example
 * const send = new ParleyFunction(this, 'WsSend', { name: 'wsSend', stage: 'dev', logRetention: RetentionDays.ONE_WEEK });
 * bindFunction(send, resources);
 */
export class ParleyFunction extends Construct {
  /** The topology name of this function. */
  readonly name: FunctionName;
  readonly definition: FunctionDefinition;
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ParleyFunctionProps) {
    super(scope, id);
    this.name = props.name;
    this.definition = FUNCTIONS[props.name];
    this.logGroup = this.createLogGroup(props);
    this.role = this.createRole();
    this.function = this.createFunction(props);
  }

  /** Sets an environment variable of the function. */
  addEnvironment(name: string, value: string): void {
    this.function.addEnvironment(name, value);
  }

  /** Adds a statement to the function's own role. */
  addToRolePolicy(statement: PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }

  private createLogGroup(props: ParleyFunctionProps): LogGroup {
    return new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
  }

  /**
   * An explicit role instead of Lambda's default, which carries the managed
   * AWSLambdaBasicExecutionRole (logs on every log group of the account):
   * this one may write to its own log group only.
   */
  private createRole(): Role {
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${this.name} function`,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    return role;
  }

  private createFunction(props: ParleyFunctionProps): NodejsFunction {
    const fn = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, this.definition.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      // Pinned to the platform decision (DESIGN.md §2) and the bundles' esbuild target.
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: this.definition.memorySizeMb,
      timeout: Duration.seconds(this.definition.timeoutSeconds),
      description: this.definition.description,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      // A segment per sampled invocation, continued from the header SQS carries; see TraceSampling.
      tracing: Tracing.ACTIVE,
      environment: { [Env.Stage]: props.stage, [Env.MetricsNamespace]: METRICS_NAMESPACE },
      bundling: {
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLING.target,
        minify: LAMBDA_BUNDLING.minify,
        sourceMap: true,
        sourceMapMode: SourceMapMode.EXTERNAL,
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        banner: LAMBDA_BUNDLING.banner,
        esbuildArgs: {
          '--alias': Object.entries(LAMBDA_BUNDLING.alias).map(([module, path]) => `${module}=${path}`),
        },
        // The runtime's SDK version drifts under us; the bundled one is the one tested, and loads faster.
        bundleAwsSDK: true,
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => moveSourceMap(outputDir, this.sourceMapPath(props.stage)),
        },
      },
    });
    (fn.node.defaultChild as CfnFunction).addMetadata(TOPOLOGY_METADATA_KEY, { function: this.name });
    Validations.of(this.role).acknowledge(NAG_XRAY_WILDCARD);
    return fn;
  }

  /**
   * Where this function's source map is kept: beside the cloud assembly the
   * CLI names in `CDK_OUTDIR`. Left for the shell to expand, so the bundling
   * command (part of the asset hash) is the same for every output directory.
   */
  private sourceMapPath(stage: string): string {
    return `\${CDK_OUTDIR:-cdk.out}${SOURCE_MAPS_DIR_SUFFIX}/${stage}/${this.name}/index.mjs.map`;
  }
}

/** Shell commands (run by `NodejsFunction` after esbuild, in the project root) taking the map out of the asset. */
function moveSourceMap(outputDir: string, target: string): string[] {
  return [`mkdir -p "$(dirname "${target}")"`, `mv "${outputDir}/index.mjs.map" "${target}"`];
}
