/**
 * `npm run restore:local -- --to NAME [--from NAME]`: plays a table restore on the local stage, whose
 * DynamoDB (dynalite) has no restore API. As a restore does, it makes a new table (from the topology's
 * definition: keys and indexes) and fills it with every item of the stage's table, which stays as it is.
 * Run it with `npm start` stopped (dynalite's store on disk takes one process at a time), then switch the
 * functions to the copy with `PARLEY_TABLE_NAME=NAME npm start`, as `-c tableName=NAME` does on AWS.
 * The data directory is `PARLEY_LOCAL_DIR`, `.local` by default.
 */
import { join, resolve } from 'node:path';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DynamoDBClient,
  paginateScan,
  ResourceInUseException,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { createTable, startDynamoDb } from '../infra/local/dynamodb';
import { LOCAL_CREDENTIALS } from '../infra/local/listen';
import { TABLES, type TableDefinition } from '../infra/topology';

/** BatchWriteItem's limit. */
const ITEMS_PER_BATCH = 25;
/** Rounds of retrying the items a batch left unprocessed before the copy gives up. */
const MAX_UNPROCESSED_ROUNDS = 10;

export interface RestoredTable {
  readonly tableName: string;
  readonly items: number;
  readonly durationMs: number;
}

/**
 * Makes table `to` as `definition` says and copies every item of `from` into it, attribute values as
 * stored (the low-level client, so binary, sets and numbers pass unchanged). Fails if `to` exists: a
 * restore never overwrites.
 */
export async function copyTable(
  client: DynamoDBClient,
  options: { from: string; to: string; definition: TableDefinition },
): Promise<number> {
  try {
    await createTable(client, options.to, options.definition);
  } catch (error) {
    if (error instanceof ResourceInUseException) {
      throw new Error(`Table ${options.to} exists already: a restore makes a new table, give it a new name`, {
        cause: error,
      });
    }
    throw error;
  }
  let items = 0;
  // A strongly consistent scan: the copy is of everything written before it began.
  for await (const page of paginateScan({ client }, { TableName: options.from, ConsistentRead: true })) {
    const scanned = page.Items ?? [];
    for (let start = 0; start < scanned.length; start += ITEMS_PER_BATCH) {
      await writeAll(client, options.to, scanned.slice(start, start + ITEMS_PER_BATCH));
    }
    items += scanned.length;
  }
  return items;
}

async function writeAll(client: DynamoDBClient, tableName: string, items: Record<string, AttributeValue>[]) {
  let requests: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
  for (let round = 0; requests.length > 0; round += 1) {
    if (round === MAX_UNPROCESSED_ROUNDS) {
      throw new Error(`${requests.length} items stayed unprocessed after ${round} rounds`);
    }
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
    const written = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
    requests = written.UnprocessedItems?.[tableName] ?? [];
  }
}

/**
 * Copies the local stage's table (kept under `{dataDir}/dynamodb`) to a new table `to`, with the local
 * stack stopped.
 */
export async function restoreLocalTable(options: {
  dataDir: string;
  to: string;
  /** @default the topology's table, the stage's own */
  from?: string;
}): Promise<RestoredTable> {
  const started = performance.now();
  const region = 'us-east-1';
  const dynamoDb = await startDynamoDb({ dataDir: join(options.dataDir, 'dynamodb'), port: 0, region });
  const client = new DynamoDBClient({ endpoint: dynamoDb.endpoint, region, credentials: LOCAL_CREDENTIALS });
  try {
    const items = await copyTable(client, {
      from: options.from ?? dynamoDb.tableNames.main,
      to: options.to,
      definition: TABLES.main,
    });
    return { tableName: options.to, items, durationMs: Math.round(performance.now() - started) };
  } finally {
    client.destroy();
    await dynamoDb.stop();
  }
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

if (process.argv[1]?.endsWith('restore-local-table.ts')) {
  const to = option('to');
  if (!to) throw new Error('Usage: npm run restore:local -- --to <new table name> [--from <table name>]');
  const from = option('from');
  const restored = await restoreLocalTable({
    dataDir: resolve(process.env.PARLEY_LOCAL_DIR ?? '.local'),
    to,
    ...(from ? { from } : {}),
  });
  process.stdout.write(
    `Copied ${restored.items} items to ${restored.tableName} in ${restored.durationMs} ms. ` +
      `Start on it: PARLEY_TABLE_NAME=${restored.tableName} npm start\n`,
  );
}
