import { DescribeTableCommand, DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Env } from '../../functions/config';
import {
  type CloudFormationResource,
  type CloudFormationTemplate,
  type StackPart,
  synthTemplates,
} from '../../infra/parley-app';
import { BUCKETS, OUTPUTS, stackNames } from '../../infra/topology';
import { parseWebConfig } from '../../shared/client/web-config';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * The deployed stage and the local stack are built from one topology; this
 * test reads both sides — the synthesized CloudFormation and what the running
 * local stand-ins report over their own APIs — and compares them resource by
 * resource, so the two cannot drift apart unnoticed.
 */

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Variables only the local stack sets: where the stand-ins listen, and the log level it was started with. */
const LOCAL_ONLY_ENVIRONMENT = new Set<string>([
  Env.DynamoDbEndpoint,
  Env.SqsEndpoint,
  Env.S3Endpoint,
  Env.CognitoEndpoint,
  Env.SsmEndpoint,
  // The push-service stand-in's own certificate.
  Env.PushServiceCaFile,
  'POWERTOOLS_LOG_LEVEL',
]);

type Templates = Record<StackPart, CloudFormationTemplate>;

interface Located {
  readonly part: StackPart;
  readonly logicalId: string;
  readonly resource: CloudFormationResource;
}

/** Every resource of the stage, with the stack it lives in. */
function resources(templates: Templates): Located[] {
  return (Object.entries(templates) as [StackPart, CloudFormationTemplate][]).flatMap(([part, template]) =>
    Object.entries(template.Resources).map(([logicalId, resource]) => ({ part, logicalId, resource })),
  );
}

function ofType(templates: Templates, type: string): Located[] {
  return resources(templates).filter(({ resource }) => resource.Type === type);
}

/** The `parley:topology` tag a construct put on its resource, e.g. `{ function: 'wsSend' }`. */
function tag(located: Located | undefined, key: string): string | undefined {
  const metadata = located?.resource.Metadata?.['parley:topology'] as Record<string, string> | undefined;
  return metadata?.[key];
}

/** Logical ids a value points at through `Ref` or `Fn::GetAtt`, however deeply nested. */
function references(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(references);
  if (value === null || typeof value !== 'object') return [];
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === 'string') return record.Ref.startsWith('AWS::') ? [] : [record.Ref];
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return [getAtt[0]];
  return Object.values(record).flatMap(references);
}

/** Follows a reference within a stack, or across stacks through an `Fn::ImportValue` of a CDK export. */
function resolve(templates: Templates, from: Located, value: unknown): Located | undefined {
  const imported = (value as Record<string, unknown> | undefined)?.['Fn::ImportValue'];
  if (typeof imported === 'string') {
    const [stackName, exportName] = imported.split(':');
    const names = stackNames('dev');
    const part = (Object.keys(names) as StackPart[]).find((key) => names[key] === stackName);
    if (!part || !exportName) return undefined;
    const output = templates[part].Outputs?.[exportName];
    return resolve(templates, { part, logicalId: exportName, resource: { Type: 'Output' } }, output?.Value);
  }
  const [logicalId] = references(value);
  const resource = logicalId === undefined ? undefined : templates[from.part].Resources[logicalId];
  return resource && logicalId ? { part: from.part, logicalId, resource } : undefined;
}

/** The topology name of the Lambda function an API Gateway route's integration invokes. */
function routeFunction(templates: Templates, route: Located): string | undefined {
  const integration = resolve(templates, route, route.resource.Properties?.Target);
  const uri = integration?.resource.Properties?.IntegrationUri;
  return tag(resolve(templates, route, uri), 'function');
}

const sorted = <T>(items: T[], key: (item: T) => string) =>
  [...items].sort((a, b) => key(a).localeCompare(key(b)));

describe('the local stack serves what the CDK stacks define', () => {
  let templates: Templates;
  let stack: TestStack;
  let dynamodb: DynamoDBClient;
  let sqs: SQSClient;
  let s3: S3Client;

  beforeAll(async () => {
    templates = synthTemplates('dev');
    stack = await startTestStack();
    dynamodb = new DynamoDBClient({
      endpoint: stack.resources.dynamoDbEndpoint,
      region: stack.region,
      credentials: LOCAL_CREDENTIALS,
    });
    sqs = new SQSClient({
      endpoint: stack.resources.sqsEndpoint,
      region: stack.region,
      credentials: LOCAL_CREDENTIALS,
    });
    s3 = new S3Client({
      endpoint: stack.resources.s3Endpoint,
      region: stack.region,
      credentials: LOCAL_CREDENTIALS,
      forcePathStyle: true,
    });
  });

  afterAll(async () => {
    dynamodb?.destroy();
    sqs?.destroy();
    s3?.destroy();
    await stack?.stop();
  });

  it('serves the same tables with the same keys, attribute types and indexes', async () => {
    const tables = ofType(templates, 'AWS::DynamoDB::Table');
    expect(tables.map((table) => tag(table, 'table')).sort()).toEqual(
      Object.keys(stack.resources.tableNames).sort(),
    );
    for (const table of tables) {
      const name = tag(table, 'table') as keyof typeof stack.resources.tableNames;
      const { Table } = await dynamodb.send(
        new DescribeTableCommand({ TableName: stack.resources.tableNames[name] }),
      );
      const local = Table as TableDescription;
      const props = table.resource.Properties as {
        KeySchema: unknown[];
        AttributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
        GlobalSecondaryIndexes?: Array<{
          IndexName: string;
          KeySchema: unknown[];
          Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
        }>;
        BillingMode: string;
      };
      expect(local.KeySchema, `key schema of ${name}`).toEqual(props.KeySchema);
      expect(sorted(local.AttributeDefinitions ?? [], (a) => a.AttributeName ?? '')).toEqual(
        sorted(props.AttributeDefinitions, (a) => a.AttributeName),
      );
      // The projection decides what each index write costs, so its attributes are compared too.
      const projection = (value: { ProjectionType?: string; NonKeyAttributes?: string[] } | undefined) => ({
        ProjectionType: value?.ProjectionType,
        NonKeyAttributes: [...(value?.NonKeyAttributes ?? [])].sort(),
      });
      const indexes = (local.GlobalSecondaryIndexes ?? []).map((index) => ({
        IndexName: index.IndexName,
        KeySchema: index.KeySchema,
        Projection: projection(index.Projection),
      }));
      expect(sorted(indexes, (index) => index.IndexName ?? '')).toEqual(
        sorted(
          (props.GlobalSecondaryIndexes ?? []).map(({ IndexName, KeySchema, Projection }) => ({
            IndexName,
            KeySchema,
            Projection: projection(Projection),
          })),
          (index) => index.IndexName,
        ),
      );
      expect(props.BillingMode).toBe('PAY_PER_REQUEST');
    }
  });

  it('serves the same queues with the same visibility timeout, retention and redrive', async () => {
    const queues = ofType(templates, 'AWS::SQS::Queue').filter((queue) => tag(queue, 'queue'));
    expect(queues.map((queue) => tag(queue, 'queue')).sort()).toEqual(
      Object.keys(stack.resources.queues).sort(),
    );
    for (const queue of queues) {
      const name = tag(queue, 'queue') as keyof typeof stack.resources.queues;
      const local = stack.resources.queues[name];
      const props = queue.resource.Properties as {
        VisibilityTimeout: number;
        MessageRetentionPeriod: number;
        RedrivePolicy: { deadLetterTargetArn: unknown; maxReceiveCount: number };
      };
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: local.url, AttributeNames: ['All'] }),
      );
      expect(Number(Attributes?.VisibilityTimeout), `visibility timeout of ${name}`).toBe(
        props.VisibilityTimeout,
      );
      expect(Number(Attributes?.MessageRetentionPeriod)).toBe(props.MessageRetentionPeriod);
      const redrive = JSON.parse(Attributes?.RedrivePolicy ?? '{}') as Record<string, unknown>;
      expect(Number(redrive.maxReceiveCount), `maxReceiveCount of ${name}`).toBe(
        props.RedrivePolicy.maxReceiveCount,
      );
      expect(redrive.deadLetterTargetArn).toBe(local.deadLetterArn);

      const deadLetter = resolve(templates, queue, props.RedrivePolicy.deadLetterTargetArn);
      expect(tag(deadLetter, 'deadLetterQueueOf')).toBe(name);
      const { Attributes: deadLetterAttributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: local.deadLetterUrl,
          AttributeNames: ['MessageRetentionPeriod'],
        }),
      );
      expect(Number(deadLetterAttributes?.MessageRetentionPeriod)).toBe(
        deadLetter?.resource.Properties?.MessageRetentionPeriod,
      );
    }
  });

  it('serves the same buckets, named in the outputs; the deployed ones carry the topology lifecycle', async () => {
    const buckets = ofType(templates, 'AWS::S3::Bucket').filter((bucket) => tag(bucket, 'bucket'));
    expect(buckets.map((bucket) => tag(bucket, 'bucket')).sort()).toEqual(
      Object.keys(stack.resources.buckets).sort(),
    );
    for (const bucket of buckets) {
      const name = tag(bucket, 'bucket') as keyof typeof BUCKETS;
      const local = stack.resources.buckets[name];
      await expect(s3.send(new HeadBucketCommand({ Bucket: local.name }))).resolves.toBeDefined();
      // fauxqs has no lifecycle rules: the definition it was given is the topology's, checked here.
      expect(local.definition).toEqual(BUCKETS[name]);
      const rules = (
        bucket.resource.Properties as {
          LifecycleConfiguration: {
            Rules: Array<{
              Prefix?: string;
              ExpirationInDays?: number;
              AbortIncompleteMultipartUpload?: unknown;
            }>;
          };
        }
      ).LifecycleConfiguration.Rules;
      expect(rules.find((rule) => rule.AbortIncompleteMultipartUpload)).toEqual(
        expect.objectContaining({
          AbortIncompleteMultipartUpload: {
            DaysAfterInitiation: BUCKETS[name].abortIncompleteMultipartUploadAfterDays,
          },
        }),
      );
      for (const expiration of BUCKETS[name].expirations) {
        expect(rules).toContainEqual(
          expect.objectContaining({ Prefix: expiration.prefix, ExpirationInDays: expiration.days }),
        );
      }
    }
    expect(stack.outputs[stackNames('local').data]?.[OUTPUTS.data.blobBucketName]).toBe(
      stack.resources.buckets.blobs.name,
    );
  });

  it("lets the web client's pages call the buckets across origins by the topology's CORS rule, and no other page", async () => {
    const origin = String(stack.outputs[stackNames('local').web]?.[OUTPUTS.web.webUrl]);
    const preflight = (from: string) =>
      fetch(`${stack.resources.s3Endpoint}/${stack.resources.buckets.blobs.name}`, {
        method: 'OPTIONS',
        headers: { origin: from, 'access-control-request-method': 'POST' },
      });
    const site = await preflight(origin);
    const elsewhere = await preflight('http://elsewhere.example');

    expect(site.status).toBe(200);
    expect(site.headers.get('access-control-allow-origin')).toBe(origin);
    expect(site.headers.get('access-control-allow-methods')).toBe(
      BUCKETS.blobs.cors.allowedMethods.join(', '),
    );
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('runs the same functions with the same timeouts and environment', () => {
    const functions = ofType(templates, 'AWS::Lambda::Function').filter((fn) => tag(fn, 'function'));
    const local = new Map(stack.served.functions.map((fn) => [fn.name as string, fn]));
    expect(functions.map((fn) => tag(fn, 'function')).sort()).toEqual([...local.keys()].sort());
    for (const fn of functions) {
      const name = tag(fn, 'function') as string;
      const props = fn.resource.Properties as {
        Timeout: number;
        Environment: { Variables: Record<string, unknown> };
      };
      const served = local.get(name);
      expect(served?.timeoutSeconds, `timeout of ${name}`).toBe(props.Timeout);
      // Local-only: endpoint overrides and the log level.
      const deployed = Object.keys(props.Environment.Variables);
      const localOnly = (served?.environment ?? []).filter((key) => !LOCAL_ONLY_ENVIRONMENT.has(key));
      expect(localOnly.sort(), `environment of ${name}`).toEqual(deployed.sort());
    }
  });

  it('serves the same WebSocket routes, two-way routes, authorizer and route selection', () => {
    const [api] = ofType(templates, 'AWS::ApiGatewayV2::Api').filter(
      (candidate) => candidate.resource.Properties?.ProtocolType === 'WEBSOCKET',
    );
    expect(api?.resource.Properties?.RouteSelectionExpression).toBe('$request.body.action');

    const routes = ofType(templates, 'AWS::ApiGatewayV2::Route').filter((route) => route.part === api?.part);
    const integrationOf = (route: Located) => resolve(templates, route, route.resource.Properties?.Target);
    const isMock = (route: Located) => integrationOf(route)?.resource.Properties?.IntegrationType === 'MOCK';
    const deployed = routes
      .filter((route) => !isMock(route))
      .map((route) => ({
        routeKey: route.resource.Properties?.RouteKey as string,
        function: routeFunction(templates, route),
        returnResponse: route.resource.Properties?.RouteResponseSelectionExpression === '$default',
      }));
    expect(sorted(deployed, (route) => route.routeKey)).toEqual(
      sorted([...stack.served.webSocketRoutes], (route) => route.routeKey),
    );

    // Routes API Gateway answers itself: the same keys, answered with the frame of the integration response.
    const integrationResponses = ofType(templates, 'AWS::ApiGatewayV2::IntegrationResponse');
    const deployedMocks = routes.filter(isMock).map((route) => {
      const integration = integrationOf(route);
      const response = integrationResponses.find(
        (candidate) =>
          resolve(templates, candidate, candidate.resource.Properties?.IntegrationId)?.logicalId ===
          integration?.logicalId,
      );
      const templatesOf = response?.resource.Properties?.ResponseTemplates as
        | Record<string, string>
        | undefined;
      return { routeKey: route.resource.Properties?.RouteKey as string, response: templatesOf?.$default };
    });
    expect(deployedMocks.length).toBeGreaterThan(0);
    expect(sorted(deployedMocks, (route) => route.routeKey)).toEqual(
      sorted([...stack.served.webSocketMockRoutes], (route) => route.routeKey),
    );

    const connect = routes.find((route) => route.resource.Properties?.RouteKey === '$connect');
    const authorizer = resolve(templates, connect as Located, connect?.resource.Properties?.AuthorizerId);
    expect(authorizer?.resource.Properties?.AuthorizerType).toBe('REQUEST');
    const authorizerFunction = tag(
      resolve(templates, authorizer as Located, authorizer?.resource.Properties?.AuthorizerUri),
      'function',
    );
    expect(authorizerFunction).toBe(stack.served.webSocketAuthorizer.function);
    expect(authorizer?.resource.Properties?.IdentitySource ?? []).toEqual(
      stack.served.webSocketAuthorizer.identitySource,
    );
  });

  it('serves the same HTTP routes, each behind the JWT authorizer or public, with the same CORS', async () => {
    const [api] = ofType(templates, 'AWS::ApiGatewayV2::Api').filter(
      (candidate) => candidate.resource.Properties?.ProtocolType === 'HTTP',
    );
    const routes = ofType(templates, 'AWS::ApiGatewayV2::Route').filter((route) => route.part === api?.part);
    const deployed = routes.map((route) => ({
      routeKey: route.resource.Properties?.RouteKey as string,
      function: routeFunction(templates, route),
      auth: String(route.resource.Properties?.AuthorizationType).toLowerCase(),
    }));
    expect(deployed.filter((route) => route.auth === 'jwt').length).toBeGreaterThan(20);
    expect(sorted(deployed, (route) => route.routeKey)).toEqual(
      sorted([...stack.served.httpRoutes], (route) => route.routeKey),
    );

    // CORS, as a browser sees it: a real preflight against the local gateway.
    const cors = api?.resource.Properties?.CorsConfiguration as {
      AllowMethods: string[];
      AllowHeaders: string[];
      ExposeHeaders: string[];
      MaxAge: number;
    };
    // The allowed origins themselves are stage config: the local web client's here.
    const origin = String(stack.outputs[stackNames('local').web]?.[OUTPUTS.web.webUrl]);
    const preflight = await fetch(`${stack.endpoints.httpApiUrl}/me`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    const list = (header: string) => (preflight.headers.get(header) ?? '').split(',').filter(Boolean).sort();
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(list('access-control-allow-methods')).toEqual([...cors.AllowMethods].sort());
    expect(list('access-control-allow-headers')).toEqual([...cors.AllowHeaders].sort());
    expect(list('access-control-expose-headers')).toEqual([...cors.ExposeHeaders].sort());
    expect(Number(preflight.headers.get('access-control-max-age'))).toBe(cors.MaxAge);
  });

  it('polls the same queues for the same functions with the same batching and partial failures', () => {
    const mappings = ofType(templates, 'AWS::Lambda::EventSourceMapping');
    const deployed = mappings.map((mapping) => {
      const props = mapping.resource.Properties as {
        EventSourceArn: unknown;
        FunctionName: unknown;
        BatchSize: number;
        MaximumBatchingWindowInSeconds?: number;
        FunctionResponseTypes?: string[];
      };
      return {
        queue: tag(resolve(templates, mapping, props.EventSourceArn), 'queue'),
        function: tag(resolve(templates, mapping, props.FunctionName), 'function'),
        batchSize: props.BatchSize,
        maxBatchingWindowSeconds: props.MaximumBatchingWindowInSeconds ?? 0,
        reportBatchItemFailures: props.FunctionResponseTypes?.includes('ReportBatchItemFailures') ?? false,
      };
    });
    const served = stack.served.eventSources.map((source) => ({
      queue: source.queue,
      function: source.function,
      batchSize: source.batchSize,
      maxBatchingWindowSeconds: source.maxBatchingWindowSeconds,
      reportBatchItemFailures: source.reportBatchItemFailures,
    }));
    expect(sorted(deployed, (mapping) => `${mapping.queue}`)).toEqual(
      sorted(served, (mapping) => mapping.queue),
    );
    for (const source of stack.served.eventSources) {
      expect(source.queueArn).toBe(stack.resources.queues[source.queue].arn);
    }
  });

  it('runs the same functions on the same schedules', () => {
    const deployed = ofType(templates, 'AWS::Events::Rule').flatMap((rule) => {
      const props = rule.resource.Properties as {
        ScheduleExpression: string;
        Targets: Array<{ Arn: unknown }>;
      };
      const minutes = /^rate\((\d+) minutes?\)$/.exec(props.ScheduleExpression)?.[1];
      return props.Targets.map((target) => ({
        function: tag(resolve(templates, rule, target.Arn), 'function'),
        everyMinutes: Number(minutes),
      }));
    });

    expect(deployed).toHaveLength(stack.served.schedules.length);
    expect(sorted(deployed, (schedule) => `${schedule.function}`)).toEqual(
      sorted(
        stack.served.schedules.map((schedule) => ({ ...schedule })),
        (schedule) => schedule.function,
      ),
    );
  });

  it('writes every output a deployed stage has, under the same stack and output names', () => {
    const declared = (Object.keys(templates) as StackPart[]).flatMap((part) =>
      Object.keys(templates[part].Outputs ?? {})
        .filter((name) => !name.startsWith('ExportsOutput'))
        .map((name) => ({ part, name })),
    );
    // Every output the topology names is declared by some deployed stack.
    expect(declared.map((output) => output.name).sort()).toEqual(
      Object.values(OUTPUTS)
        .flatMap((names) => Object.values(names) as string[])
        .sort(),
    );
    for (const { part, name } of declared) {
      const localName = stackNames('local')[part];
      expect(stack.outputs[localName]?.[name], `${localName}.${name}`).toEqual(expect.any(String));
    }
  });

  it("serves the web client with the deployed site's security headers, bar HSTS and the endpoints it connects to", async () => {
    const [policy] = ofType(templates, 'AWS::CloudFront::ResponseHeadersPolicy');
    expect(policy, 'the site response headers policy').toBeDefined();
    const properties = (policy as Located).resource.Properties as {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: Record<string, Record<string, unknown>>;
        CustomHeadersConfig: { Items: Array<{ Header: string; Value: string }> };
      };
    };
    const { SecurityHeadersConfig: security, CustomHeadersConfig: custom } =
      properties.ResponseHeadersPolicyConfig;
    const withoutConnect = (csp: string) => csp.replace(/connect-src [^;]*/, 'connect-src …');
    const deployed = {
      'content-security-policy': withoutConnect(
        flattenJoin(security.ContentSecurityPolicy?.ContentSecurityPolicy),
      ),
      'x-content-type-options': 'nosniff',
      'x-frame-options': security.FrameOptions?.FrameOption,
      'referrer-policy': security.ReferrerPolicy?.ReferrerPolicy,
      ...Object.fromEntries(custom.Items.map((item) => [item.Header.toLowerCase(), item.Value])),
    };
    expect(security.StrictTransportSecurity).toBeDefined();

    const web = String(stack.outputs[stackNames('local').web]?.[OUTPUTS.web.webUrl]);
    for (const path of ['/', '/conversations/some-id', '/config.json']) {
      const response = await fetch(`${web}${path}`);
      expect(response.status, path).toBe(200);
      const local = Object.fromEntries(
        Object.keys(deployed).map((name) => [name, response.headers.get(name)]),
      );
      local['content-security-policy'] = withoutConnect(String(local['content-security-policy']));
      expect(local, path).toEqual(deployed);
      // Plain HTTP on loopback: HSTS would only pin 127.0.0.1 to HTTPS in the browser.
      expect(response.headers.get('strict-transport-security'), path).toBeNull();
    }
  });

  it('serves config.json with the local endpoints, as the deployed site serves its own', async () => {
    const web = String(stack.outputs[stackNames('local').web]?.[OUTPUTS.web.webUrl]);
    const config = parseWebConfig(await (await fetch(`${web}/config.json`)).json());
    expect(config).toEqual({
      stage: 'local',
      region: stack.region,
      userPoolId: stack.endpoints.userPoolId,
      userPoolClientId: stack.endpoints.userPoolClientId,
      cognitoEndpoint: stack.resources.cognitoEndpoint,
      httpApiUrl: stack.endpoints.httpApiUrl,
      webSocketUrl: stack.endpoints.webSocketUrl,
      mailboxUrl: `${web}/mailbox`,
      vapidPublicKey: stack.vapidPublicKey,
    });
    const csp = (await fetch(web)).headers.get('content-security-policy') ?? '';
    const connect = /connect-src ([^;]*)/.exec(csp)?.[1]?.split(' ');
    expect(connect).toEqual(
      expect.arrayContaining([
        "'self'",
        new URL(config.httpApiUrl).origin,
        new URL(config.webSocketUrl).origin,
        new URL(config.cognitoEndpoint).origin,
      ]),
    );
  });
});

/** A string of the template with its `Ref`s written as `<Name>`. */
function flattenJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const record = (value ?? {}) as Record<string, unknown>;
  if (record['Fn::Join']) {
    const [delimiter, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map(flattenJoin).join(delimiter);
  }
  if (typeof record.Ref === 'string') return `<${record.Ref}>`;
  return JSON.stringify(value);
}
