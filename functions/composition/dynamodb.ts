import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbConnectionStore } from '../adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbRateLimiter } from '../adapters/dynamodb/dynamodb-rate-limiter';
import { Env, loadConfig } from '../config';
import { clientOptions } from './client-options';

/** The table every store of a function shares, on one client. */
export interface Table {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

let table: Table | undefined;

/** One DynamoDB client per execution environment, shared by every store and the rate limiter. */
export function mainTable(): Table {
  if (!table) {
    const config = loadConfig([Env.TableName, Env.DynamoDbEndpoint]);
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(clientOptions(config.DYNAMODB_ENDPOINT)), {
      marshallOptions: { removeUndefinedValues: true },
    });
    table = { client, tableName: config.TABLE_NAME };
  }
  return table;
}

/** Per-user allowances, counted in the main table. */
export function rateLimiter(): DynamoDbRateLimiter {
  const { client, tableName } = mainTable();
  return new DynamoDbRateLimiter(client, tableName, loadConfig([Env.RateLimits]).RATE_LIMITS);
}

/** The users' sign-out marks, kept on their presence items beside their connections. */
export function sessionMarks(): DynamoDbConnectionStore {
  const { client, tableName } = mainTable();
  return new DynamoDbConnectionStore(client, tableName);
}
