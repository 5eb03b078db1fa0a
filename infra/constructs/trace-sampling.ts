import { Stack } from 'aws-cdk-lib';
import { CfnSamplingRule } from 'aws-cdk-lib/aws-xray';
import { Construct } from 'constructs';

export interface TraceSamplingProps {
  /** The stage's name: the rule is named after it and its stack part. */
  readonly stage: string;
  /** Which code stack's functions the rule matches: `ws` (realtime) or `http`. */
  readonly part: 'ws' | 'http';
  /** The share of requests traced beyond the first each second, 0 to 1 (`StageConfig.traceSampling`). */
  readonly fixedRate: number;
}

/** Below X-Ray's `Default` rule (10000), which would otherwise trace one a second and 5 % of the rest. */
const PRIORITY = 9000;

/**
 * The X-Ray sampling rule of one code stack's functions: the first request each second, then a share of
 * the rest. It matches the functions by name (`{stack name}-*`, the names CloudFormation gives them), so
 * each stage and stack part is sampled at its stage's rate and no other application's functions are.
 * API Gateway's WebSocket and HTTP APIs cannot trace (only REST APIs can), so a trace starts at the
 * function; SQS carries its header on to the fan-out and push senders.
 *
 * @example
 * new TraceSampling(this, 'TraceSampling', { stage: 'dev', part: 'ws', fixedRate: 1 });
 */
export class TraceSampling extends Construct {
  readonly rule: CfnSamplingRule;

  constructor(scope: Construct, id: string, props: TraceSamplingProps) {
    super(scope, id);
    if (!(props.fixedRate >= 0 && props.fixedRate <= 1)) {
      throw new Error(`A trace sampling rate is a fraction from 0 to 1, got ${props.fixedRate}`);
    }
    this.rule = new CfnSamplingRule(this, 'Rule', {
      samplingRule: {
        // X-Ray allows 32 characters: a stage name has 24 at most.
        ruleName: `${props.stage}-${props.part}`,
        priority: PRIORITY,
        reservoirSize: 1,
        fixedRate: props.fixedRate,
        serviceName: `${Stack.of(this).stackName}-*`,
        serviceType: '*',
        host: '*',
        httpMethod: '*',
        urlPath: '*',
        resourceArn: '*',
        version: 1,
      },
    });
  }
}
