import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { startDynamoDb } from '../../infra/local/dynamodb';
import { LOCAL_CREDENTIALS } from '../../infra/local/listen';

export interface LocalTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * One dynalite for the calling test file, started before its first test and
 * removed after its last. Tests share the table, so each uses fresh ids.
 *
 * The document client has no `removeUndefinedValues`: an adapter that writes
 * an undefined attribute fails here rather than only in the deployed stack.
 */
export function useLocalTable(): LocalTable {
  let state: { table: LocalTable; stop: () => Promise<void>; dataDir: string } | undefined;

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-contract-'));
    const dynamoDb = await startDynamoDb({ dataDir, port: 0, region: 'eu-west-1' });
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: dynamoDb.endpoint,
        region: 'eu-west-1',
        credentials: LOCAL_CREDENTIALS,
      }),
    );
    state = { table: { client, tableName: dynamoDb.tableNames.main }, stop: dynamoDb.stop, dataDir };
  });

  afterAll(async () => {
    if (!state) return;
    state.table.client.destroy();
    await state.stop();
    await rm(state.dataDir, { recursive: true, force: true });
  });

  const current = () => {
    if (!state) throw new Error('The local table is used before its beforeAll ran');
    return state.table;
  };
  return {
    get client() {
      return current().client;
    },
    get tableName() {
      return current().tableName;
    },
  };
}

/** A fresh id for one test, so tests sharing a table never see each other's items. */
export function freshId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}
