import { type Acknowledgment, ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Env, type EnvName } from '../../functions/config';
import type { StageConfig } from '../stage-config';
import {
  type Binding,
  BUCKETS,
  type BucketName,
  envNamesOf,
  QUEUE_URL_ENV,
  QUEUES,
  type QueueName,
  TABLES,
  type TableName,
  WEBSOCKET,
} from '../topology';
import { wildcardResourceFinding } from './nag';
import type { ParleyFunction } from './parley-function';

/** The resources bindings may point at. A stack passes the ones it has. */
export interface BindingResources {
  /** Tables by topology name. @default none: a table binding fails */
  readonly tables?: Partial<Record<TableName, ITable>>;
  /** Queues by topology name. @default none: a queue binding fails */
  readonly queues?: Partial<Record<QueueName, IQueue>>;
  /** Dead-letter queues by the topology name of the queue they serve. @default none: such a binding fails */
  readonly deadLetterQueues?: Partial<Record<QueueName, IQueue>>;
  /** Buckets by topology name. @default none: a bucket binding fails */
  readonly buckets?: Partial<Record<BucketName, IBucket>>;
  /** The WebSocket stage whose `@connections` API a function may call. @default none */
  readonly connections?: WebSocketStage;
  /** The user pool and the app client tokens are issued to. @default none */
  readonly userPool?: { readonly pool: IUserPool; readonly client: IUserPoolClient };
  /** The stage's per-user rate limits. @default none: a limits binding fails */
  readonly rateLimits?: StageConfig['rateLimits'];
  /** The stage's per-user caps. @default none: a limits binding fails */
  readonly caps?: StageConfig['caps'];
  /** The stage's VAPID key parameter and the contact pushes name. @default none: a pushKeys binding fails */
  readonly pushKeys?: {
    readonly parameterName: string;
    readonly parameterArn: string;
    readonly subject: string;
  };
}

/** A binding's two halves, which only ever travel together. */
interface Grant {
  readonly env: Partial<Record<EnvName, string>>;
  readonly statements: readonly PolicyStatement[];
  /** cdk-nag findings the grant causes on purpose, with why. */
  readonly acknowledgments?: readonly Acknowledgment[];
}

/** Key-based reads only: no `Scan`, so no request path can read a whole table. */
const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
];
const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/** Thrown when a function's bindings name a resource its stack was not given. */
export class BindingError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BindingError';
  }
}

/**
 * Applies every binding of a function's topology entry: its environment
 * variables and its least-privilege grant, together.
 *
 * @example
 * bindFunction(send, { tables: data.tables, queues: data.queues });
 */
export function bindFunction(fn: ParleyFunction, resources: BindingResources): void {
  for (const binding of fn.definition.bindings) bind(fn, binding, resources);
}

/** Applies one binding. Fails when the binder and `envNamesOf` disagree about its variables. */
export function bind(fn: ParleyFunction, binding: Binding, resources: BindingResources): void {
  const grant = grantFor(fn, binding, resources);
  const expected = [...envNamesOf(binding)].sort();
  const provided = Object.keys(grant.env).sort();
  if (expected.join() !== provided.join()) {
    throw new BindingError(
      `Binding ${describe(binding)} of ${fn.name} provides ${provided.join(', ')} but the topology expects ${expected.join(', ')}`,
    );
  }
  for (const [name, value] of Object.entries(grant.env))
    if (value !== undefined) fn.addEnvironment(name, value);
  for (const statement of grant.statements) fn.addToRolePolicy(statement);
  if (grant.acknowledgments?.length) Validations.of(fn.role).acknowledge(...grant.acknowledgments);
}

function grantFor(fn: ParleyFunction, binding: Binding, resources: BindingResources): Grant {
  switch (binding.kind) {
    case 'table':
      return tableGrant(
        binding.table,
        binding.access,
        required(fn, binding, resources.tables?.[binding.table]),
      );
    case 'queue':
      return queueGrant(binding.queue, required(fn, binding, resources.queues?.[binding.queue]));
    case 'deadLetterQueue':
      return deadLetterQueueGrant(
        binding.queue,
        required(fn, binding, resources.deadLetterQueues?.[binding.queue]),
      );
    case 'bucket':
      return bucketGrant(
        fn,
        binding.bucket,
        binding.prefixes,
        binding.access,
        required(fn, binding, resources.buckets?.[binding.bucket]),
      );
    case 'connections':
      return connectionsGrant(required(fn, binding, resources.connections));
    case 'userPool':
      return userPoolGrant(fn, binding.access, required(fn, binding, resources.userPool));
    case 'idleTimeout':
      // A setting, not a resource: API Gateway's fixed limit, from the topology.
      return { env: { [Env.IdleTimeoutMs]: String(WEBSOCKET.idleTimeoutSeconds * 1000) }, statements: [] };
    case 'pushKeys': {
      const keys = required(fn, binding, resources.pushKeys);
      // Reading the SecureString needs no KMS grant: it is encrypted under the account's AWS managed key
      // for SSM, whose key policy lets the account's principals decrypt through SSM.
      return {
        env: { [Env.VapidParameterName]: keys.parameterName, [Env.VapidSubject]: keys.subject },
        statements: [new PolicyStatement({ actions: ['ssm:GetParameter'], resources: [keys.parameterArn] })],
      };
    }
    case 'limits':
      // Settings, not resources: nothing to grant.
      return {
        env: {
          [Env.RateLimits]: JSON.stringify(required(fn, binding, resources.rateLimits)),
          [Env.Caps]: JSON.stringify(required(fn, binding, resources.caps)),
        },
        statements: [],
      };
  }
}

/**
 * Index ARNs are listed one by one from the topology rather than as
 * `index/*`: a new index is granted when it is declared, not before.
 */
function tableGrant(name: TableName, access: 'read' | 'readWrite', table: ITable): Grant {
  const resources = [
    table.tableArn,
    ...TABLES[name].globalSecondaryIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`),
  ];
  const actions = access === 'read' ? TABLE_READ_ACTIONS : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS];
  return {
    env: { [Env.TableName]: table.tableName },
    statements: [new PolicyStatement({ actions, resources })],
  };
}

function queueGrant(name: QueueName, queue: IQueue): Grant {
  return {
    env: { [QUEUE_URL_ENV[name]]: queue.queueUrl },
    statements: [new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] })],
  };
}

/** `SendMessage` on the dead-letter queue only: the consumer parks jobs there, and reads nothing back. */
function deadLetterQueueGrant(name: QueueName, queue: IQueue): Grant {
  return {
    env: {
      [Env.FanoutDeadLetterQueueUrl]: queue.queueUrl,
      [Env.FanoutMaxReceiveCount]: String(QUEUES[name].deadLetter.maxReceiveCount),
    },
    statements: [new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] })],
  };
}

/**
 * Object reads (and writes) under the bucket's declared key prefixes only:
 * never bucket-level actions such as listing. Object keys are chosen at run
 * time, so each prefix ends in `*`.
 */
function bucketGrant(
  fn: ParleyFunction,
  name: BucketName,
  prefixes: readonly string[],
  access: 'read' | 'readWrite' | 'delete',
  bucket: IBucket,
): Grant {
  const undeclared = prefixes.filter(
    (prefix) => !(BUCKETS[name].prefixes as readonly string[]).includes(prefix),
  );
  if (undeclared.length > 0) {
    throw new Error(`${fn.node.id}: bucket ${name} declares no prefix ${undeclared.join(', ')}`);
  }
  const resources = prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`));
  const actions = {
    read: ['s3:GetObject'],
    readWrite: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
    delete: ['s3:DeleteObject'],
  }[access];
  return {
    env: { [Env.BlobBucketName]: bucket.bucketName },
    statements: [new PolicyStatement({ actions, resources })],
    acknowledgments: resources.map((arn) => ({
      id: wildcardResourceFinding(fn.role, arn),
      reason:
        'Object keys are made per commit, Welcome and attachment at run time; the grant is limited to ' +
        'the object actions the function needs, under one declared key prefix of one bucket.',
    })),
  };
}

/**
 * `PostToConnection` and `DeleteConnection` on this stage's connections
 * only. The connection id is chosen by API Gateway at `$connect`, so the
 * last segment cannot be narrower than `*`.
 *
 * @example
 * connectionsArns(stage); // [arn:…:execute-api:…:{apiId}/dev/POST/@connections/*, …/DELETE/…]
 */
export function connectionsArns(stage: WebSocketStage): string[] {
  const stack = Stack.of(stage);
  return ['POST', 'DELETE'].map((method) =>
    stack.formatArn({
      service: 'execute-api',
      resource: stage.api.apiId,
      resourceName: `${stage.stageName}/${method}/@connections/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    }),
  );
}

function connectionsGrant(stage: WebSocketStage): Grant {
  return {
    env: { [Env.ConnectionsEndpoint]: stage.callbackUrl },
    statements: [
      new PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: connectionsArns(stage) }),
    ],
  };
}

/**
 * Token verification needs no IAM: the signing keys are public. The issuer is
 * built in the function's stack, whose region is the pool's (one environment
 * per stage).
 */
const USER_POOL_ACTIONS = {
  readUsers: 'cognito-idp:AdminGetUser',
  signOutUsers: 'cognito-idp:AdminUserGlobalSignOut',
  deleteUsers: 'cognito-idp:AdminDeleteUser',
} as const;

function userPoolGrant(
  fn: ParleyFunction,
  access: 'verifyTokens' | 'readUsers' | 'signOutUsers' | 'deleteUsers',
  userPool: NonNullable<BindingResources['userPool']>,
): Grant {
  const ids = {
    [Env.UserPoolId]: userPool.pool.userPoolId,
    [Env.UserPoolClientId]: userPool.client.userPoolClientId,
  };
  if (access !== 'verifyTokens') {
    return {
      env: ids,
      statements: [
        new PolicyStatement({ actions: [USER_POOL_ACTIONS[access]], resources: [userPool.pool.userPoolArn] }),
      ],
    };
  }
  const stack = Stack.of(fn);
  const issuer = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${userPool.pool.userPoolId}`;
  return {
    env: { ...ids, [Env.JwtIssuer]: issuer, [Env.JwksUri]: `${issuer}/.well-known/jwks.json` },
    statements: [],
  };
}

function required<T>(fn: ParleyFunction, binding: Binding, resource: T | undefined): T {
  if (resource === undefined) {
    throw new BindingError(
      `${fn.name} is bound to ${describe(binding)}, which its stack (${Stack.of(fn).stackName}) was not given`,
    );
  }
  return resource;
}

function describe(binding: Binding): string {
  switch (binding.kind) {
    case 'table':
      return `table ${binding.table} (${binding.access})`;
    case 'queue':
      return `queue ${binding.queue} (${binding.access})`;
    case 'deadLetterQueue':
      return `dead-letter queue of ${binding.queue} (${binding.access})`;
    case 'bucket':
      return `bucket ${binding.bucket} ${binding.prefixes.join(' ')} (${binding.access})`;
    default:
      return `${binding.kind} (${binding.access})`;
  }
}
