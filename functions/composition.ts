/**
 * The only place that builds SDK clients and picks endpoints. Each handler
 * calls its builder once, at module scope (cold start); nothing here does
 * network work.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayNotifier } from './adapters/apigateway/apigateway-notifier';
import { CognitoAccountDirectory } from './adapters/cognito/cognito-account-directory';
import { JwtTokenVerifier } from './adapters/cognito/jwt-token-verifier';
import { DynamoDbConnectionStore } from './adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbConversationStore } from './adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbMessageLog } from './adapters/dynamodb/dynamodb-message-log';
import { DynamoDbUserRegistry } from './adapters/dynamodb/dynamodb-user-registry';
import { SqsFanoutQueue } from './adapters/sqs/sqs-fanout-queue';
import { Env, loadConfig } from './config';

const clock = () => Date.now();

/** `endpoint` only when set: on AWS the SDK resolves it; locally it points at a stand-in. */
const endpointOf = (endpoint: string | undefined) => (endpoint ? { endpoint } : {});

function documentClient() {
  const config = loadConfig([Env.TableName, Env.DynamoDbEndpoint]);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(endpointOf(config.DYNAMODB_ENDPOINT)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { client, tableName: config.TABLE_NAME };
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
  return {
    connections: new DynamoDbConnectionStore(client, tableName),
    users: new DynamoDbUserRegistry(client, tableName),
    clock,
  };
}

export function buildSendDeps() {
  const { client, tableName } = documentClient();
  const queue = loadConfig([Env.FanoutQueueUrl, Env.SqsEndpoint]);
  return {
    conversations: new DynamoDbConversationStore(client, tableName),
    users: new DynamoDbUserRegistry(client, tableName),
    messages: new DynamoDbMessageLog(client, tableName),
    fanout: new SqsFanoutQueue(new SQSClient(endpointOf(queue.SQS_ENDPOINT)), queue.FANOUT_QUEUE_URL),
    clock,
  };
}

export function buildSenderDeps() {
  const { client, tableName } = documentClient();
  const config = loadConfig([Env.ConnectionsEndpoint]);
  return {
    conversations: new DynamoDbConversationStore(client, tableName),
    connections: new DynamoDbConnectionStore(client, tableName),
    messages: new DynamoDbMessageLog(client, tableName),
    notifier: new ApiGatewayNotifier(
      new ApiGatewayManagementApiClient({ endpoint: config.CONNECTIONS_ENDPOINT }),
    ),
    clock,
  };
}

export function buildHttpDeps() {
  const config = loadConfig([Env.UserPoolId, Env.CognitoEndpoint]);
  return {
    accounts: new CognitoAccountDirectory(
      new CognitoIdentityProviderClient(endpointOf(config.COGNITO_ENDPOINT)),
      config.USER_POOL_ID,
    ),
  };
}
