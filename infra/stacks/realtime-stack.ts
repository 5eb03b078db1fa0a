import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  CfnAuthorizer,
  CfnIntegrationResponse,
  LogGroupLogDestination,
  WebSocketApi,
  WebSocketIntegration,
  type WebSocketRoute,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import {
  WebSocketLambdaIntegration,
  WebSocketMockIntegration,
} from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ApiCustomDomain } from '../constructs/api-domain';
import { ApiGatewayAccountLogging } from '../constructs/api-gateway-account-logging';
import {
  type ApiStackProps,
  accessLogFormat,
  createAccessLogs,
  createFunctions,
} from '../constructs/api-stage';
import { connectionsArns } from '../constructs/bind';
import { managedPolicyFinding, NAG_RUNTIME_PINNED, wildcardResourceFinding } from '../constructs/nag';
import type { ParleyFunction } from '../constructs/parley-function';
import { customDomainsFor } from '../domains';
import { pascal } from '../placement';
import { EVENT_SOURCES, type FunctionName, OUTPUTS, type QueueName, SCHEDULES, WEBSOCKET } from '../topology';

export type RealtimeStackProps = ApiStackProps;

/**
 * Stateless: the WebSocket API, its functions and the fan-out consumer.
 * `$connect` is authorized by a Lambda REQUEST authorizer; every later frame
 * rides the authorized connection, and each function re-checks what the
 * caller may do.
 */
export class RealtimeStack extends Stack {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  /** Functions by topology name. */
  readonly functions: Partial<Record<FunctionName, ParleyFunction>>;
  /** Routes by route key. */
  readonly routes: Record<string, WebSocketRoute>;
  readonly accessLogs: LogGroup;
  /** Set when this stack manages API Gateway's account-wide logging role. */
  readonly accountLogging?: ApiGatewayAccountLogging;
  /** `ws.{domain}` when the stage has a domain. */
  readonly customDomain?: ApiCustomDomain;
  /** The `wss://` URL clients connect to: the custom domain's when there is one. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: RealtimeStackProps) {
    super(scope, id, props);
    this.api = this.createApi(props.stage);
    this.accessLogs = createAccessLogs(this, props.config);
    this.stage = this.createStage(props.stage);
    if (props.config.apiGatewayAccountRole) {
      this.accountLogging = new ApiGatewayAccountLogging(this, 'ApiGatewayAccountLogging');
      // The stage's access logging is refused until the account has a logging role.
      this.stage.node.addDependency(this.accountLogging);
    }
    this.functions = createFunctions(this, 'realtime', props, this.stage);
    this.routes = this.addRoutes();
    this.addEventSources(props.queues);
    this.addSchedules();
    const { domain, hostedZone } = props.config;
    if (domain) {
      const name = customDomainsFor(domain).webSocket;
      this.customDomain = new ApiCustomDomain(this, 'CustomDomain', {
        name,
        api: this.api,
        stage: this.stage,
        ...(hostedZone ? { hostedZone } : {}),
      });
      this.url = `wss://${name}`;
    } else {
      this.url = this.stage.url;
    }
    this.createOutputs();
    this.acknowledgeNagFindings();
  }

  private createApi(stage: string): WebSocketApi {
    return new WebSocketApi(this, 'WebSocketApi', {
      apiName: `parley-${stage}-realtime`,
      description: 'Parley real-time chat: frames are JSON with an "action" field',
      routeSelectionExpression: WEBSOCKET.routeSelectionExpression,
    });
  }

  /**
   * Access logs name the route, the connection and the outcome. Never the
   * query string or headers: the browser's access token travels in one of them.
   */
  private createStage(stage: string): WebSocketStage {
    return new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: stage,
      autoDeploy: true,
      throttle: { rateLimit: WEBSOCKET.throttle.rateLimit, burstLimit: WEBSOCKET.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: accessLogFormat({
          extendedRequestId: '$context.extendedRequestId',
          eventType: '$context.eventType',
          connectionId: '$context.connectionId',
          authorizeError: '$context.authorize.error',
        }),
      },
    });
  }

  private addRoutes(): Record<string, WebSocketRoute> {
    const routes: Record<string, WebSocketRoute> = {};
    const authorizer = new WebSocketLambdaAuthorizer(
      'ConnectAuthorizer',
      this.fn(WEBSOCKET.authorizer.function).function,
      { identitySource: [...WEBSOCKET.authorizer.identitySource] },
    );
    for (const route of WEBSOCKET.routes) {
      const isConnect = route.routeKey === '$connect';
      routes[route.routeKey] = this.api.addRoute(route.routeKey, {
        integration: new WebSocketLambdaIntegration(
          `${pascal(route.function)}Integration${routeIdSuffix(route.routeKey)}`,
          this.fn(route.function).function,
        ),
        // API Gateway authorizes a WebSocket once, at `$connect`; later routes have no authorizer to attach.
        ...(isConnect ? { authorizer } : {}),
        returnResponse: route.returnResponse,
      });
    }
    for (const route of WEBSOCKET.mockRoutes) routes[route.routeKey] = this.addMockRoute(route);
    if (!routes.$connect) throw new Error('The topology has no $connect route to authorize');
    this.omitEmptyIdentitySource();
    return routes;
  }

  /**
   * A route API Gateway answers itself. The MOCK integration's request template sets the status the mock
   * returns; its integration response holds the reply frame, and the route response sends it back. CDK's
   * L2 constructs make the integration and the route response but not the integration response.
   */
  private addMockRoute(definition: (typeof WEBSOCKET.mockRoutes)[number]): WebSocketRoute {
    // `\$default` is the literal key `$default`: an unescaped `$` would be read as an expression.
    const selectDefault = '\\$default';
    const route = this.api.addRoute(definition.routeKey, {
      integration: new WebSocketMockIntegration(`MockIntegration${routeIdSuffix(definition.routeKey)}`, {
        requestTemplates: { $default: JSON.stringify({ statusCode: 200 }) },
        templateSelectionExpression: selectDefault,
      }),
      returnResponse: true,
    });
    const integration = route.node.findAll().find((child) => child instanceof WebSocketIntegration);
    if (!integration) throw new Error(`The ${definition.routeKey} route has no integration`);
    new CfnIntegrationResponse(route, 'IntegrationResponse', {
      apiId: this.api.apiId,
      integrationId: integration.integrationId,
      integrationResponseKey: '$default',
      templateSelectionExpression: selectDefault,
      responseTemplates: { $default: definition.response },
    });
    return route;
  }

  /**
   * The topology leaves the identity source empty on purpose: the token may
   * arrive in the query string or in `Sec-WebSocket-Protocol`, and API Gateway
   * refuses a `$connect` lacking any listed source before the authorizer runs.
   * CDK keeps `[]` (only `undefined` gets its `Authorization` header default)
   * and writes `IdentitySource: []`; CloudFormation documents the property as
   * optional for REQUEST authorizers without caching (WebSocket APIs have no
   * caching) but not an empty list, so the property is left out altogether.
   */
  private omitEmptyIdentitySource(): void {
    if (WEBSOCKET.authorizer.identitySource.length > 0) return;
    const authorizer = this.node.findAll().find((child) => child instanceof CfnAuthorizer);
    if (!authorizer) throw new Error('The $connect authorizer was not created');
    authorizer.addPropertyDeletionOverride('IdentitySource');
  }

  private addEventSources(queues: Record<QueueName, IQueue>): void {
    for (const source of EVENT_SOURCES) {
      this.fn(source.function).function.addEventSource(
        new SqsEventSource(queues[source.queue], {
          batchSize: source.batchSize,
          ...(source.maxBatchingWindowSeconds > 0
            ? { maxBatchingWindow: Duration.seconds(source.maxBatchingWindowSeconds) }
            : {}),
          reportBatchItemFailures: source.reportBatchItemFailures,
        }),
      );
    }
  }

  /** Each scheduled function gets an EventBridge rule at its rate, which invokes it with a scheduled event. */
  private addSchedules(): void {
    for (const schedule of SCHEDULES) {
      new Rule(this, `${pascal(schedule.function)}Schedule`, {
        description: `Runs ${schedule.function} every ${schedule.everyMinutes} minutes`,
        schedule: Schedule.rate(Duration.minutes(schedule.everyMinutes)),
        targets: [new LambdaFunction(this.fn(schedule.function).function, { retryAttempts: 0 })],
      });
    }
  }

  private createOutputs(): void {
    new CfnOutput(this, OUTPUTS.realtime.webSocketUrl, { value: this.url });
    if (this.customDomain) {
      new CfnOutput(this, 'WebSocketDnsTarget', {
        description:
          'Where the WebSocket domain must point: a CNAME, unless the stack made its alias records',
        value: this.customDomain.domainName.regionalDomainName,
      });
    }
    new CfnOutput(this, OUTPUTS.realtime.connectionsEndpoint, { value: this.stage.callbackUrl });
  }

  private fn(name: FunctionName): ParleyFunction {
    const fn = this.functions[name];
    if (!fn) throw new Error(`${name} is not a function of the realtime stack`);
    return fn;
  }

  private acknowledgeNagFindings(): void {
    for (const fn of Object.values(this.functions))
      Validations.of(fn.function).acknowledge(NAG_RUNTIME_PINNED);
    for (const [routeKey, route] of Object.entries(this.routes)) {
      if (routeKey === '$connect') continue;
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'API Gateway authorizes a WebSocket once, at $connect (Lambda REQUEST authorizer); frames on ' +
          'later routes ride that authorized connection, and a route other than $connect cannot take an authorizer.',
      });
    }
    for (const fn of Object.values(this.functions)) {
      if (!fn.definition.bindings.some((binding) => binding.kind === 'connections')) continue;
      Validations.of(fn.role).acknowledge(
        ...connectionsArns(this.stage).map((arn) => ({
          id: wildcardResourceFinding(fn.role, arn),
          reason:
            'API Gateway picks connection ids at $connect, so ManageConnections is scoped to this API, this ' +
            'stage and its @connections path; a single connection cannot be named in advance.',
        })),
      );
    }
    if (this.accountLogging) {
      const { role, policy } = this.accountLogging;
      Validations.of(role).acknowledge({
        id: managedPolicyFinding(role, policy.managedPolicyArn),
        reason:
          'API Gateway writes the logs of every API in the account and region through this one role; the AWS ' +
          'managed policy is the documented permission set for it and cannot be scoped to one log group.',
      });
    }
  }
}

/** Route keys as construct id parts: `$connect` becomes `Connect`. */
function routeIdSuffix(routeKey: string): string {
  return pascal(routeKey.replace(/[^A-Za-z0-9]/g, ''));
}
