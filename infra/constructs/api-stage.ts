import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type CodeStackPart, functionsOf, pascal } from '../placement';
import type { StageConfig } from '../stage-config';
import type { FunctionName } from '../topology';
import { ParleyFunction } from './parley-function';

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

/** The functions a stack part runs, by topology name, each bound by `bind`. */
export function createFunctions(
  scope: Construct,
  part: CodeStackPart,
  props: { readonly stage: string; readonly config: StageConfig },
  bind: (fn: ParleyFunction) => void,
): Partial<Record<FunctionName, ParleyFunction>> {
  const functions: Partial<Record<FunctionName, ParleyFunction>> = {};
  for (const name of functionsOf(part)) {
    const fn = new ParleyFunction(scope, `${pascal(name)}Function`, {
      name,
      stage: props.stage,
      logRetention: props.config.logRetentionDays,
      logRemovalPolicy: logRemovalPolicy(props.config),
    });
    bind(fn);
    functions[name] = fn;
  }
  return functions;
}
