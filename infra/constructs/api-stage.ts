import { RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { type CodeStackPart, functionsOf, mapEntries, pascal } from '../placement';
import type { StageConfig } from '../stage-config';
import type { BucketName, FunctionName, QueueName, TableName } from '../topology';
import { bindFunction } from './bind';
import { ParleyFunction } from './parley-function';
import { TraceSampling } from './trace-sampling';

/** Removal of a stage's logs: kept with the data in production-like stages. */
function logRemovalPolicy(config: StageConfig): RemovalPolicy {
  return config.productionLike ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

/** The log group an API stage writes its access logs to. */
export function createAccessLogs(scope: Construct, config: StageConfig): LogGroup {
  return new LogGroup(scope, 'AccessLogs', {
    retention: config.logRetentionDays,
    removalPolicy: logRemovalPolicy(config),
  });
}

/**
 * Access log lines as JSON: the request, route, outcome and caller's address,
 * plus what the API adds. Never the query string or headers: access tokens
 * travel in them.
 */
export function accessLogFormat(extra: Record<string, string>): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      requestTimeEpoch: '$context.requestTimeEpoch',
      routeKey: '$context.routeKey',
      status: '$context.status',
      ip: '$context.identity.sourceIp',
      error: '$context.error.message',
      authorizerError: '$context.authorizer.error',
      ...extra,
    }),
  );
}

/** What both API stacks are given: the stage, and the stateful resources their functions bind to. */
export interface ApiStackProps extends StackProps {
  /** Stage name (the WebSocket stage is named after it). */
  readonly stage: string;
  readonly config: StageConfig;
  /** Tables by topology name, from the data stack. */
  readonly tables: Record<TableName, ITable>;
  /** Queues by topology name, from the data stack. */
  readonly queues: Record<QueueName, IQueue>;
  /** Their dead-letter queues by the topology name of the queue they serve, from the data stack. */
  readonly deadLetterQueues: Record<QueueName, IQueue>;
  /**
   * Bucket names by topology name, as the data stack names its buckets
   * (`bucketNamesFor`): referenced by name, so grants resolve in the function's stack.
   */
  readonly bucketNames: Record<BucketName, string>;
  /** The user pool whose access tokens the API accepts, and the app client they must be issued to. */
  readonly userPool: IUserPool;
  readonly userPoolClient: IUserPoolClient;
  /** The stage's VAPID key parameter, from the data stack. */
  readonly vapidKeys: { readonly parameterName: string; readonly parameterArn: string };
}

/**
 * The functions a stack part runs, by topology name, each bound to what its
 * topology bindings name (`connections`: the WebSocket stage, where there is one),
 * and the X-Ray sampling rule for them.
 */
export function createFunctions(
  scope: Construct,
  part: CodeStackPart,
  props: ApiStackProps,
  connections?: WebSocketStage,
): Partial<Record<FunctionName, ParleyFunction>> {
  const functions: Partial<Record<FunctionName, ParleyFunction>> = {};
  const buckets = mapEntries(props.bucketNames, (name, bucketName) =>
    Bucket.fromBucketName(scope, `${pascal(name)}Bucket`, bucketName),
  );
  for (const name of functionsOf(part)) {
    const fn = new ParleyFunction(scope, `${pascal(name)}Function`, {
      name,
      stage: props.stage,
      logRetention: props.config.logRetentionDays,
      logRemovalPolicy: logRemovalPolicy(props.config),
    });
    bindFunction(fn, {
      tables: props.tables,
      queues: props.queues,
      deadLetterQueues: props.deadLetterQueues,
      buckets,
      ...(connections ? { connections } : {}),
      userPool: { pool: props.userPool, client: props.userPoolClient },
      rateLimits: props.config.rateLimits,
      caps: props.config.caps,
      pushKeys: {
        parameterName: props.vapidKeys.parameterName,
        parameterArn: props.vapidKeys.parameterArn,
        subject: props.config.pushContact,
      },
    });
    functions[name] = fn;
  }
  // The stage's sampling rate for these functions' traces.
  new TraceSampling(scope, 'TraceSampling', {
    stage: props.stage,
    part: part === 'realtime' ? 'ws' : 'http',
    fixedRate: props.config.traceSampling,
  });
  return functions;
}
