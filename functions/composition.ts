/**
 * The only place that builds SDK clients and picks endpoints. Each handler
 * calls its builder once, at module scope (cold start); nothing here does
 * network work.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayNotifier } from './adapters/apigateway/apigateway-notifier';
import { CachedConnectionStore } from './adapters/cache/cached-connection-store';
import { CognitoAccountDirectory } from './adapters/cognito/cognito-account-directory';
import { JwtTokenVerifier } from './adapters/cognito/jwt-token-verifier';
import { DynamoDbCommitLog } from './adapters/dynamodb/dynamodb-commit-log';
import { DynamoDbConnectionStore } from './adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbConversationStore } from './adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbDeviceDirectory } from './adapters/dynamodb/dynamodb-device-directory';
import { DynamoDbKeyPackageStore } from './adapters/dynamodb/dynamodb-key-package-store';
import { DynamoDbMessageLog } from './adapters/dynamodb/dynamodb-message-log';
import { DynamoDbProfileStore } from './adapters/dynamodb/dynamodb-profile-store';
import { DynamoDbRateLimiter } from './adapters/dynamodb/dynamodb-rate-limiter';
import { DynamoDbRelationshipStore } from './adapters/dynamodb/dynamodb-relationship-store';
import { DynamoDbWelcomeStore } from './adapters/dynamodb/dynamodb-welcome-store';
import { S3BlobStore } from './adapters/s3/s3-blob-store';
import { SqsFanoutQueue } from './adapters/sqs/sqs-fanout-queue';
import { Env, loadConfig } from './config';

const clock = () => Date.now();

/** `endpoint` only when set: on AWS the SDK resolves it; locally it points at a stand-in. */
const endpointOf = (endpoint: string | undefined) => (endpoint ? { endpoint } : {});

let table: { client: DynamoDBDocumentClient; tableName: string } | undefined;

/** One DynamoDB client per execution environment, shared by every store and the rate limiter. */
function documentClient() {
  if (!table) {
    const config = loadConfig([Env.TableName, Env.DynamoDbEndpoint]);
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(endpointOf(config.DYNAMODB_ENDPOINT)), {
      marshallOptions: { removeUndefinedValues: true },
    });
    table = { client, tableName: config.TABLE_NAME };
  }
  return table;
}

/** Every table-backed store, on one client. */
function stores() {
  const { client, tableName } = documentClient();
  return {
    commits: new DynamoDbCommitLog(client, tableName),
    connections: new DynamoDbConnectionStore(client, tableName),
    conversations: new DynamoDbConversationStore(client, tableName),
    devices: new DynamoDbDeviceDirectory(client, tableName),
    keyPackages: new DynamoDbKeyPackageStore(client, tableName),
    messages: new DynamoDbMessageLog(client, tableName),
    profiles: new DynamoDbProfileStore(client, tableName),
    relationships: new DynamoDbRelationshipStore(client, tableName),
    welcomes: new DynamoDbWelcomeStore(client, tableName),
  };
}

function fanoutQueue() {
  const config = loadConfig([Env.FanoutQueueUrl, Env.SqsEndpoint]);
  return new SqsFanoutQueue(new SQSClient(endpointOf(config.SQS_ENDPOINT)), config.FANOUT_QUEUE_URL);
}

function blobStore() {
  const config = loadConfig([Env.BlobBucketName, Env.S3Endpoint]);
  // The local stand-in serves S3 path-style on its one endpoint; AWS resolves virtual-hosted buckets.
  const client = new S3Client(
    config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT, forcePathStyle: true } : {},
  );
  return new S3BlobStore(client, config.BLOB_BUCKET_NAME);
}

function rateLimiter() {
  const { client, tableName } = documentClient();
  const config = loadConfig([Env.RateLimits]);
  return new DynamoDbRateLimiter(client, tableName, config.RATE_LIMITS);
}

function notifier() {
  const config = loadConfig([Env.ConnectionsEndpoint]);
  return new ApiGatewayNotifier(new ApiGatewayManagementApiClient({ endpoint: config.CONNECTIONS_ENDPOINT }));
}

export function buildAuthorizerDeps() {
  const config = loadConfig([Env.JwtIssuer, Env.JwksUri, Env.UserPoolClientId]);
  return {
    tokens: new JwtTokenVerifier({
      issuer: config.JWT_ISSUER,
      jwksUri: config.JWKS_URI,
      clientId: config.USER_POOL_CLIENT_ID,
    }),
  };
}

export function buildConnectionDeps() {
  const { client, tableName } = documentClient();
  return { connections: new DynamoDbConnectionStore(client, tableName), fanout: fanoutQueue(), clock };
}

export function buildSendDeps() {
  return { ...stores(), fanout: fanoutQueue(), rateLimiter: rateLimiter(), clock };
}

export function buildActionDeps() {
  return { ...stores(), fanout: fanoutQueue(), rateLimiter: rateLimiter(), notifier: notifier(), clock };
}

/** Users whose connections one sender environment keeps at most (a few hundred bytes each). */
const MAX_CACHED_USERS = 10_000;

export function buildSenderDeps() {
  const all = stores();
  return {
    ...all,
    connections: new CachedConnectionStore(all.connections, MAX_CACHED_USERS),
    notifier: notifier(),
    clock,
  };
}

export function buildHttpDeps() {
  const config = loadConfig([Env.UserPoolId, Env.CognitoEndpoint]);
  return {
    ...stores(),
    blobs: blobStore(),
    fanout: fanoutQueue(),
    rateLimiter: rateLimiter(),
    accounts: new CognitoAccountDirectory(
      new CognitoIdentityProviderClient(endpointOf(config.COGNITO_ENDPOINT)),
      config.USER_POOL_ID,
    ),
    clock,
  };
}
