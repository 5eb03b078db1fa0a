import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type Projection,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import {
  type IndexProjection,
  projectionOf,
  TABLES,
  type TableDefinition,
  type TableName,
} from '../topology';
import { meterDynamoDb } from './dynamodb-metering';
import { readLevelDbInPlace } from './level-reads';
import { close, LOCAL_CREDENTIALS, LOCAL_HOST, listen } from './listen';
import type { Meter } from './meter';
import type { Trace } from './trace';

export interface LocalDynamoDb {
  readonly endpoint: string;
  /** Physical name of the table the functions use for each topology table. */
  readonly tableNames: Record<TableName, string>;
  /** An outage, for fault tests: while down, every connection is dropped unanswered. */
  setDown(down: boolean): void;
  /**
   * A fault, for tests: the next request whose operation and JSON body `matches` is carried out, and
   * then, instead of its answer, `then` runs and the connection is dropped: the caller dies (or is cut
   * off) right after its write landed, never learning it did.
   */
  afterNext(matches: (operation: string, body: string) => boolean, then: () => void): void;
  stop(): Promise<void>;
}

/** The table the stack was told to use does not exist: on AWS too, a restore makes it before the switch. */
export class LocalTableMissingError extends Error {
  constructor(tableName: string, options?: ErrorOptions) {
    super(
      `Table ${tableName} does not exist in the local DynamoDB: make it first (npm run restore:local -- --to ${tableName})`,
      options,
    );
    this.name = 'LocalTableMissingError';
  }
}

/**
 * DynamoDB stand-in: dynalite, in process, data on disk under `dataDir` so
 * history survives a restart. Creates the topology's tables when missing.
 * Requests are counted, and their capacity units metered when the meter asks
 * (see `dynamodb-metering.ts`).
 */
export async function startDynamoDb(options: {
  dataDir: string;
  port: number;
  region: string;
  /**
   * The table to use instead of the topology's own, as `-c tableName=` does on AWS (a restored table).
   * It must exist; the topology's own table is still made, and kept, as the data stack keeps it.
   * @default the topology's table
   */
  tableName?: string;
  meter?: Meter;
  trace?: Trace;
  onError?: (message: string, error: unknown) => void;
}): Promise<LocalDynamoDb> {
  mkdirSync(options.dataDir, { recursive: true });
  readLevelDbInPlace();
  const server = dynalite({ path: options.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  meterDynamoDb(server, {
    ...(options.meter ? { meter: options.meter } : {}),
    ...(options.trace ? { trace: options.trace } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  let down = false;
  let stopping = false;
  /** Requests dynalite is still carrying out: the store must not close under them. */
  let inFlight = 0;
  const armed: Array<{ matches: (operation: string, body: string) => boolean; then: () => void }> = [];
  const handlers = server.listeners('request') as Array<(...args: unknown[]) => void>;
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (down || stopping) {
      request.socket.destroy();
      return;
    }
    inFlight += 1;
    let done = false;
    const finished = () => {
      if (done) return;
      done = true;
      inFlight -= 1;
    };
    response.once('finish', finished);
    response.once('close', finished);
    if (armed.length > 0) cutOffAfterAnswer(request, response, armed);
    for (const handler of handlers) handler.call(server, request, response);
  });
  const port = await listen(server, options.port);
  const endpoint = `http://${LOCAL_HOST}:${port}`;
  const client = new DynamoDBClient({ endpoint, region: options.region, credentials: LOCAL_CREDENTIALS });
  const tableNames = {} as Record<TableName, string>;
  try {
    for (const [name, table] of Object.entries(TABLES) as [TableName, TableDefinition][]) {
      tableNames[name] = name;
      await ensureTable(client, name, table);
    }
    if (options.tableName !== undefined) {
      await requireTable(client, options.tableName);
      for (const name of Object.keys(tableNames) as TableName[]) tableNames[name] = options.tableName;
    }
  } catch (error) {
    // Nobody else holds the server yet: left open, it would keep the port and the store's lock.
    await close(server);
    throw error;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    tableNames,
    setDown: (value) => {
      down = value;
    },
    afterNext: (matches, then) => {
      armed.push({ matches, then });
    },
    // New requests are refused, those under way finish, then the store closes: closed under a request
    // still writing, dynalite throws "Database is closed" where nobody can catch it (a test run lost to it).
    stop: async () => {
      stopping = true;
      const deadline = Date.now() + STOP_DRAIN_IN_MS;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await close(server);
    },
  };
}

/** How long a stop waits for the requests under way to finish before it closes the store all the same. */
const STOP_DRAIN_IN_MS = 5_000;

/**
 * Reads the request's body alongside dynalite; when the first armed fault matches it, holds back the
 * answer dynalite writes (the operation has been carried out by then), runs the fault, and drops the
 * connection instead.
 */
function cutOffAfterAnswer(
  request: IncomingMessage,
  response: ServerResponse,
  armed: Array<{ matches: (operation: string, body: string) => boolean; then: () => void }>,
) {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  const operation =
    String(request.headers['x-amz-target'] ?? '')
      .split('.')
      .pop() ?? '';
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
  response.end = ((...args: unknown[]) => {
    const body = Buffer.concat(chunks).toString('utf8');
    const index = armed.findIndex((fault) => fault.matches(operation, body));
    if (index < 0 || response.statusCode >= 300) return end(...args);
    const [fault] = armed.splice(index, 1);
    fault?.then();
    request.socket.destroy();
    return response;
  }) as typeof response.end;
}

async function ensureTable(client: DynamoDBClient, tableName: string, table: TableDefinition) {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await createTable(client, tableName, table);
}

async function requireTable(client: DynamoDBClient, tableName: string) {
  if (Object.keys(TABLES).length !== 1) {
    throw new Error(`tableName names one table, but the topology has ${Object.keys(TABLES).length}`);
  }
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException)
      throw new LocalTableMissingError(tableName, { cause: error });
    throw error;
  }
}

/**
 * Makes a table as the topology defines it (keys, indexes and their projections) and waits until it is
 * active. Fails with `ResourceInUseException` when the name is taken. dynalite has no TTL API, so the TTL
 * attribute is not set: the functions filter expired items on read anyway.
 */
export async function createTable(client: DynamoDBClient, tableName: string, table: TableDefinition) {
  const attributes = new Map<string, AttributeDefinition>();
  const keyAttributes = [
    table.partitionKey,
    table.sortKey,
    ...table.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  for (const key of keyAttributes)
    attributes.set(key.name, { AttributeName: key.name, AttributeType: key.type });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...attributes.values()],
      KeySchema: [
        { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: table.sortKey.name, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: wireProjection(projectionOf(index)),
      })),
    }),
  );
  // Even with no creation delay, dynalite answers ResourceNotFound until the table turns ACTIVE.
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
}

function wireProjection(projection: IndexProjection): Projection {
  return projection.type === 'INCLUDE'
    ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...projection.nonKeyAttributes] }
    : { ProjectionType: projection.type };
}
