import * as z from '../shared/zod';
import { CapsSchema } from './caps';
import { RateLimitsSchema } from './rate-limits';

/**
 * Environment of every Parley function. Each deployable reads only the keys
 * it is bound to (see `infra/topology.ts`), parsed once at cold start.
 */
export const Env = {
  /** DynamoDB table holding connections, conversations and messages. */
  TableName: 'TABLE_NAME',
  /** S3 bucket of MLS commits and Welcomes too large for a table item. */
  BlobBucketName: 'BLOB_BUCKET_NAME',
  /** URL of the fan-out queue, taken from the stack (never built from a name). */
  FanoutQueueUrl: 'FANOUT_QUEUE_URL',
  /** URL of the fan-out queue's dead-letter queue, where its consumer parks jobs without their bodies. */
  FanoutDeadLetterQueueUrl: 'FANOUT_DEAD_LETTER_QUEUE_URL',
  /** The fan-out queue's redrive `maxReceiveCount`: the consumer parks a job itself one receive before. */
  FanoutMaxReceiveCount: 'FANOUT_MAX_RECEIVE_COUNT',
  /** URL of the Web Push queue, taken from the stack. */
  PushQueueUrl: 'PUSH_QUEUE_URL',
  /** Name of the SSM parameter (SecureString) holding the stage's VAPID key pair as JSON. */
  VapidParameterName: 'VAPID_PARAMETER_NAME',
  /** The VAPID `sub` claim: a `mailto:` or `https:` contact push services may use (RFC 8292 §2.1). */
  VapidSubject: 'VAPID_SUBJECT',
  /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`: the `@connections` endpoint. */
  ConnectionsEndpoint: 'CONNECTIONS_ENDPOINT',
  /** Cognito user pool id. */
  UserPoolId: 'USER_POOL_ID',
  /** Cognito app client id that tokens must be issued to. */
  UserPoolClientId: 'USER_POOL_CLIENT_ID',
  /** Token issuer (`iss`), e.g. `https://cognito-idp.{region}.amazonaws.com/{poolId}`. */
  JwtIssuer: 'JWT_ISSUER',
  /** Where the issuer's signing keys are published. */
  JwksUri: 'JWKS_URI',
  /** Local stage only: endpoint overrides for the AWS stand-ins. Unset on AWS. */
  DynamoDbEndpoint: 'DYNAMODB_ENDPOINT',
  SqsEndpoint: 'SQS_ENDPOINT',
  /** Path-style S3 endpoint of the local stand-in (the SQS one's address). */
  S3Endpoint: 'S3_ENDPOINT',
  CognitoEndpoint: 'COGNITO_ENDPOINT',
  SsmEndpoint: 'SSM_ENDPOINT',
  /** Local stage only: a PEM file of the certificate the push-service stand-in serves HTTPS with. */
  PushServiceCaFile: 'PUSH_SERVICE_CA_FILE',
  /** Stage name, for logs and as a dimension of every metric. */
  Stage: 'PARLEY_STAGE',
  /** The CloudWatch namespace of the functions' metrics (`Parley`, from `functions/metric-names.ts`). */
  MetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /** Per-user rate limits as JSON: `{ "send": { "limit": 120, "windowSeconds": 60 }, … }`. */
  RateLimits: 'RATE_LIMITS',
  /** Per-user caps as JSON: `{ "groupsPerUser": 500, "devicesPerUser": 10, … }`. */
  Caps: 'CAPS',
  /** API Gateway's WebSocket idle timeout in ms (600000; the local stack's tests shorten it). */
  IdleTimeoutMs: 'IDLE_TIMEOUT_MS',
} as const;

export type EnvName = (typeof Env)[keyof typeof Env];

// zod's bare url() takes `localhost:4566` as a URL with scheme `localhost:`: the SDK would fail later.
const url = z.url({ protocol: /^https?$/ });
const name = z.string().check(z.minLength(1));
const positiveInteger = z.pipe(
  z.string().check(z.regex(/^[1-9][0-9]*$/)),
  z.transform((text: string) => Number(text)),
);
const json = z.pipe(
  z.string(),
  z.transform((text: string, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.issues.push({ code: 'custom', message: 'must be JSON', input: text });
      return z.NEVER;
    }
  }),
);

/** One line of description and a schema per key. */
const schemas = {
  [Env.TableName]: name,
  [Env.BlobBucketName]: name,
  [Env.FanoutQueueUrl]: url,
  [Env.FanoutDeadLetterQueueUrl]: url,
  [Env.FanoutMaxReceiveCount]: positiveInteger,
  [Env.PushQueueUrl]: url,
  [Env.VapidParameterName]: name,
  [Env.VapidSubject]: z.string().check(z.regex(/^(mailto:|https:\/\/)\S+$/)),
  [Env.ConnectionsEndpoint]: url,
  [Env.UserPoolId]: name,
  [Env.UserPoolClientId]: name,
  [Env.JwtIssuer]: url,
  [Env.JwksUri]: url,
  [Env.DynamoDbEndpoint]: z.optional(url),
  [Env.SqsEndpoint]: z.optional(url),
  [Env.S3Endpoint]: z.optional(url),
  [Env.CognitoEndpoint]: z.optional(url),
  [Env.SsmEndpoint]: z.optional(url),
  [Env.PushServiceCaFile]: z.optional(name),
  [Env.Stage]: name,
  [Env.MetricsNamespace]: name,
  [Env.IdleTimeoutMs]: positiveInteger,
  [Env.RateLimits]: z.pipe(json, RateLimitsSchema),
  [Env.Caps]: z.pipe(json, CapsSchema),
} satisfies Record<EnvName, z.ZodMiniType>;

type Schemas = typeof schemas;
export type Config<K extends EnvName> = { [P in K]: z.infer<Schemas[P]> };

/** Thrown at cold start when the environment is incomplete: names the variable. */
export class ConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the given keys from the environment, failing with the
 * variable's name. Call once, at module scope, from the composition root.
 *
 * @example
 * const config = loadConfig([Env.TableName, Env.Stage]);
 */
export function loadConfig<K extends EnvName>(
  keys: readonly K[],
  env: Record<string, string | undefined> = process.env,
): Config<K> {
  const config: Record<string, unknown> = {};
  for (const key of keys) {
    const raw = env[key] === '' ? undefined : env[key];
    const parsed = schemas[key].safeParse(raw);
    if (!parsed.success) {
      const problem = raw === undefined ? 'is not set' : 'is malformed';
      throw new ConfigError(`Environment variable ${key} ${problem}`, { cause: parsed.error });
    }
    config[key] = parsed.data;
  }
  return config as Config<K>;
}
