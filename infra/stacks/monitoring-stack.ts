import { Aws, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { IHttpApi, IWebSocketApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { CfnBudget } from 'aws-cdk-lib/aws-budgets';
import {
  ComparisonOperator,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { BillingMode, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  DashboardRenderingPreference,
  DefaultDashboardFactory,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import type { Construct } from 'constructs';
import { METRICS, METRICS_NAMESPACE, type MetricKey } from '../../functions/metric-names';
import type { ParleyFunction } from '../constructs/parley-function';
import type { StageConfig } from '../stage-config';
import { EVENT_SOURCES, type FunctionName, QUEUES, type QueueName } from '../topology';

export interface MonitoringStackProps extends StackProps {
  /** Stage name: every alarm, the dashboard, the topic and the budget are named after it. */
  readonly stage: string;
  /** The stage's settings: who the alarms email, and the monthly budget. */
  readonly config: StageConfig;
  /** Every Parley function of the stage (realtime and http stacks), by topology name. */
  readonly functions: Partial<Record<FunctionName, ParleyFunction>>;
  /** Queues by topology name, from the data stack. */
  readonly queues: Record<QueueName, IQueue>;
  /** Their dead-letter queues by the topology name of the queue they serve, from the data stack. */
  readonly deadLetterQueues: Record<QueueName, IQueue>;
  /** The table every function reads and writes. */
  readonly table: ITable;
  /** The WebSocket API and the name of its stage, from the realtime stack. */
  readonly webSocket: { readonly api: IWebSocketApi; readonly stageName: string };
  /** The HTTP API, from the http stack (served at its `$default` stage). */
  readonly httpApi: IHttpApi;
  /** The user pool and the web app client its sign-in metrics are published for. */
  readonly userPool: IUserPool;
  readonly userPoolClient: IUserPoolClient;
}

/**
 * Thresholds and evaluation windows, each with the reason for its value. Alarms look at AWS's own
 * metrics only; a period is the width of one datapoint, and an alarm fires when `datapoints`
 * datapoints in a row breach.
 */
export const ALARMS = {
  /**
   * Any message in a dead-letter queue is a delivery that failed every retry: a user did not get a message
   * or a push. There is no benign level, and the queue keeps it for a day, so one 5-minute look is enough.
   */
  deadLetterDepth: { maxMessages: 0, period: Duration.minutes(5), datapoints: 1 },
  /**
   * Fan-out is the live path: its sender drains a message in well under a second. One that waited a
   * minute, for three minutes running, means the sender is failing, throttled or stuck, and users see
   * messages late; a single slow minute (a cold start under a burst) is not worth a page.
   */
  fanoutAge: { maxAgeSeconds: 60, period: Duration.minutes(1), datapoints: 3 },
  /**
   * Handlers turn every expected failure into a response, so Lambda's `Errors` counts only crashes and
   * timeouts: each one is a bug or a stuck dependency. One in 5 minutes alarms.
   */
  functionErrors: { maxErrors: 0, period: Duration.minutes(5), datapoints: 1 },
  /** A throttle refuses a user's request outright (account or reserved concurrency exhausted). */
  functionThrottles: { maxThrottles: 0, period: Duration.minutes(5), datapoints: 1 },
  /**
   * WebSocket `IntegrationError` counts frames whose function failed or answered an error status. A
   * client's bad frame is answered with an error frame, not an error status, so a few in 5 minutes mean
   * functions failing; a single one, already seen by the function's own errors alarm, is not repeated here.
   */
  webSocketIntegrationErrors: { maxErrors: 4, period: Duration.minutes(5), datapoints: 1 },
  /** `ExecutionError`: API Gateway could not call the function at all (permissions, throttling): always wrong. */
  webSocketExecutionErrors: { maxErrors: 0, period: Duration.minutes(5), datapoints: 1 },
  /**
   * HTTP 5xx: the function maps every domain error to a 4xx; a 5xx is a crash, a timeout or API Gateway
   * failing to reach it. A handful in 5 minutes, twice running, is users failing, not one unlucky request.
   */
  http5xx: { maxErrors: 4, period: Duration.minutes(5), datapoints: 2 },
  /**
   * On-demand tables throttle only past twice their previous peak or at a partition's limit: any throttle
   * is a hot key or a runaway loop, and the request may have failed after the SDK's retries.
   */
  tableThrottles: { maxEvents: 0, period: Duration.minutes(5), datapoints: 1 },
  /** DynamoDB's own 500s: rare, and the SDK retries them; several in 5 minutes mean an AWS-side event. */
  tableSystemErrors: { maxErrors: 4, period: Duration.minutes(5), datapoints: 1 },
  /**
   * Sign-in: Cognito's `SignInSuccesses` average is the share of sign-in requests that got tokens. Wrong
   * passwords are normal, so the bar is low (half) and needs more than 20 attempts in 15 minutes to count: below
   * it, either sign-in is broken or someone is trying stolen passwords.
   */
  signInSuccessRate: { minRate: 0.5, minAttempts: 20, period: Duration.minutes(15), datapoints: 1 },
  /** Any sign-in, sign-up or token refresh throttled by Cognito's quotas is a user locked out. */
  cognitoThrottles: { maxThrottles: 0, period: Duration.minutes(5), datapoints: 1 },
  /**
   * Send → push delay, the fan-out's own figure: how long a recipient waits for a message (p50 about 30 ms and
   * p99 about 60–110 ms on the local stack, docs/measurements.md). Its p99 past 2 s for 10 minutes means
   * users see messages late while nothing has failed yet: a slow table, a backed-up queue, cold starts.
   */
  sendToPushDelay: { maxP99Ms: 2_000, period: Duration.minutes(5), datapoints: 2 },
} as const;

/** An alarm's window as `ALARMS` gives it: `datapoints` periods in a row, each of them breaching. */
function alarmWindow(spec: { readonly period: Duration; readonly datapoints: number }) {
  return { period: spec.period, datapointsToAlarm: spec.datapoints, evaluationPeriods: spec.datapoints };
}

/**
 * A critical alarm on a custom metric, past `threshold` over the spec's window. No data is fine: a quiet
 * stage publishes nothing, and these metrics count failures.
 */
function criticalAbove(
  threshold: number,
  spec: { readonly period: Duration; readonly datapoints: number },
  description: string,
) {
  return {
    Critical: {
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingDataOverride: TreatMissingData.NOT_BREACHING,
      ...alarmWindow(spec),
      additionalDescription: description,
    },
  };
}

/** One datapoint of the overview graphs: fine enough to see a spike, coarse enough to read a day. */
const OVERVIEW_PERIOD = Duration.minutes(1);

/** The functions a chat message passes through, whose latency users feel. */
const MESSAGE_PATH_FUNCTIONS: readonly FunctionName[] = [
  'wsAuthorizer',
  'wsConnect',
  'wsSend',
  'fanoutSender',
  'pushSender',
];

/** Budget notifications, in percent of the month's amount. */
export const BUDGET_NOTIFICATIONS = {
  /** Forecast: warns with time to act before the month ends. */
  forecastedPercent: 80,
  /** Actual: the money is spent. */
  actualPercent: 100,
} as const;

/**
 * Stateless: an SNS topic every alarm notifies (and tells when it is OK again), the alarms on every
 * failure signal of the message path, one dashboard, and a monthly budget. Built with
 * cdk-monitoring-constructs where it has a monitor for the service (functions, queues, table, HTTP API);
 * the WebSocket API and Cognito have none there and get custom metrics, and the budget is AWS Budgets.
 * What each alarm means and what to do: docs/operations.md.
 *
 * @example
 * new MonitoringStack(app, 'Parley-dev-Monitoring', {
 *   stage: 'dev', config, functions: { ...realtime.functions, ...http.functions },
 *   queues: data.queues, deadLetterQueues: data.deadLetterQueues, table: data.tables.main,
 *   webSocket: { api: realtime.api, stageName: realtime.stage.stageName }, httpApi: http.api,
 *   userPool: auth.userPool, userPoolClient: auth.userPoolClient,
 * });
 */
export class MonitoringStack extends Stack {
  readonly topic: Topic;
  readonly facade: MonitoringFacade;
  readonly budget: CfnBudget;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    this.topic = this.createTopic(props);
    this.facade = this.createFacade(props.stage);
    this.addOverview(props);
    this.monitorWebSocketApi(props);
    this.monitorFunctions(props.functions);
    this.monitorTable(props.table);
    this.monitorQueues(props);
    this.monitorHttpApi(props.httpApi);
    this.monitorSignIn(props);
    this.monitorProduct(props);
    this.budget = this.createBudget(props);
  }

  /**
   * A customer managed key, not `alias/aws/sns`: CloudWatch and Budgets can publish to an encrypted topic
   * only if the key's policy lets them use it, and the AWS managed key's policy cannot be changed.
   */
  private createTopic({ stage, config }: MonitoringStackProps): Topic {
    const key = new Key(this, 'AlarmTopicKey', {
      description: `Encrypts Parley ${stage} alarm notifications at rest in SNS`,
      enableKeyRotation: true,
      // Holds no data beyond notifications in flight: nothing to keep once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const topic = new Topic(this, 'AlarmTopic', {
      topicName: `parley-${stage}-alarms`,
      displayName: `Parley ${stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const service of ['cloudwatch.amazonaws.com', 'budgets.amazonaws.com']) {
      const principal = new ServicePrincipal(service);
      const fromThisAccount = { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } };
      // As AWS documents it, with no condition: the key serves only this topic, and the topic's own policy
      // admits these services for this account only.
      key.addToResourcePolicy(
        new PolicyStatement({
          principals: [principal],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        }),
      );
      topic.addToResourcePolicy(
        new PolicyStatement({
          principals: [principal],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: fromThisAccount,
        }),
      );
    }
    for (const email of config.alarmEmails) topic.addSubscription(new EmailSubscription(email));
    return topic;
  }

  /** One detail dashboard only: the library's summary and alarm dashboards would each cost $3 a month. */
  private createFacade(stage: string): MonitoringFacade {
    const action = new SnsAlarmActionStrategy({ onAlarmTopic: this.topic, onOkTopic: this.topic });
    return new MonitoringFacade(this, 'Monitoring', {
      alarmFactoryDefaults: {
        alarmNamePrefix: `Parley-${stage}`,
        actionsEnabled: true,
        action,
        datapointsToAlarm: 1,
      },
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboards', {
        dashboardNamePrefix: `Parley-${stage}`,
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: false,
        // Bitmap widgets would add a rendering Lambda function; interactive ones need nothing.
        renderingPreference: DashboardRenderingPreference.INTERACTIVE_ONLY,
        detailDashboardRange: Duration.hours(3),
      }),
    });
  }

  /**
   * The message path's health in two rows at the top: sends, fan-out, errors, latency, queue age and
   * depth, table capacity and throttles, API errors. The sections below hold each resource's detail.
   */
  private addOverview(props: MonitoringStackProps): void {
    const period = OVERVIEW_PERIOD;
    const functions = Object.values(props.functions);
    const webSocket = (metricName: string, statistic = 'Sum') =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: props.webSocket.api.apiId, Stage: props.webSocket.stageName },
        statistic,
        period,
        label: `WebSocket ${metricName}`,
      });
    const total = (label: string, metrics: IMetric[]) =>
      new MathExpression({
        label,
        expression: metrics.map((_, index) => `FILL(m${index}, 0)`).join(' + '),
        usingMetrics: Object.fromEntries(metrics.map((metric, index) => [`m${index}`, metric])),
        period,
      });
    const queueNames = Object.keys(QUEUES) as QueueName[];
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 6, height: 6, period });
    this.facade.addLargeHeader(`Parley ${props.stage}: the message path at a glance`);
    this.facade.addWidget(
      graph('Sends and connections', [
        webSocket('MessageCount'),
        webSocket('ConnectCount'),
        props.httpApi.metricCount({ period, label: 'HTTP requests' }),
      ]),
    );
    this.facade.addWidget(
      graph(
        'Fan-out: jobs queued and done',
        queueNames.flatMap((name) => [
          props.queues[name].metricNumberOfMessagesSent({ period, label: `${name} queued` }),
          props.queues[name].metricNumberOfMessagesDeleted({ period, label: `${name} done` }),
        ]),
      ),
    );
    this.facade.addWidget(
      graph(
        'Function errors and throttles',
        functions.map((fn) => fn.function.metricErrors({ period, label: `${fn.name} errors` })),
        [
          total(
            'All throttles',
            functions.map((fn) => fn.function.metricThrottles({ period })),
          ),
        ],
      ),
    );
    this.facade.addWidget(
      graph('Latency p90 (ms)', [
        webSocket('IntegrationLatency', 'p90'),
        ...functions
          .filter((fn) => MESSAGE_PATH_FUNCTIONS.includes(fn.name))
          .map((fn) => fn.function.metricDuration({ period, statistic: 'p90', label: `${fn.name} p90` })),
      ]),
    );
    this.facade.addWidget(
      graph(
        'Queue age, oldest message (s)',
        queueNames.map((name) =>
          props.queues[name].metricApproximateAgeOfOldestMessage({ period, label: `${name} queue` }),
        ),
      ),
    );
    this.facade.addWidget(
      graph(
        'Queue and dead-letter depth',
        queueNames.map((name) =>
          props.queues[name].metricApproximateNumberOfMessagesVisible({ period, label: `${name} queue` }),
        ),
        queueNames.map((name) =>
          props.deadLetterQueues[name].metricApproximateNumberOfMessagesVisible({
            period,
            label: `${name} dead letters`,
          }),
        ),
      ),
    );
    this.facade.addWidget(
      graph(
        'Table: consumed capacity and throttles',
        [
          props.table.metricConsumedReadCapacityUnits({ period, label: 'read units' }),
          props.table.metricConsumedWriteCapacityUnits({ period, label: 'write units' }),
        ],
        [
          props.table.metric('ReadThrottleEvents', { period, statistic: 'Sum', label: 'read throttles' }),
          props.table.metric('WriteThrottleEvents', { period, statistic: 'Sum', label: 'write throttles' }),
        ],
      ),
    );
    this.facade.addWidget(
      graph('API errors', [
        props.httpApi.metricServerError({ period, label: 'HTTP 5xx' }),
        webSocket('IntegrationError'),
        webSocket('ExecutionError'),
      ]),
    );
  }

  /**
   * The first hop of every send. The WebSocket API has no monitor in cdk-monitoring-constructs (its
   * HTTP API one reads `4xx`/`5xx`, which WebSocket APIs do not publish), so its metrics are built here.
   */
  private monitorWebSocketApi({ webSocket }: MonitoringStackProps): void {
    const metric = (metricName: string, statistic = 'Sum') =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: webSocket.api.apiId, Stage: webSocket.stageName },
        statistic,
        period: Duration.minutes(5),
      });
    const { webSocketIntegrationErrors: integration, webSocketExecutionErrors: execution } = ALARMS;
    this.facade.addLargeHeader('Message path: WebSocket API → functions → table → fan-out queue');
    this.facade.monitorCustom({
      humanReadableName: 'WebSocket API',
      alarmFriendlyName: 'WebSocket',
      metricGroups: [
        { title: 'Frames and connections', metrics: [metric('MessageCount'), metric('ConnectCount')] },
        {
          title: 'Errors',
          metrics: [
            {
              metric: metric('IntegrationError'),
              alarmFriendlyName: 'IntegrationErrors',
              addAlarm: criticalAbove(
                integration.maxErrors,
                integration,
                'WebSocket frames whose function failed; see docs/operations.md',
              ),
            },
            {
              metric: metric('ExecutionError'),
              alarmFriendlyName: 'ExecutionErrors',
              addAlarm: criticalAbove(
                execution.maxErrors,
                execution,
                'API Gateway could not invoke a function; see docs/operations.md',
              ),
            },
            metric('ClientError'),
          ],
        },
        { title: 'Integration latency (ms)', metrics: [metric('IntegrationLatency', 'p90')] },
      ],
    });
  }

  /**
   * Parley's own metrics (`functions/metric-names.ts`), by the function that records each: what users do
   * and what they wait for, with an alarm on the send → push delay.
   */
  private monitorProduct({ stage }: MonitoringStackProps): void {
    const metric = (key: MetricKey, service: string, statistic = 'Sum') =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRICS[key].name,
        dimensionsMap: { service, stage },
        statistic,
        period: Duration.minutes(5),
        label: `${METRICS[key].name} (${service}${statistic === 'Sum' ? '' : `, ${statistic}`})`,
      });
    const delay = ALARMS.sendToPushDelay;
    this.facade.addLargeHeader('Parley: what users send and wait for');
    this.facade.monitorCustom({
      humanReadableName: 'Parley metrics',
      alarmFriendlyName: 'Product',
      metricGroups: [
        {
          title: 'Messages stored',
          metrics: [metric('messagesStored', 'ws-send'), metric('messagesStored', 'http-chat')],
        },
        {
          title: 'Send → push delay (ms)',
          metrics: [
            {
              metric: metric('sendToPushDelay', 'fanout-sender', 'p99'),
              alarmFriendlyName: 'SendToPushDelay',
              addAlarm: criticalAbove(
                delay.maxP99Ms,
                delay,
                'Messages reach recipients late; see docs/operations.md',
              ),
            },
            metric('sendToPushDelay', 'fanout-sender', 'p50'),
          ],
        },
        {
          title: 'Fan-out',
          metrics: [
            metric('fanoutRecipients', 'fanout-sender'),
            metric('fanoutPosts', 'fanout-sender'),
            metric('connectionsGone', 'fanout-sender'),
            metric('fanoutJobsFailed', 'fanout-sender'),
          ],
        },
        {
          title: 'Refused: allowances and caps',
          metrics: [
            metric('rateLimitRefusals', 'ws-send'),
            metric('rateLimitRefusals', 'http-chat'),
            metric('rateLimitRefusals', 'http-account'),
            metric('capsReached', 'ws-connect'),
          ],
        },
        {
          title: 'Groups, files, notifications',
          metrics: [
            metric('commitConflicts', 'http-mls'),
            metric('attachmentBytesGranted', 'http-files'),
            metric('webPushesSent', 'push-sender'),
            metric('webPushesFailed', 'push-sender'),
          ],
        },
      ],
    });
  }

  /** Every function: errors, throttles, and on the dashboard its rate, latency and errors. */
  private monitorFunctions(functions: Partial<Record<FunctionName, ParleyFunction>>): void {
    const { functionErrors: errors, functionThrottles: throttles } = ALARMS;
    this.facade.addLargeHeader('Functions');
    for (const fn of Object.values(functions)) {
      this.facade.monitorLambdaFunction({
        lambdaFunction: fn.function,
        humanReadableName: `${fn.name} function`,
        alarmFriendlyName: fn.name,
        addFaultCountAlarm: {
          Critical: {
            maxErrorCount: errors.maxErrors,
            ...alarmWindow(errors),
          },
        },
        addThrottlesCountAlarm: {
          Critical: {
            maxErrorCount: throttles.maxThrottles,
            ...alarmWindow(throttles),
          },
        },
      });
    }
  }

  private monitorTable(table: ITable): void {
    const { tableThrottles: throttles, tableSystemErrors: systemErrors } = ALARMS;
    const throttleAlarm = {
      Critical: {
        maxThrottledEventsThreshold: throttles.maxEvents,
        ...alarmWindow(throttles),
      },
    };
    this.facade.addLargeHeader('Table');
    this.facade.monitorDynamoTable({
      table,
      billingMode: BillingMode.PAY_PER_REQUEST,
      humanReadableName: 'Main table',
      alarmFriendlyName: 'Table',
      addReadThrottledEventsCountAlarm: throttleAlarm,
      addWriteThrottledEventsCountAlarm: throttleAlarm,
      addSystemErrorCountAlarm: {
        Critical: {
          maxErrorCount: systemErrors.maxErrors,
          ...alarmWindow(systemErrors),
        },
      },
    });
  }

  /** Every queue with its dead-letter queue; the fan-out queue's age as well, as the live path. */
  private monitorQueues({ queues, deadLetterQueues }: MonitoringStackProps): void {
    const { deadLetterDepth: depth, fanoutAge: age } = ALARMS;
    this.facade.addLargeHeader('Queues');
    for (const name of Object.keys(QUEUES) as QueueName[]) {
      const consumer = EVENT_SOURCES.find((source) => source.queue === name)?.function;
      this.facade.monitorSqsQueueWithDlq({
        queue: queues[name],
        deadLetterQueue: deadLetterQueues[name],
        humanReadableName: `${name} queue${consumer ? ` (consumed by ${consumer})` : ''}`,
        alarmFriendlyName: `${name}Queue`,
        addDeadLetterQueueMaxSizeAlarm: {
          Critical: {
            maxMessageCount: depth.maxMessages,
            ...alarmWindow(depth),
            // A dead-letter queue with messages in it stays active and reports; no data means empty.
            treatMissingDataOverride: TreatMissingData.NOT_BREACHING,
          },
        },
        ...(name === 'fanout'
          ? {
              addQueueMaxMessageAgeAlarm: {
                Critical: {
                  maxAgeInSeconds: age.maxAgeSeconds,
                  ...alarmWindow(age),
                  treatMissingDataOverride: TreatMissingData.NOT_BREACHING,
                },
              },
            }
          : {}),
      });
    }
  }

  private monitorHttpApi(api: IHttpApi): void {
    const { http5xx } = ALARMS;
    this.facade.addLargeHeader('HTTP API');
    this.facade.monitorApiGatewayV2HttpApi({
      api,
      humanReadableName: 'HTTP API',
      alarmFriendlyName: 'HttpApi',
      add5xxCountAlarm: {
        Critical: {
          maxErrorCount: http5xx.maxErrors,
          ...alarmWindow(http5xx),
        },
      },
    });
  }

  /**
   * Cognito publishes no failure count: `SignInSuccesses` is 1 per request that got tokens and 0 per one
   * that did not, so its average is the success rate and its sample count the attempts. Throttles have
   * their own metrics. cdk-monitoring-constructs has no Cognito monitor, so these are custom metrics.
   */
  private monitorSignIn({ userPool, userPoolClient }: MonitoringStackProps): void {
    const { signInSuccessRate: rate, cognitoThrottles: throttles } = ALARMS;
    const metric = (metricName: string, statistic: string, period: Duration) =>
      new Metric({
        namespace: 'AWS/Cognito',
        metricName,
        dimensionsMap: { UserPool: userPool.userPoolId, UserPoolClient: userPoolClient.userPoolClientId },
        statistic,
        period,
      });
    const throttled = new MathExpression({
      label: 'Throttled sign-ins, sign-ups and refreshes',
      expression: 'FILL(signIn, 0) + FILL(signUp, 0) + FILL(refresh, 0)',
      usingMetrics: {
        signIn: metric('SignInThrottles', 'Sum', throttles.period),
        signUp: metric('SignUpThrottles', 'Sum', throttles.period),
        refresh: metric('TokenRefreshThrottles', 'Sum', throttles.period),
      },
      period: throttles.period,
    });
    this.facade.addLargeHeader('Sign-in');
    this.facade.monitorCustom({
      humanReadableName: 'Cognito sign-in',
      alarmFriendlyName: 'SignIn',
      metricGroups: [
        {
          title: 'Sign-in success rate',
          metrics: [
            {
              metric: metric('SignInSuccesses', 'Average', rate.period),
              alarmFriendlyName: 'SuccessRate',
              addAlarm: {
                Critical: {
                  threshold: rate.minRate,
                  comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
                  // Too few attempts to judge count as no data, which is fine.
                  minSampleCountToEvaluateDatapoint: rate.minAttempts,
                  treatMissingDataOverride: TreatMissingData.NOT_BREACHING,
                  ...alarmWindow(rate),
                  additionalDescription: 'Most sign-ins fail: broken sign-in or password guessing',
                },
              },
            },
          ],
        },
        {
          title: 'Sign-in attempts and throttles',
          metrics: [
            metric('SignInSuccesses', 'SampleCount', throttles.period).with({ label: 'Sign-in attempts' }),
            metric('SignUpSuccesses', 'SampleCount', throttles.period).with({ label: 'Sign-up attempts' }),
            {
              metric: throttled,
              alarmFriendlyName: 'Throttles',
              addAlarm: criticalAbove(
                throttles.maxThrottles,
                throttles,
                'Cognito refused users over its request quotas',
              ),
            },
          ],
        },
      ],
    });
  }

  /**
   * AWS Budgets, not a CloudWatch billing alarm: it forecasts, and billing metrics exist only in
   * us-east-1. It watches the whole account's cost (see docs/operations.md for stages sharing one).
   */
  private createBudget({ stage, config }: MonitoringStackProps): CfnBudget {
    const subscribers = [{ subscriptionType: 'SNS', address: this.topic.topicArn }];
    const budget = new CfnBudget(this, 'MonthlyBudget', {
      budget: {
        budgetName: `parley-${stage}-monthly`,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: config.monthlyBudgetUsd, unit: 'USD' },
      },
      notificationsWithSubscribers: [
        {
          notification: {
            notificationType: 'FORECASTED',
            comparisonOperator: 'GREATER_THAN',
            threshold: BUDGET_NOTIFICATIONS.forecastedPercent,
            thresholdType: 'PERCENTAGE',
          },
          subscribers,
        },
        {
          notification: {
            notificationType: 'ACTUAL',
            comparisonOperator: 'GREATER_THAN',
            threshold: BUDGET_NOTIFICATIONS.actualPercent,
            thresholdType: 'PERCENTAGE',
          },
          subscribers,
        },
      ],
    });
    // Budgets checks that it may publish when the budget is created: the topic's policy must exist first.
    if (this.topic.node.tryFindChild('Policy'))
      budget.node.addDependency(this.topic.node.findChild('Policy'));
    return budget;
  }
}
