import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { Env } from '../functions/config';
import { WEB_CONFIG_FIELDS } from '../shared/client/web-config';
import {
  type Json,
  only,
  type Resource,
  resources,
  STACK_PARTS,
  synthStage,
} from '../test/support/templates';
import { TOPOLOGY_METADATA_KEY } from './constructs/parley-function';
import { buildApp, type ParleyApp, type StackPart, synthTemplates } from './parley-app';
import { functionsOf, pascal } from './placement';
import { StageConfigError } from './stage-config';
import {
  BUCKETS,
  EVENT_SOURCES,
  envNamesOf,
  FUNCTIONS,
  type FunctionName,
  HTTP_API,
  OUTPUTS,
  projectionOf,
  QUEUES,
  type QueueName,
  TABLES,
  WEBSOCKET,
} from './topology';
import { awsConnectSources, webSecurityHeaders } from './web-headers';

const PARTS = STACK_PARTS;
/** The stacks of Parley's own functions and grants; the web stacks hold only CDK's provided handlers. */
const APP_PARTS: StackPart[] = ['auth', 'data', 'realtime', 'http'];

/** One synthesis per stage for the whole file: bundling skipped, cdk-nag on, no account or region. */
const synth = (stage: string, context: Json = {}) => synthStage(stage, context);

const dev = synth('dev');
/** Production-like stages must send email through SES (infra/protection.test.ts). */
const PROD_EMAIL = { sesFromAddress: 'no-reply@example.com' } as const;
const prod = synth('prod', PROD_EMAIL);
const STAGES = { dev, prod } as const;

/** The topology name a Parley function's construct writes into its metadata. */
function topologyName(resource: Resource): string | undefined {
  const metadata = resource.Metadata?.[TOPOLOGY_METADATA_KEY] as { function?: string } | undefined;
  return metadata?.function;
}

/** Logical id of a function, found by its topology name. */
function functionId(template: Template, name: FunctionName): string {
  const [id] = only(
    Object.fromEntries(
      Object.entries(resources(template, 'AWS::Lambda::Function')).filter(
        ([, resource]) => topologyName(resource) === name,
      ),
    ),
  );
  return id;
}

/** The function a WebSocket or HTTP route invokes, through its integration. */
function routeTarget(template: Template, route: Resource): string {
  const target = route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
  const integrationId = target['Fn::Join'][1][1].Ref;
  const integration = resources(template, 'AWS::ApiGatewayV2::Integration')[integrationId];
  expect(integration?.Properties.IntegrationType).toBe('AWS_PROXY');
  const uri = JSON.stringify(integration?.Properties.IntegrationUri);
  const [fnId] = Object.entries(resources(template, 'AWS::Lambda::Function')).find(([id]) =>
    uri.includes(`"Fn::GetAtt":["${id}","Arn"]`),
  ) ?? [''];
  return fnId;
}

function routeByKey(template: Template, routeKey: string): Resource {
  const [, route] = only(
    Object.fromEntries(
      Object.entries(resources(template, 'AWS::ApiGatewayV2::Route')).filter(
        ([, candidate]) => candidate.Properties.RouteKey === routeKey,
      ),
    ),
  );
  return route;
}

/** Every Allow statement of every IAM policy and role in a template. */
function allowStatements(template: Template): Json[] {
  const documents: unknown[] = [];
  for (const policy of Object.values(resources(template, 'AWS::IAM::Policy'))) {
    documents.push(policy.Properties.PolicyDocument);
  }
  for (const role of Object.values(resources(template, 'AWS::IAM::Role'))) {
    for (const inline of (role.Properties.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? []) {
      documents.push(inline.PolicyDocument);
    }
  }
  return documents
    .flatMap((document) => (document as { Statement: Json[] }).Statement)
    .filter((statement) => statement.Effect === 'Allow');
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

describe('stateful data: tables', () => {
  const definition = TABLES.main;

  it('keys, indexes, TTL, on-demand billing, PITR and encryption come from the topology', () => {
    dev.templates.data.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: definition.sortKey.name, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: definition.timeToLiveAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: definition.globalSecondaryIndexes.map((index) => {
        const projection = projectionOf(index);
        return {
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection:
            projection.type === 'INCLUDE'
              ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...projection.nonKeyAttributes] }
              : { ProjectionType: projection.type },
        };
      }),
    });
  });

  it('is a classic table, one per topology entry', () => {
    expect(Object.keys(resources(dev.templates.data, 'AWS::DynamoDB::Table'))).toHaveLength(
      Object.keys(TABLES).length,
    );
    dev.templates.data.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
  });

  it('is disposable in dev', () => {
    dev.templates.data.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
  });

  it('is retained and protected from deletion in prod', () => {
    prod.templates.data.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });

  it('outputs the table name', () => {
    const [id] = only(resources(dev.templates.data, 'AWS::DynamoDB::Table'));
    dev.templates.data.hasOutput(OUTPUTS.data.tableName, { Value: { Ref: id } });
  });
});

describe.each(Object.keys(QUEUES) as QueueName[])('stateful data: the %s queue', (name) => {
  const definition = QUEUES[name];
  const queues = resources(dev.templates.data, 'AWS::SQS::Queue');
  const tagged = (key: 'queue' | 'deadLetterQueueOf') =>
    Object.entries(queues).find(
      ([, queue]) =>
        (queue.Metadata?.[TOPOLOGY_METADATA_KEY] as Record<string, unknown> | undefined)?.[key] === name,
    ) ?? [];
  const [mainId, main] = tagged('queue');
  const [dlqId, dlq] = tagged('deadLetterQueueOf');

  it('has a dead-letter queue and its redrive count; the stack has a pair per topology queue', () => {
    expect(Object.keys(queues)).toHaveLength(2 * Object.keys(QUEUES).length);
    expect(main?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: definition.deadLetter.maxReceiveCount,
    });
  });

  it('sizes visibility and retention from the topology', () => {
    expect(main?.Properties).toMatchObject({
      VisibilityTimeout: definition.visibilityTimeoutSeconds,
      MessageRetentionPeriod: definition.retentionPeriodSeconds,
    });
    expect(dlq?.Properties.MessageRetentionPeriod).toBe(definition.deadLetter.retentionPeriodSeconds);
  });

  it('encrypts both queues and refuses plain HTTP to them', () => {
    for (const queue of [main, dlq]) expect(queue?.Properties.SqsManagedSseEnabled).toBe(true);
    for (const id of [mainId, dlqId]) {
      dev.templates.data.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });
});

describe('stateful data: the VAPID key pair for Web Push', () => {
  const keysOf = (built: typeof dev) => only(resources(built.templates.data, 'Custom::VapidKeys'));

  it('is made by a custom resource into an SSM parameter named for the stage, kept in production', () => {
    expect(keysOf(dev)[1].Properties).toMatchObject({
      ParameterName: '/parley/dev/vapid-keys',
      PublicKeyParameterName: '/parley/dev/vapid-public-key',
      Retain: 'false',
    });
    expect(keysOf(prod)[1].Properties).toMatchObject({
      ParameterName: '/parley/prod/vapid-keys',
      Retain: 'true',
    });
  });

  it('puts no key in any template: the resource is given a name and a choice, nothing else', () => {
    const [, keys] = keysOf(dev);
    expect(Object.keys(keys.Properties).sort()).toEqual([
      'ParameterName',
      'PublicKeyParameterName',
      'Retain',
      'ServiceToken',
    ]);
    expect(JSON.stringify(dev.templates.data.toJSON())).not.toMatch(/privateKey/i);
    expect(dev.templates.data.findResources('AWS::SSM::Parameter')).toEqual({});
  });

  it('lets its maker touch that parameter only, and the push sender only read it', () => {
    const onParameter = APP_PARTS.flatMap((part) => allowStatements(dev.templates[part])).filter(
      (statement) =>
        asArray(statement.Action as string | string[]).some((action) => action.startsWith('ssm:')),
    );
    expect(onParameter.map((statement) => asArray(statement.Action as string | string[]).sort())).toEqual(
      expect.arrayContaining([
        ['ssm:DeleteParameter', 'ssm:GetParameter', 'ssm:PutParameter'],
        ['ssm:GetParameter'],
      ]),
    );
    expect(onParameter).toHaveLength(2);
    for (const statement of onParameter) {
      expect(JSON.stringify(statement.Resource)).toContain(':parameter/parley/dev/vapid-keys');
      expect(JSON.stringify(statement.Resource)).not.toContain('parameter/parley/prod');
    }
    const bound = Object.entries(FUNCTIONS)
      .filter(([, definition]) => definition.bindings.some((binding) => binding.kind === 'pushKeys'))
      .map(([name]) => name);
    expect(bound).toEqual(['pushSender']);
  });

  it('gives config.json its public key from the parameter at each deploy, imported from no stack', () => {
    const key = JSON.stringify(dev.stacks.webContent.resolve(dev.stacks.webContent.webConfig.vapidPublicKey));
    expect(key).not.toContain('Fn::ImportValue');
    const [parameter] =
      Object.entries(
        dev.templates.webContent.toJSON().Parameters as Record<string, { Type: string; Default: string }>,
      ).find(([id]) => key.includes(id)) ?? [];
    expect(parameter).toBeDefined();
    expect(dev.templates.webContent.toJSON().Parameters[parameter as string]).toEqual({
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: '/parley/dev/vapid-public-key',
    });
  });

  it('rotates the pair when the stage is given a new rotation label', () => {
    const rotated = synth('dev', { vapidKeyRotation: '2026-12' });
    expect(keysOf(rotated)[1].Properties).toMatchObject({ Rotation: '2026-12' });
    expect(() => synth('dev', { vapidKeyRotation: 'not a label' })).toThrow(/vapidKeyRotation/);
  });
});

describe('stateful data: outputs', () => {
  it('outputs the fan-out queue URL', () => {
    const [id] =
      Object.entries(resources(dev.templates.data, 'AWS::SQS::Queue')).find(
        ([, queue]) =>
          (queue.Metadata?.[TOPOLOGY_METADATA_KEY] as { queue?: string } | undefined)?.queue === 'fanout',
      ) ?? [];
    dev.templates.data.hasOutput(OUTPUTS.data.fanoutQueueUrl, { Value: { Ref: id } });
  });
});

describe('stateful data: bucket', () => {
  const [bucketId, bucket] = only(resources(dev.templates.data, 'AWS::S3::Bucket'));

  it('is private, encrypted and refuses plain HTTP (versioning: infra/protection.test.ts)', () => {
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    dev.templates.data.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it("aborts stale multipart uploads and expires Welcomes and history transfers' chunks, keeping commits", () => {
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Json[] }).Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({
        AbortIncompleteMultipartUpload: {
          DaysAfterInitiation: BUCKETS.blobs.abortIncompleteMultipartUploadAfterDays,
        },
        Status: 'Enabled',
      }),
    );
    expect(rules.filter((rule) => rule.ExpirationInDays !== undefined)).toEqual(
      BUCKETS.blobs.expirations.map((expiration) =>
        expect.objectContaining({ Prefix: expiration.prefix, ExpirationInDays: expiration.days }),
      ),
    );
    // A transfer lives a day; its chunks go a day after that at the latest.
    expect(rules).toContainEqual(expect.objectContaining({ Prefix: 'history/', ExpirationInDays: 2 }));
  });

  it("lets only the stage's site and its configured origins call the bucket, for uploads and downloads", () => {
    const rules = (bucket.Properties.CorsConfiguration as { CorsRules: Json[] }).CorsRules;
    expect(rules).toHaveLength(1);
    const [rule] = rules as [Json];
    expect([...(rule.AllowedMethods as string[])].sort()).toEqual(['GET', 'HEAD', 'POST']);
    const origins = rule.AllowedOrigins as Json[];
    // The distribution's own domain, imported from the web stack, and the dev stage's local origins.
    expect(JSON.stringify(origins[0])).toMatch(/Fn::ImportValue|Fn::Join/);
    expect(origins.slice(1)).toEqual(['http://localhost:3000', 'http://127.0.0.1:3000']);
    expect(JSON.stringify(origins)).not.toContain('*');
    expect(rule.ExposedHeaders).toEqual(['ETag']);
  });

  it.each(Object.entries(STAGES))('is %s-retained like the tables', (stage, built) => {
    const [, stageBucket] = only(resources(built.templates.data, 'AWS::S3::Bucket'));
    expect(stageBucket.DeletionPolicy).toBe(stage === 'prod' ? 'Retain' : 'Delete');
  });

  it('outputs the bucket name', () => {
    dev.templates.data.hasOutput(OUTPUTS.data.blobBucketName, { Value: { Ref: bucketId } });
  });
});

describe('stateful auth: user pool', () => {
  it('signs up by email with a code, a strong password and optional TOTP', () => {
    dev.templates.auth.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      VerificationMessageTemplate: Match.objectLike({
        DefaultEmailOption: 'CONFIRM_WITH_CODE',
        EmailMessage: Match.stringLikeRegexp('Parley.*\\{####\\}'),
        EmailSubject: Match.stringLikeRegexp('Parley'),
      }),
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 3,
        },
      },
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'ESSENTIALS',
    });
  });

  it('keeps the old email until the code sent to a new one is entered', () => {
    for (const stage of Object.values(STAGES)) {
      stage.templates.auth.hasResourceProperties('AWS::Cognito::UserPool', {
        UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
      });
    }
  });

  it('is disposable in dev', () => {
    dev.templates.auth.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtection: 'INACTIVE' }),
    });
  });

  it('is retained and protected from deletion in prod', () => {
    prod.templates.auth.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtection: 'ACTIVE' }),
    });
  });

  it('has a public web client with short-lived tokens, revocation and no OAuth redirects', () => {
    dev.templates.auth.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayEquals([
        'ALLOW_USER_PASSWORD_AUTH',
        'ALLOW_USER_SRP_AUTH',
        'ALLOW_REFRESH_TOKEN_AUTH',
      ]),
      AllowedOAuthFlowsUserPoolClient: false,
      CallbackURLs: Match.absent(),
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AccessTokenValidity: 60,
      IdTokenValidity: 60,
      RefreshTokenValidity: 30 * 24 * 60,
      AuthSessionValidity: 3,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
    });
  });

  it('outputs the pool, the client and the region', () => {
    const [poolId] = only(resources(dev.templates.auth, 'AWS::Cognito::UserPool'));
    const [clientId] = only(resources(dev.templates.auth, 'AWS::Cognito::UserPoolClient'));
    dev.templates.auth.hasOutput(OUTPUTS.auth.userPoolId, { Value: { Ref: poolId } });
    dev.templates.auth.hasOutput(OUTPUTS.auth.userPoolClientId, { Value: { Ref: clientId } });
    dev.templates.auth.hasOutput(OUTPUTS.auth.region, { Value: { Ref: 'AWS::Region' } });
  });
});

describe('stateful resources stay in stateful stacks', () => {
  const statefulTypes = [
    'AWS::DynamoDB::Table',
    'AWS::SQS::Queue',
    'AWS::Cognito::UserPool',
    'AWS::KMS::Key',
  ];

  it.each(['realtime', 'http'] as const)('the %s stack holds none', (part) => {
    for (const type of statefulTypes) dev.templates[part].resourceCountIs(type, 0);
  });
});

describe('realtime: WebSocket API', () => {
  const template = dev.templates.realtime;

  it('selects routes by the frame action', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: WEBSOCKET.routeSelectionExpression,
    });
  });

  it.each(WEBSOCKET.routes.map((route) => [route.routeKey, route] as const))(
    'routes %s to its function',
    (routeKey, definition) => {
      const route = routeByKey(template, routeKey);
      expect(routeTarget(template, route)).toBe(functionId(template, definition.function));
    },
  );

  it('sends the response of two-way routes back as a frame, and only theirs', () => {
    const routeResponses = Object.values(resources(template, 'AWS::ApiGatewayV2::RouteResponse'));
    const routeIds = Object.fromEntries(
      Object.entries(resources(template, 'AWS::ApiGatewayV2::Route')).map(([id, route]) => [
        route.Properties.RouteKey,
        id,
      ]),
    );
    for (const definition of WEBSOCKET.routes) {
      const route = routeByKey(template, definition.routeKey);
      const responses = routeResponses.filter(
        (response) => (response.Properties.RouteId as { Ref: string }).Ref === routeIds[definition.routeKey],
      );
      if (definition.returnResponse) {
        expect(route.Properties.RouteResponseSelectionExpression).toBe('$default');
        expect(responses.map((response) => response.Properties.RouteResponseKey)).toEqual(['$default']);
      } else {
        expect(route.Properties.RouteResponseSelectionExpression).toBeUndefined();
        expect(responses).toHaveLength(0);
      }
    }
  });
});

describe('realtime: heartbeat', () => {
  const template = dev.templates.realtime;

  it.each(WEBSOCKET.mockRoutes.map((route) => [route.routeKey, route] as const))(
    'answers %s itself with a MOCK integration: no function, the reply frame from its templates',
    (routeKey, definition) => {
      const [routeId, route] = only(
        Object.fromEntries(
          Object.entries(resources(template, 'AWS::ApiGatewayV2::Route')).filter(
            ([, candidate]) => candidate.Properties.RouteKey === routeKey,
          ),
        ),
      );
      const target = route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
      const integrationId = target['Fn::Join'][1][1].Ref;
      const integration = resources(template, 'AWS::ApiGatewayV2::Integration')[integrationId];
      expect(integration?.Properties).toMatchObject({
        IntegrationType: 'MOCK',
        TemplateSelectionExpression: '\\$default',
        RequestTemplates: { $default: JSON.stringify({ statusCode: 200 }) },
      });
      // No function behind it, and none may be invoked through it.
      expect(JSON.stringify(integration)).not.toContain('lambda');
      const permissions = Object.values(resources(template, 'AWS::Lambda::Permission'));
      expect(JSON.stringify(permissions)).not.toContain(`/${routeKey}`);

      const [, integrationResponse] = only(resources(template, 'AWS::ApiGatewayV2::IntegrationResponse'));
      expect(integrationResponse.Properties).toMatchObject({
        IntegrationId: { Ref: integrationId },
        IntegrationResponseKey: '$default',
        TemplateSelectionExpression: '\\$default',
        ResponseTemplates: { $default: definition.response },
      });
      expect(JSON.parse(definition.response)).toEqual({ type: 'pong' });
      expect(route.Properties.RouteResponseSelectionExpression).toBe('$default');
      const responses = Object.values(resources(template, 'AWS::ApiGatewayV2::RouteResponse')).filter(
        (response) => (response.Properties.RouteId as { Ref: string }).Ref === routeId,
      );
      expect(responses.map((response) => response.Properties.RouteResponseKey)).toEqual(['$default']);
    },
  );
});

describe('realtime: $connect authorizer', () => {
  const template = dev.templates.realtime;
  const [authorizerId, authorizer] = only(resources(template, 'AWS::ApiGatewayV2::Authorizer'));

  it('is a Lambda REQUEST authorizer backed by the authorizer function', () => {
    expect(authorizer.Properties.AuthorizerType).toBe('REQUEST');
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(
      `"Fn::GetAtt":["${functionId(template, WEBSOCKET.authorizer.function)}","Arn"]`,
    );
  });

  it('lists no identity source, so a token in the query string or sub-protocol reaches it', () => {
    expect(WEBSOCKET.authorizer.identitySource).toEqual([]);
    expect(authorizer.Properties).not.toHaveProperty('IdentitySource');
  });

  it('guards $connect only', () => {
    for (const definition of WEBSOCKET.routes) {
      const route = routeByKey(template, definition.routeKey);
      if (definition.routeKey === '$connect') {
        expect(route.Properties).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: authorizerId },
        });
      } else {
        expect(route.Properties.AuthorizationType).toBe('NONE');
      }
    }
  });

  it('may be invoked by this API only', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [functionId(template, WEBSOCKET.authorizer.function), 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
      SourceArn: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`/authorizers/`), { Ref: authorizerId }])],
      }),
    });
  });
});

describe('realtime: stage', () => {
  it.each(Object.entries(STAGES))(
    'is named after the %s stage, auto-deployed and throttled',
    (stage, built) => {
      built.templates.realtime.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: stage,
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: WEBSOCKET.throttle.rateLimit,
          ThrottlingBurstLimit: WEBSOCKET.throttle.burstLimit,
        },
      });
    },
  );

  it('writes access logs that name the route, connection and outcome, never the query string or headers', () => {
    const [, stage] = only(resources(dev.templates.realtime, 'AWS::ApiGatewayV2::Stage'));
    const settings = stage.Properties.AccessLogSettings as { Format: string; DestinationArn: unknown };
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(Object.values(format)).toEqual(
      expect.arrayContaining([
        '$context.requestId',
        '$context.routeKey',
        '$context.status',
        '$context.connectionId',
        '$context.identity.sourceIp',
        '$context.error.message',
        '$context.authorizer.error',
      ]),
    );
    expect(settings.Format).not.toMatch(
      /querystring|queryString|header|\$context\.path|authorizer\.principalId/i,
    );
  });

  it('lets API Gateway write WebSocket logs through a retained account-wide role', () => {
    const template = dev.templates.realtime;
    template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
    template.hasResource('AWS::IAM::Role', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
        }),
      }),
    });
    const [accountId] = only(resources(template, 'AWS::ApiGateway::Account'));
    template.hasResource('AWS::ApiGatewayV2::Stage', { DependsOn: Match.arrayWith([accountId]) });
  });

  it('leaves the account logging role alone when the account manages it', () => {
    const { templates } = synth('dev', { apiGatewayAccountRole: 'false' });
    templates.realtime.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('outputs the wss:// URL and the https:// callback endpoint', () => {
    const [apiId] = only(resources(dev.templates.realtime, 'AWS::ApiGatewayV2::Api'));
    const url = (scheme: string) => ({
      'Fn::Join': [
        '',
        [
          `${scheme}://`,
          { Ref: apiId },
          '.execute-api.',
          { Ref: 'AWS::Region' },
          '.',
          { Ref: 'AWS::URLSuffix' },
          '/dev',
        ],
      ],
    });
    dev.templates.realtime.hasOutput(OUTPUTS.realtime.webSocketUrl, { Value: url('wss') });
    dev.templates.realtime.hasOutput(OUTPUTS.realtime.connectionsEndpoint, { Value: url('https') });
  });
});

describe('realtime: fan-out event source', () => {
  it.each(EVENT_SOURCES.map((source) => [source.function, source] as const))(
    '%s consumes its queue in batches and reports partial failures',
    (name, source) => {
      const template = dev.templates.realtime;
      const mappings = Object.values(resources(template, 'AWS::Lambda::EventSourceMapping'));
      expect(mappings).toHaveLength(EVENT_SOURCES.length);
      const mapping = mappings.find(
        (candidate) =>
          JSON.stringify(candidate.Properties.FunctionName) ===
          JSON.stringify({ Ref: functionId(template, name) }),
      );
      expect(mapping?.Properties).toMatchObject({
        FunctionName: { Ref: functionId(template, name) },
        BatchSize: source.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(mapping?.Properties.MaximumBatchingWindowInSeconds).toBe(
        source.maxBatchingWindowSeconds > 0 ? source.maxBatchingWindowSeconds : undefined,
      );
      expect(JSON.stringify(mapping?.Properties.EventSourceArn)).toMatch(
        new RegExp(`Fn::ImportValue.*${pascal(source.queue)}Queue`),
      );
    },
  );
});

describe('http: API', () => {
  const template = dev.templates.http;

  const byAuth = (auth: 'jwt' | 'none') =>
    HTTP_API.routes
      .filter((route) => route.auth === auth)
      .map((route) => [`${route.method} ${route.path}`, route] as const);

  it.each(byAuth('jwt'))('serves %s behind the Cognito JWT authorizer', (routeKey, definition) => {
    const route = routeByKey(template, routeKey);
    const [authorizerId] = only(resources(template, 'AWS::ApiGatewayV2::Authorizer'));
    expect(route.Properties).toMatchObject({
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: authorizerId },
    });
    expect(routeTarget(template, route)).toBe(functionId(template, definition.function));
  });

  it.each(byAuth('none'))('serves %s, the API description, without authorization', (routeKey, definition) => {
    expect(byAuth('none').map(([key]) => key)).toEqual(['GET /openapi.json']);
    const route = routeByKey(template, routeKey);
    expect(route.Properties).toMatchObject({ AuthorizationType: 'NONE' });
    expect(route.Properties).not.toHaveProperty('AuthorizerId');
    expect(routeTarget(template, route)).toBe(functionId(template, definition.function));
  });

  it('accepts tokens of this pool issued to the web client only', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ 'Fn::ImportValue': Match.stringLikeRegexp('Parley-dev-Auth:.*UserPoolWebClient') }],
        Issuer: {
          'Fn::Join': [
            '',
            Match.arrayWith([
              Match.stringLikeRegexp('^https://cognito-idp\\.'),
              { 'Fn::ImportValue': Match.stringLikeRegexp('Parley-dev-Auth:.*UserPool') },
            ]),
          ],
        },
      },
    });
  });

  /** The stage's own site origin, `https://` + the distribution's domain, imported from the web stack. */
  const siteOrigin = {
    'Fn::Join': [
      '',
      [
        'https://',
        { 'Fn::ImportValue': Match.stringLikeRegexp('^Parley-(dev|prod)-Web:.*Distribution.*DomainName') },
      ],
    ],
  };

  it('allows its own site and the local web client cross-origin in dev', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: [siteOrigin, 'http://localhost:3000', 'http://127.0.0.1:3000'],
        AllowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
        AllowHeaders: ['authorization', 'content-type', 'idempotency-key'],
        AllowCredentials: false,
        MaxAge: 86_400,
      },
    });
  });

  it('allows only its own site in prod unless more origins are configured', () => {
    prod.templates.http.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: [siteOrigin] }),
    });
  });

  it('allows the configured origins in prod beside its own site', () => {
    const { templates } = synth('prod', { ...PROD_EMAIL, webOrigins: 'https://chat.example.com' });
    templates.http.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: [siteOrigin, 'https://chat.example.com'] }),
    });
  });

  it('throttles the $default stage and logs without query strings or headers', () => {
    const [, stage] = only(resources(template, 'AWS::ApiGatewayV2::Stage'));
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: HTTP_API.throttle.rateLimit,
        ThrottlingBurstLimit: HTTP_API.throttle.burstLimit,
      },
    });
    const format = (stage.Properties.AccessLogSettings as { Format: string }).Format;
    expect(JSON.parse(format)).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
    });
    expect(format).not.toMatch(/querystring|queryString|header|\$context\.path/i);
  });

  it('outputs the API URL without a trailing slash, for clients to append paths to', () => {
    const [apiId] = only(resources(template, 'AWS::ApiGatewayV2::Api'));
    template.hasOutput(OUTPUTS.http.httpApiUrl, { Value: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] } });
  });
});

/** A template string value with its `Ref`s written as `<Name>`, where CloudFormation substitutes them. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const record = value as Json;
  if (record['Fn::Join']) {
    const [delimiter, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(delimiter);
  }
  if (typeof record.Ref === 'string') return `<${record.Ref}>`;
  return JSON.stringify(value);
}

describe('web: hosting', () => {
  const template = dev.templates.web;
  const [bucketId, bucket] = only(resources(template, 'AWS::S3::Bucket'));
  const [distributionId, distribution] = only(resources(template, 'AWS::CloudFront::Distribution'));
  const config = distribution.Properties.DistributionConfig as Json;
  const behavior = config.DefaultCacheBehavior as Json;

  it('keeps the site in a private, S3-encrypted bucket that refuses plain HTTP', () => {
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('lets CloudFront read the bucket through Origin Access Control, for this distribution only', () => {
    const [oacId] = only(resources(template, 'AWS::CloudFront::OriginAccessControl'));
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      }),
    });
    expect(config.Origins).toEqual([
      expect.objectContaining({
        DomainName: { 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] },
        OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] },
        S3OriginConfig: { OriginAccessIdentity: '' },
      }),
    ]);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Condition: {
              StringEquals: {
                'AWS:SourceArn': Match.objectLike({
                  'Fn::Join': ['', Match.arrayWith([{ Ref: distributionId }])],
                }),
              },
            },
          }),
        ]),
      },
    });
    expect(bucket.Properties).not.toHaveProperty('WebsiteConfiguration');
  });

  it('serves HTTPS only (redirecting HTTP), index.html at the root, GET and HEAD, compressed', () => {
    expect(config.DefaultRootObject).toBe('index.html');
    expect(behavior).toMatchObject({
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: ['GET', 'HEAD'],
      Compress: true,
    });
  });

  it('answers client-side routes with the app page and 200, never cached as an error', () => {
    expect(config.CustomErrorResponses).toEqual(
      [403, 404].map((code) => ({
        ErrorCode: code,
        ResponseCode: 200,
        ResponsePagePath: '/index.html',
        ErrorCachingMinTTL: 0,
      })),
    );
  });

  it("sends web-headers.ts's security headers on every response: strict CSP, HSTS for two years, no framing", () => {
    const [policyId, policy] = only(resources(template, 'AWS::CloudFront::ResponseHeadersPolicy'));
    expect(behavior.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
    const { SecurityHeadersConfig: security, CustomHeadersConfig: custom } = policy.Properties
      .ResponseHeadersPolicyConfig as {
      SecurityHeadersConfig: Record<string, Json>;
      CustomHeadersConfig: { Items: Array<{ Header: string; Value: string; Override: boolean }> };
    };
    const hsts = security.StrictTransportSecurity as Json;
    const served = {
      'content-security-policy': flatten(security.ContentSecurityPolicy?.ContentSecurityPolicy),
      'strict-transport-security': `max-age=${hsts.AccessControlMaxAgeSec}${hsts.IncludeSubdomains ? '; includeSubDomains' : ''}`,
      'x-content-type-options': security.ContentTypeOptions ? 'nosniff' : undefined,
      'x-frame-options': security.FrameOptions?.FrameOption,
      'referrer-policy': security.ReferrerPolicy?.ReferrerPolicy,
      ...Object.fromEntries(custom.Items.map((item) => [item.Header.toLowerCase(), item.Value])),
    };
    expect(served).toEqual(
      webSecurityHeaders({
        connectSources: awsConnectSources('<AWS::Region>', '<AWS::URLSuffix>', [
          'parley-dev-blobs-<AWS::AccountId>-<AWS::Region>',
        ]),
        strictTransportSecurity: true,
      }),
    );
    expect(served['content-security-policy']).toContain("frame-ancestors 'none'");
    // Decrypted attachments are shown from blob: URLs; nothing else widens.
    expect(served['content-security-policy']).toContain("img-src 'self' data: blob:;");
    expect(served['content-security-policy']).toContain("media-src 'self' blob:;");
    // Voice notes: the microphone for the site itself, for no frame; the camera for nobody.
    const permissions = (served as Record<string, unknown>)['permissions-policy'];
    expect(permissions).toContain('microphone=(self)');
    expect(permissions).toContain('camera=()');
    expect(served['content-security-policy']).toContain("script-src 'self';");
    expect(served['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    for (const header of [...Object.values(security), ...custom.Items]) expect(header.Override).toBe(true);
  });

  it('outputs the site URL', () => {
    template.hasOutput(OUTPUTS.web.webUrl, {
      Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] },
    });
  });

  it.each(Object.entries(STAGES))(
    'is protected from deletion in %s as the owner of every device origin',
    (stage, built) => {
      expect(built.stacks.web.terminationProtection).toBe(stage === 'prod');
    },
  );
});

describe('web: content', () => {
  const template = dev.templates.webContent;
  const deployments = resources(template, 'Custom::CDKBucketDeployment');
  const [assetsId, assets] = Object.entries(deployments).find(([id]) => id.startsWith('Assets')) ?? [];
  const [, pages] = Object.entries(deployments).find(([id]) => id.startsWith('Pages')) ?? [];
  const siteBucket = {
    'Fn::Join': ['', ['parley-dev-web-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]],
  };

  it('deploys the hashed assets first, cached for a year and never pruned', () => {
    expect(assets?.Properties).toMatchObject({
      DestinationBucketName: siteBucket,
      Exclude: ['*'],
      Include: ['assets/*'],
      SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
      Prune: false,
    });
  });

  it('then index.html and config.json, revalidated on every load', () => {
    expect(pages?.Properties).toMatchObject({
      DestinationBucketName: siteBucket,
      Exclude: ['assets/*'],
      SystemMetadata: { 'cache-control': 'no-cache' },
      Prune: false,
    });
    expect(pages?.Properties.SourceObjectKeys).toHaveLength(2);
    expect(pages?.DependsOn).toEqual(expect.arrayContaining([assetsId]));
  });

  it("writes config.json with the stage's user pool, client, HTTP API and WebSocket API", () => {
    const { webConfig } = dev.stacks.webContent;
    expect(Object.keys(webConfig).sort()).toEqual(
      WEB_CONFIG_FIELDS.filter((key) => key !== 'mailboxUrl').sort(),
    );
    expect(webConfig.stage).toBe('dev');
    const markers = JSON.stringify(pages?.Properties.SourceMarkers);
    for (const pattern of [
      /Parley-dev-Auth:ExportsOutputRefUserPool[0-9A-F]/,
      /Parley-dev-Auth:ExportsOutputRefUserPoolWebClient/,
      /Parley-dev-Http:ExportsOutputFnGetAttHttpApi\w*ApiEndpoint/,
      /Parley-dev-Realtime:ExportsOutputRefWebSocketApi/,
    ]) {
      expect(markers).toMatch(pattern);
    }
  });

  it("lets CDK's deployment handler write to the site bucket and read its staged asset, nothing else", () => {
    const statements = allowStatements(template);
    const resourcesOf = statements.flatMap((statement) =>
      asArray(statement.Resource).map((resource) => JSON.stringify(resource)),
    );
    expect(resourcesOf.length).toBeGreaterThan(0);
    for (const resource of resourcesOf) expect(resource).toMatch(/parley-dev-web-|cdk-[a-z0-9]+-assets-/);
    const writes = statements.filter((statement) =>
      asArray(statement.Action as string | string[]).some((action) => /s3:(Put|Delete)/.test(action)),
    );
    for (const statement of writes) {
      for (const resource of asArray(statement.Resource))
        expect(JSON.stringify(resource)).toMatch(/parley-dev-web-/);
    }
  });

  it('deploys after the site bucket exists', () => {
    expect(dev.stacks.webContent.dependencies).toContain(dev.stacks.web);
  });
});

describe('functions', () => {
  const everyFunction = (built: ParleyApp & { templates: Record<StackPart, Template> }) =>
    APP_PARTS.flatMap((part) =>
      Object.values(resources(built.templates[part], 'AWS::Lambda::Function'))
        .map((resource) => ({ part, resource, name: topologyName(resource) }))
        // The one function outside the topology: the data stack's custom resource making the VAPID keys.
        .filter((fn) => fn.name !== undefined),
    );
  const functionNamed = (name: string) => {
    const fn = everyFunction(dev).find((candidate) => candidate.name === name);
    if (!fn) throw new Error(`No function ${name} in the dev templates`);
    return fn;
  };
  const variablesOf = (name: string) =>
    (functionNamed(name).resource.Properties.Environment as { Variables: Json }).Variables;

  it('deploys every topology function exactly once', () => {
    expect(
      everyFunction(dev)
        .map((fn) => fn.name)
        .sort(),
    ).toEqual(Object.keys(FUNCTIONS).sort());
  });

  it('puts the HTTP API functions in the HTTP stack and the rest in the realtime stack', () => {
    for (const fn of everyFunction(dev)) {
      const http = HTTP_API.routes.some((route) => route.function === fn.name);
      expect(fn.part).toBe(http ? 'http' : 'realtime');
    }
  });

  it.each(Object.entries(FUNCTIONS))(
    '%s runs nodejs22.x on arm64 as the topology sizes it',
    (name, definition) => {
      const fn = functionNamed(name);
      expect(fn.resource.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: definition.memorySizeMb,
        Timeout: definition.timeoutSeconds,
        Description: definition.description,
        LoggingConfig: {
          LogFormat: 'JSON',
          ApplicationLogLevel: 'INFO',
          LogGroup: { Ref: expect.any(String) },
        },
      });
      // X-Ray active tracing: a segment per sampled invocation.
      expect(fn.resource.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    },
  );

  it.each(Object.entries(FUNCTIONS))(
    '%s gets exactly the env vars of its bindings, its stage and its metrics namespace',
    (name, definition) => {
      const variables = variablesOf(name);
      const expected = new Set<string>([
        Env.Stage,
        Env.MetricsNamespace,
        ...definition.bindings.flatMap((binding) => envNamesOf(binding)),
      ]);
      expect(Object.keys(variables).sort()).toEqual([...expected].sort());
      expect(variables[Env.Stage]).toBe('dev');
      // Every function's metrics in one namespace, beside its stage and service dimensions.
      expect(variables[Env.MetricsNamespace]).toBe('Parley');
    },
  );

  it.each(Object.keys(FUNCTIONS))('%s starts without Node options: no source maps at cold start', (name) => {
    const fn = functionNamed(name);
    expect(JSON.stringify(fn.resource.Properties.Environment)).not.toMatch(/NODE_OPTIONS|source-maps/);
  });

  it('gives the token verifier the issuer and JWKS URI of the pool', () => {
    const variables = variablesOf(WEBSOCKET.authorizer.function);
    const issuer = JSON.stringify(variables[Env.JwtIssuer]);
    expect(issuer).toMatch(/^\{"Fn::Join":\["",\["https:\/\/cognito-idp\.",\{"Ref":"AWS::Region"\}/);
    expect(JSON.stringify(variables[Env.JwksUri])).toContain('/.well-known/jwks.json');
  });

  it.each(Object.entries(STAGES))('keeps logs in its own log group for the %s retention', (stage, built) => {
    const days = stage === 'prod' ? 30 : 7;
    for (const part of ['realtime', 'http'] as const) {
      const groups = Object.values(resources(built.templates[part], 'AWS::Logs::LogGroup'));
      expect(groups.length).toBeGreaterThan(0);
      for (const group of groups) {
        expect(group.Properties.RetentionInDays).toBe(days);
        expect(group.DeletionPolicy).toBe(stage === 'prod' ? 'Retain' : 'Delete');
      }
    }
  });
});

describe('tracing', () => {
  const rulesOf = (app: ReturnType<typeof synth>, part: 'realtime' | 'http') =>
    Object.values(resources(app.templates[part], 'AWS::XRay::SamplingRule')).map(
      (rule) => (rule.Properties as { SamplingRule: Record<string, unknown> }).SamplingRule,
    );

  it.each([
    ['dev', 1],
    ['prod', 0.05],
  ] as const)(
    'samples the %s stage at its rate, one rule per code stack matching its functions only',
    (stage, rate) => {
      const app = STAGES[stage];
      for (const part of ['realtime', 'http'] as const) {
        const [rule, ...others] = rulesOf(app, part);
        expect(others).toEqual([]);
        expect(rule).toMatchObject({
          FixedRate: rate,
          ReservoirSize: 1,
          ServiceName: `${app.stacks[part].stackName}-*`,
          Version: 1,
        });
        expect(String(rule?.RuleName).length).toBeLessThanOrEqual(32);
      }
    },
  );

  it("takes a stage's sampling rate from context", () => {
    const app = synth('dev', { traceSampling: '0.2' });
    expect(rulesOf(app, 'http')[0]).toMatchObject({ FixedRate: 0.2 });
  });
});

describe('IAM: least privilege', () => {
  const statements = APP_PARTS.flatMap((part) => [
    ...allowStatements(dev.templates[part]),
    ...allowStatements(prod.templates[part]),
  ]);

  it('never grants a wildcard action or dynamodb:Scan', () => {
    const actions = statements.flatMap((statement) => asArray(statement.Action as string | string[]));
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    expect(actions).not.toContain('dynamodb:Scan');
  });

  /** Active tracing's statement, which CDK adds to every function role: X-Ray names no resource. */
  const isTraceWriting = (statement: Json) =>
    JSON.stringify([...asArray(statement.Action as string | string[])].sort()) ===
    JSON.stringify(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);

  it('never grants on Resource "*" but the two X-Ray actions that write traces, which name no resource', () => {
    const wildcards = statements.filter((statement) => asArray(statement.Resource).includes('*'));
    expect(wildcards.length).toBeGreaterThan(0);
    for (const statement of wildcards) expect(isTraceWriting(statement)).toBe(true);
  });

  it('scopes table access to the table and its declared indexes', () => {
    const dynamo = statements.filter((statement) =>
      asArray(statement.Action as string | string[]).some((action) => action.startsWith('dynamodb:')),
    );
    expect(dynamo.length).toBeGreaterThan(0);
    for (const statement of dynamo) {
      const resources = asArray(statement.Resource).map((resource) => JSON.stringify(resource));
      expect(resources).toHaveLength(1 + TABLES.main.globalSecondaryIndexes.length);
      for (const resource of resources) expect(resource).toMatch(/MainTable/);
      for (const index of TABLES.main.globalSecondaryIndexes) {
        expect(resources.some((resource) => resource.endsWith(`"/index/${index.indexName}"]]}`))).toBe(true);
      }
    }
  });

  it('scopes queue access to the queue', () => {
    const sqs = statements.filter((statement) =>
      asArray(statement.Action as string | string[]).some((action) => action.startsWith('sqs:')),
    );
    expect(sqs.length).toBeGreaterThan(0);
    for (const statement of sqs) {
      for (const resource of asArray(statement.Resource))
        expect(JSON.stringify(resource)).toMatch(/(Fanout|Push)(DeadLetter)?Queue/);
    }
  });

  it('lets only the fan-out sender write to the dead-letter queue, and only SendMessage', () => {
    const bound = Object.entries(FUNCTIONS)
      .filter(([, definition]) => definition.bindings.some((binding) => binding.kind === 'deadLetterQueue'))
      .map(([name]) => name);
    expect(bound).toEqual(['fanoutSender']);
    const onDeadLetters = statements.filter((statement) =>
      asArray(statement.Resource).some((resource) =>
        JSON.stringify(resource).includes('FanoutDeadLetterQueue'),
      ),
    );
    // That function, in dev and in prod.
    expect(onDeadLetters).toHaveLength(2);
    for (const statement of onDeadLetters) {
      expect(asArray(statement.Action as string | string[])).toEqual(['sqs:SendMessage']);
      // CDK merges it with the sender's SendMessage on the fan-out and push queues themselves.
      for (const resource of asArray(statement.Resource))
        expect(JSON.stringify(resource)).toMatch(/FanoutDeadLetterQueue|FanoutQueue|PushQueue/);
    }
  });

  it('lets only functions bound to connections call ManageConnections, on @connections only', () => {
    const manage = statements.filter((statement) =>
      asArray(statement.Action as string | string[]).includes('execute-api:ManageConnections'),
    );
    // The fan-out sender and the action function (typing is posted straight away), in dev and in prod.
    expect(manage.length).toBe(2 * 2);
    for (const statement of manage) {
      expect(statement.Action).toBe('execute-api:ManageConnections');
      for (const resource of asArray(statement.Resource)) {
        expect(JSON.stringify(resource)).toMatch(/\/(dev|prod)\/(POST|DELETE)\/@connections\/\*"\]\]\}$/);
      }
    }
  });

  /** Allow statements of the policies attached to a function's own role. */
  const grantsOf = (name: FunctionName) => {
    const template = functionsOf('http').includes(name) ? dev.templates.http : dev.templates.realtime;
    const [, fn] = only(
      Object.fromEntries(
        Object.entries(resources(template, 'AWS::Lambda::Function')).filter(
          ([id]) => id === functionId(template, name),
        ),
      ),
    );
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return Object.values(resources(template, 'AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Json[] }).Statement);
  };
  const servicesOf = (name: FunctionName) =>
    [
      ...new Set(
        grantsOf(name).flatMap((statement) =>
          asArray(statement.Action as string | string[]).map((action) => action.split(':')[0]),
        ),
      ),
    ].sort();

  it.each([
    ['httpMls', ['commits/', 'welcomes/'], ['s3:DeleteObject', 's3:GetObject', 's3:PutObject']],
    [
      'httpFiles',
      ['attachments/', 'avatars/', 'history/', 'backups/'],
      ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
    ],
    ['attachmentSweeper', ['attachments/', 'backups/'], ['s3:DeleteObject']],
    // Deleting an account deletes its profile picture's objects, and nothing else of the bucket.
    ['httpAccountLifecycle', ['avatars/', 'backups/'], ['s3:DeleteObject']],
  ] as const)('lets %s touch objects of the bucket under %j only', (name, prefixes, actions) => {
    const s3 = grantsOf(name).filter((statement) =>
      asArray(statement.Action as string | string[]).some((action) => action.startsWith('s3:')),
    );
    expect(s3).toHaveLength(1);
    for (const statement of s3) {
      expect([...asArray(statement.Action as string | string[])].sort()).toEqual(actions);
      const resources = asArray(statement.Resource).map((resource) => JSON.stringify(resource));
      expect(resources).toHaveLength(prefixes.length);
      for (const prefix of prefixes) {
        expect(resources.some((resource) => resource.includes(`/${prefix}*`))).toBe(true);
      }
    }
  });

  it('lets no other function touch the bucket, in any stage', () => {
    const bound = Object.entries(FUNCTIONS)
      .filter(([, definition]) => definition.bindings.some((binding) => binding.kind === 'bucket'))
      .map(([name]) => name);
    expect(bound.sort()).toEqual(['attachmentSweeper', 'httpAccountLifecycle', 'httpFiles', 'httpMls']);
    const s3 = statements.filter((statement) =>
      asArray(statement.Action as string | string[]).some((action) => action.startsWith('s3:')),
    );
    // Those four, in dev and in prod.
    expect(s3).toHaveLength(4 * 2);
  });

  it.each([
    // Every function writes its traces (active tracing): xray.
    ['httpAccount', ['cognito-idp', 'dynamodb', 'logs', 'sqs', 'xray']],
    // The bucket: deleting an account deletes its profile picture's objects.
    ['httpAccountLifecycle', ['cognito-idp', 'dynamodb', 'logs', 's3', 'sqs', 'xray']],
    ['httpChat', ['dynamodb', 'logs', 'sqs', 'xray']],
    ['httpMls', ['dynamodb', 'logs', 's3', 'sqs', 'xray']],
    // The queue: a new profile picture is pushed to friends and co-members.
    ['httpFiles', ['dynamodb', 'logs', 's3', 'sqs', 'xray']],
    ['httpDescription', ['logs', 'xray']],
  ] as const)('lets the HTTP function %s call only the services its routes use', (name, services) => {
    expect(servicesOf(name)).toEqual(services);
  });

  const cognitoActionsOf = (name: FunctionName) => {
    const cognito = grantsOf(name).filter((statement) =>
      asArray(statement.Action as string | string[]).some((action) => action.startsWith('cognito-idp:')),
    );
    for (const statement of cognito) {
      expect(JSON.stringify(statement.Resource)).toMatch(/UserPool/);
      expect(JSON.stringify(statement.Resource)).not.toContain('*');
    }
    return cognito.flatMap((statement) => asArray(statement.Action as string | string[])).sort();
  };

  it('lets the account function read users and sign them out everywhere, on its own user pool only', () => {
    expect(cognitoActionsOf('httpAccount')).toEqual([
      'cognito-idp:AdminGetUser',
      'cognito-idp:AdminUserGlobalSignOut',
    ]);
  });

  it('lets only the account lifecycle function delete users, on its own user pool only', () => {
    expect(cognitoActionsOf('httpAccountLifecycle')).toEqual([
      'cognito-idp:AdminDeleteUser',
      'cognito-idp:AdminGetUser',
      'cognito-idp:AdminUserGlobalSignOut',
    ]);
    const deleters = (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) =>
      FUNCTIONS[name].bindings.some(
        (binding) => binding.kind === 'userPool' && binding.access === 'deleteUsers',
      ),
    );
    expect(deleters).toEqual(['httpAccountLifecycle']);
  });

  it('attaches no AWS managed policy to function roles', () => {
    for (const part of ['realtime', 'http'] as const) {
      const roles = resources(dev.templates[part], 'AWS::IAM::Role');
      for (const role of Object.values(roles)) {
        const service = JSON.stringify(role.Properties.AssumeRolePolicyDocument);
        if (service.includes('lambda.amazonaws.com'))
          expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  it.each((['dev', 'prod'] as const).flatMap((stage) => PARTS.map((part) => [stage, part] as const)))(
    '%s %s stack has no unacknowledged error or warning',
    (stage, part) => {
      const report = new AwsSolutionsChecks().validateScope(STAGES[stage].stacks[part]);
      const findings = report.violations.map(
        (violation) =>
          `${violation.severity} ${violation.ruleName}: ${violation.violatingResources[0]?.constructPath}`,
      );
      expect(findings).toEqual([]);
    },
  );

  it('runs during synthesis, which an unacknowledged error fails', () => {
    const built = buildApp({ stage: 'dev', skipBundling: true, env: {} });
    // No dead-letter queue and no TLS enforcement: AwsSolutions-SQS3 and SQS4.
    new Queue(built.stacks.data, 'CarelessQueue');
    expect(() => built.app.synth()).toThrow(/AwsSolutions-SQS3/);
  });
});

describe('stage names', () => {
  it('fails fast on a malformed stage name', () => {
    expect(() => buildApp({ stage: 'Dev_1', skipBundling: true, nag: false })).toThrow(StageConfigError);
  });

  it('tags every stack with the project and stage', () => {
    for (const part of PARTS) {
      expect(prod.stacks[part].tags.tagValues()).toMatchObject({ project: 'parley', stage: 'prod' });
    }
  });

  it('names the stacks from the topology', () => {
    expect(PARTS.map((part) => dev.stacks[part].stackName)).toEqual([
      'Parley-dev-Auth',
      'Parley-dev-Data',
      'Parley-dev-Realtime',
      'Parley-dev-Http',
      'Parley-dev-Web',
      'Parley-dev-WebContent',
      'Parley-dev-Monitoring',
    ]);
  });
});

describe('synthTemplates', () => {
  it('returns every template, the same on every call', () => {
    const first = synthTemplates('dev');
    const second = synthTemplates('dev');
    expect(Object.keys(first).sort()).toEqual([...PARTS].sort());
    expect(JSON.stringify(first)).toBe(JSON.stringify(second));
    expect(first.realtime.Resources).toEqual(dev.templates.realtime.toJSON().Resources);
  });
});
