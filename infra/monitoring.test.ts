/**
 * The monitoring stack of a stage, read from its synthesized template: an alarm on every failure
 * signal, each telling the stage's topic; one dashboard; a monthly budget.
 */
import { describe, expect, it } from 'vitest';
import { METRIC_DIMENSIONS, METRICS, METRICS_NAMESPACE } from '../functions/metric-names';
import { TOPOLOGY_METADATA_KEY } from './constructs/parley-function';
import { type CloudFormationResource, type CloudFormationTemplate, synthTemplates } from './parley-app';
import { ALARMS, BUDGET_NOTIFICATIONS } from './stacks/monitoring-stack';
import { DEFAULT_MONTHLY_BUDGET_USD, StageConfigError } from './stage-config';
import { FUNCTIONS, QUEUES, stackNames } from './topology';

type Templates = ReturnType<typeof synthTemplates>;
type Json = Record<string, unknown>;

const STAGES = {
  dev: synthTemplates('dev'),
  prod: synthTemplates('prod', {
    domain: 'chat.example.com',
    alarmEmail: 'ops@example.com, oncall@example.org',
    monthlyBudgetUsd: '250',
  }),
} as const;

function ofType(template: CloudFormationTemplate, type: string): [string, CloudFormationResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

const alarms = (templates: Templates) =>
  ofType(templates.monitoring, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties as Json);

/** The metrics an alarm reads: its own, or those of its math expression. */
function metricsOf(alarm: Json): { MetricName: string; Namespace: string; Dimensions: Json[] }[] {
  if (typeof alarm.MetricName === 'string') {
    return [alarm as unknown as { MetricName: string; Namespace: string; Dimensions: Json[] }];
  }
  return ((alarm.Metrics ?? []) as { MetricStat?: { Metric: never } }[]).flatMap((metric) =>
    metric.MetricStat ? [metric.MetricStat.Metric] : [],
  );
}

/** The logical id of the resource a cross-stack import names, through the exporting stack's outputs. */
function importedLogicalId(templates: Templates, value: unknown): string | undefined {
  const name = (value as { 'Fn::ImportValue'?: string } | undefined)?.['Fn::ImportValue'];
  if (typeof name === 'string') {
    for (const template of Object.values(templates)) {
      for (const output of Object.values(template.Outputs ?? {})) {
        const exported = output as {
          Value: { Ref?: string; 'Fn::GetAtt'?: [string, string] };
          Export?: { Name?: string };
        };
        if (exported.Export?.Name === name) return exported.Value.Ref ?? exported.Value['Fn::GetAtt']?.[0];
      }
    }
  }
  return undefined;
}

/** Alarms on one metric whose dimension resolves to the resource with the given logical id. */
function alarmsOn(templates: Templates, metricName: string, dimension: string, logicalId: string): Json[] {
  return alarms(templates).filter((alarm) =>
    metricsOf(alarm).some(
      (metric) =>
        metric.MetricName === metricName &&
        metric.Dimensions.some(
          (entry) => entry.Name === dimension && importedLogicalId(templates, entry.Value) === logicalId,
        ),
    ),
  );
}

/** Parley's functions of a stage by topology name, with their stacks' logical ids. */
function functionIds(templates: Templates): Map<string, string> {
  const ids = new Map<string, string>();
  for (const template of [templates.realtime, templates.http]) {
    for (const [id, resource] of ofType(template, 'AWS::Lambda::Function')) {
      const name = (resource.Metadata?.[TOPOLOGY_METADATA_KEY] as { function?: string } | undefined)
        ?.function;
      if (name) ids.set(name, id);
    }
  }
  return ids;
}

function topicId(templates: Templates): string {
  const topics = ofType(templates.monitoring, 'AWS::SNS::Topic');
  expect(topics).toHaveLength(1);
  return (topics[0] as [string, CloudFormationResource])[0];
}

describe.each(Object.keys(STAGES) as (keyof typeof STAGES)[])('the %s stage', (stage) => {
  const templates = STAGES[stage];

  it('is a stack of its own, named after the stage', () => {
    expect(stackNames(stage).monitoring).toBe(`Parley-${stage}-Monitoring`);
    expect(alarms(templates).length).toBeGreaterThan(0);
  });

  it('alarms when any message lands in a dead-letter queue', () => {
    const deadLetterQueues = ofType(templates.data, 'AWS::SQS::Queue').filter(
      ([, queue]) => (queue.Metadata?.[TOPOLOGY_METADATA_KEY] as Json | undefined)?.deadLetterQueueOf,
    );
    expect(deadLetterQueues).toHaveLength(Object.keys(QUEUES).length);
    for (const [id] of deadLetterQueues) {
      const [alarm, ...more] = alarmsOn(templates, 'ApproximateNumberOfMessagesVisible', 'QueueName', id);
      expect(alarm, id).toBeDefined();
      expect(more).toEqual([]);
      expect(alarm).toMatchObject({
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: ALARMS.deadLetterDepth.maxMessages,
      });
    }
  });

  it('alarms when fan-out messages wait too long', () => {
    const [[id]] = ofType(templates.data, 'AWS::SQS::Queue').filter(
      ([, queue]) => (queue.Metadata?.[TOPOLOGY_METADATA_KEY] as Json | undefined)?.queue === 'fanout',
    ) as [[string, CloudFormationResource]];
    const [alarm] = alarmsOn(templates, 'ApproximateAgeOfOldestMessage', 'QueueName', id);
    expect(alarm).toMatchObject({
      Threshold: ALARMS.fanoutAge.maxAgeSeconds,
      EvaluationPeriods: ALARMS.fanoutAge.datapoints,
    });
  });

  it('alarms when messages reach recipients late: the fan-out’s send → push delay, at p99', () => {
    const delayed = alarms(templates).filter((alarm) =>
      metricsOf(alarm).some((metric) => metric.MetricName === METRICS.sendToPushDelay.name),
    );
    expect(delayed).toHaveLength(1);
    expect(delayed[0]).toMatchObject({
      Threshold: ALARMS.sendToPushDelay.maxP99Ms,
      EvaluationPeriods: ALARMS.sendToPushDelay.datapoints,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const [stat] = (delayed[0]?.Metrics ?? []) as { MetricStat: { Stat: string; Metric: Json } }[];
    if (!stat) throw new Error('The alarm reads no metric');
    expect(stat.MetricStat.Stat).toBe('p99');
    expect(stat.MetricStat.Metric.Namespace).toBe(METRICS_NAMESPACE);
    // The dimensions the fan-out sender's metrics carry (functions/metric-names.ts), or the alarm reads nothing.
    expect(
      Object.fromEntries(
        (stat.MetricStat.Metric.Dimensions as { Name: string; Value: string }[]).map((d) => [
          d.Name,
          d.Value,
        ]),
      ),
    ).toEqual({ service: 'fanout-sender', stage });
    expect([...METRIC_DIMENSIONS].sort()).toEqual(['service', 'stage']);
  });

  it('alarms on every function’s errors and throttles', () => {
    const ids = functionIds(templates);
    expect([...ids.keys()].sort()).toEqual(Object.keys(FUNCTIONS).sort());
    for (const [name, id] of ids) {
      expect(alarmsOn(templates, 'Errors', 'FunctionName', id), `${name} errors`).toHaveLength(1);
      expect(alarmsOn(templates, 'Throttles', 'FunctionName', id), `${name} throttles`).toHaveLength(1);
    }
  });

  it('alarms on the WebSocket API’s integration and execution errors, and the HTTP API’s 5xx', () => {
    const [[webSocketApi]] = ofType(templates.realtime, 'AWS::ApiGatewayV2::Api') as [
      [string, CloudFormationResource],
    ];
    const [[httpApi]] = ofType(templates.http, 'AWS::ApiGatewayV2::Api') as [
      [string, CloudFormationResource],
    ];
    expect(alarmsOn(templates, 'IntegrationError', 'ApiId', webSocketApi)).toHaveLength(1);
    expect(alarmsOn(templates, 'ExecutionError', 'ApiId', webSocketApi)).toHaveLength(1);
    expect(alarmsOn(templates, '5xx', 'ApiId', httpApi)).toHaveLength(1);
  });

  it('alarms on the table’s throttles and system errors', () => {
    const [[table]] = ofType(templates.data, 'AWS::DynamoDB::Table') as [[string, CloudFormationResource]];
    for (const metric of ['ReadThrottleEvents', 'WriteThrottleEvents', 'SystemErrors']) {
      expect(alarmsOn(templates, metric, 'TableName', table), metric).toHaveLength(1);
    }
  });

  it('alarms when most sign-ins fail or Cognito throttles users', () => {
    const [[userPool]] = ofType(templates.auth, 'AWS::Cognito::UserPool') as [
      [string, CloudFormationResource],
    ];
    const [rate] = alarmsOn(templates, 'SignInSuccesses', 'UserPool', userPool);
    expect(rate).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: ALARMS.signInSuccessRate.minRate,
    });
    expect(alarmsOn(templates, 'SignInThrottles', 'UserPool', userPool)).toHaveLength(1);
  });

  it('names every alarm after the stage and tells the topic when it fires and when it is OK again', () => {
    const topic = topicId(templates);
    for (const alarm of alarms(templates)) {
      expect(alarm.AlarmName).toMatch(new RegExp(`^Parley-${stage}-`));
      expect(alarm.AlarmActions, String(alarm.AlarmName)).toEqual([{ Ref: topic }]);
      expect(alarm.OKActions, String(alarm.AlarmName)).toEqual([{ Ref: topic }]);
    }
  });

  it('encrypts the topic with a key CloudWatch and Budgets may use, and refuses plain HTTP', () => {
    const [[, topic]] = ofType(templates.monitoring, 'AWS::SNS::Topic') as [[string, CloudFormationResource]];
    const { KmsMasterKeyId } = topic.Properties as { KmsMasterKeyId: { 'Fn::GetAtt': [string, string] } };
    const key = templates.monitoring.Resources[KmsMasterKeyId['Fn::GetAtt'][0]];
    expect(key?.Properties).toMatchObject({ EnableKeyRotation: true });
    const keyServices = JSON.stringify(key?.Properties?.KeyPolicy);
    expect(keyServices).toContain('cloudwatch.amazonaws.com');
    expect(keyServices).toContain('budgets.amazonaws.com');
    const [[, policy]] = ofType(templates.monitoring, 'AWS::SNS::TopicPolicy') as [
      [string, CloudFormationResource],
    ];
    const { Statement: statements } = (policy.Properties as { PolicyDocument: { Statement: Json[] } })
      .PolicyDocument;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const publishers = statements
      .filter((statement) => statement.Effect === 'Allow' && statement.Action === 'sns:Publish')
      .flatMap((statement) => (statement.Principal as { Service: string | string[] }).Service);
    expect(publishers.sort()).toEqual(['budgets.amazonaws.com', 'cloudwatch.amazonaws.com']);
  });

  it('draws one dashboard, named after the stage', () => {
    const dashboards = ofType(templates.monitoring, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const [[, dashboard]] = dashboards as [[string, CloudFormationResource]];
    expect(dashboard.Properties?.DashboardName).toBe(`Parley-${stage}`);
    // The body is JSON joined with references (`Fn::Join`): its literal parts are enough to read titles.
    const { DashboardBody } = dashboard.Properties as { DashboardBody: { 'Fn::Join': [string, unknown[]] } };
    const [, parts] = DashboardBody['Fn::Join'];
    const body = parts.filter((part) => typeof part === 'string').join('');
    // Opens with the message path at a glance: sends, fan-out, errors, latency, queue age and depth,
    // the table's capacity and throttles, API errors.
    expect(body).toContain('the message path at a glance');
    for (const title of [
      'Sends and connections',
      'Fan-out: jobs queued and done',
      'Function errors and throttles',
      'Latency p90 (ms)',
      'Queue age, oldest message (s)',
      'Queue and dead-letter depth',
      'Table: consumed capacity and throttles',
      'API errors',
    ]) {
      expect(body, title).toContain(`"title":"${title}"`);
    }
    for (const metric of [
      'MessageCount',
      'NumberOfMessagesSent',
      'Duration',
      'ApproximateAgeOfOldestMessage',
      'ConsumedWriteCapacityUnits',
      'WriteThrottleEvents',
      '5xx',
      'IntegrationError',
    ]) {
      expect(body, metric).toContain(`"${metric}"`);
    }
  });

  it('sets a monthly budget that warns the topic at 80% forecast and 100% actual', () => {
    const topic = topicId(templates);
    const [[, budget], ...more] = ofType(templates.monitoring, 'AWS::Budgets::Budget') as [
      [string, CloudFormationResource],
    ];
    expect(more).toEqual([]);
    expect(budget.Properties?.Budget).toMatchObject({
      BudgetName: `parley-${stage}-monthly`,
      BudgetType: 'COST',
      TimeUnit: 'MONTHLY',
      BudgetLimit: { Amount: stage === 'prod' ? 250 : DEFAULT_MONTHLY_BUDGET_USD, Unit: 'USD' },
    });
    const notifications = budget.Properties?.NotificationsWithSubscribers as Json[];
    expect(notifications).toEqual([
      {
        Notification: expect.objectContaining({
          NotificationType: 'FORECASTED',
          Threshold: BUDGET_NOTIFICATIONS.forecastedPercent,
          ThresholdType: 'PERCENTAGE',
        }),
        Subscribers: [{ SubscriptionType: 'SNS', Address: { Ref: topic } }],
      },
      {
        Notification: expect.objectContaining({
          NotificationType: 'ACTUAL',
          Threshold: BUDGET_NOTIFICATIONS.actualPercent,
          ThresholdType: 'PERCENTAGE',
        }),
        Subscribers: [{ SubscriptionType: 'SNS', Address: { Ref: topic } }],
      },
    ]);
  });
});

describe('who the alarms email', () => {
  const subscriptions = (templates: Templates) =>
    ofType(templates.monitoring, 'AWS::SNS::Subscription').map(([, subscription]) => subscription.Properties);

  it('is no one when the stage names no address', () => {
    expect(subscriptions(STAGES.dev)).toEqual([]);
  });

  it('is every address the stage names, subscribed to its topic', () => {
    const topic = topicId(STAGES.prod);
    expect(subscriptions(STAGES.prod)).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topic } }),
      expect.objectContaining({
        Protocol: 'email',
        Endpoint: 'oncall@example.org',
        TopicArn: { Ref: topic },
      }),
    ]);
  });

  it('must be email addresses', () => {
    expect(() => synthTemplates('dev', { alarmEmail: 'ops@example.com,not-an-address' })).toThrow(
      StageConfigError,
    );
  });
});
