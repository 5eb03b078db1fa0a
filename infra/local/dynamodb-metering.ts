/**
 * Metering for the DynamoDB stand-in. It takes dynalite's request handler off
 * dynalite's HTTP server and calls it itself, so every request the stand-in
 * serves is counted (and traced) on the way.
 *
 * While {@link Meter.meteringCapacity} is on, it also counts the units AWS
 * on-demand bills, which dynalite does not tell whole:
 * - reads: dynalite's own `ReturnConsumedCapacity` (added to the request, and
 *   taken out of the answer again when the caller did not ask for it);
 * - writes: each written item is read before and after the write (straight
 *   from dynalite's handler, not counted), which gives the write's units by the
 *   larger size, what each global secondary index took, and what a write
 *   refused by its condition was billed. Writes to the same item are metered
 *   one at a time, so the reads around one write see only that write.
 * Callers get dynalite's answers byte for byte (the checksum header is
 * recomputed when a body is rewritten), so SDK clients behave the same.
 *
 * While off, the handler runs as dynalite's server would run it: no extra
 * reads, no buffering; only refused conditional writes are noticed, from the
 * error dynalite writes.
 */
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { IndexProjection } from '../topology';
import {
  failedConditionalWriteUnits,
  gsiWriteUnits,
  type Item,
  type Meter,
  REFUSED_BY_CONDITION,
  readUnits,
  type TableShape,
  targetOperation,
  type WireValue,
  writeUnits,
} from './meter';
import type { Trace } from './trace';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | number>;
  readonly body: string;
}

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const TABLE_CHANGES = new Set(['CreateTable', 'DeleteTable', 'UpdateTable']);
const CONDITION_FAILED = 'ConditionalCheckFailedException';
const TARGET_PREFIX = 'DynamoDB_20120810';

export interface DynamoDbMeteringOptions {
  readonly meter?: Meter;
  readonly trace?: Trace;
  readonly onError?: (message: string, error: unknown) => void;
}

/** Puts metering between dynalite's HTTP server and its request handler. */
export function meterDynamoDb(server: Server, options: DynamoDbMeteringOptions): void {
  const listeners = server.listeners('request') as Handler[];
  const [first] = listeners;
  if (listeners.length !== 1 || !first) throw new Error('dynalite should have exactly one request handler');
  const dynalite: Handler = first;
  server.removeAllListeners('request');
  const shapes = new Map<string, Promise<TableShape | undefined>>();
  const locks = new KeyLocks();

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const operation = targetOperation(request.headers['x-amz-target']);
    options.meter?.count('dynamodb', operation);
    options.trace?.request('dynamodb', operation, request, response);
    const meter = options.meter;
    if (!meter?.meteringCapacity) {
      if (meter && WRITES.has(operation))
        onConditionFailure(response, () => {
          meter.count('dynamodb', `${operation} ${REFUSED_BY_CONDITION}`);
          meter.dynamoDbConditionFailed();
        });
      dynalite(request, response);
      return;
    }
    void metered(meter, operation, request, response).catch((error: unknown) => {
      options.onError?.('DynamoDB metering failed', error);
      if (!response.headersSent) {
        response.writeHead(500, { 'x-amzn-errortype': 'InternalServerError' });
        response.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError' }));
      }
    });
  });

  async function metered(
    meter: Meter,
    operation: string,
    request: IncomingMessage,
    response: ServerResponse,
  ) {
    const raw = await readAll(request);
    const payload = parseObject(raw);
    if (!payload) return send(response, await call(dynalite, request.headers, raw));
    if (TABLE_CHANGES.has(operation)) shapes.clear();
    if (READS.has(operation))
      return send(response, await meteredRead(meter, operation, request, raw, payload));
    if (WRITES.has(operation))
      return send(response, await meteredWrite(meter, operation, request, raw, payload));
    send(response, await call(dynalite, request.headers, raw));
  }

  async function meteredRead(
    meter: Meter,
    operation: string,
    request: IncomingMessage,
    raw: string,
    payload: Record<string, unknown>,
  ): Promise<Answer> {
    const asked = payload.ReturnConsumedCapacity === 'TOTAL' || payload.ReturnConsumedCapacity === 'INDEXES';
    const body = asked ? raw : JSON.stringify({ ...payload, ReturnConsumedCapacity: 'TOTAL' });
    const answer = await call(dynalite, request.headers, body);
    if (answer.status !== 200) return answer;
    const result = JSON.parse(answer.body) as Record<string, unknown>;
    let units = consumedUnits(result.ConsumedCapacity);
    // dynalite bills an empty page nothing; DynamoDB bills a Query or Scan at least one read.
    if ((operation === 'Query' || operation === 'Scan') && units === 0)
      units = readUnits(0, payload.ConsistentRead === true);
    meter.dynamoDbRead(units);
    if (asked) return answer;
    delete result.ConsumedCapacity;
    return withBody(answer, JSON.stringify(result));
  }

  async function meteredWrite(
    meter: Meter,
    operation: string,
    request: IncomingMessage,
    raw: string,
    payload: Record<string, unknown>,
  ): Promise<Answer> {
    const targets = await writeTargets(operation, payload);
    if (!targets) return call(dynalite, request.headers, raw);
    const release = await locks.acquire(
      targets.map((target) => `${target.table}\u0000${stableKey(target.key)}`),
    );
    try {
      const before = await Promise.all(targets.map((target) => readItem(request.headers, target)));
      const answer = await call(dynalite, request.headers, raw);
      if (answer.status === 200) {
        const after = await Promise.all(targets.map((target) => readItem(request.headers, target)));
        targets.forEach((target, index) => {
          meter.dynamoDbWrite({
            table: writeUnits(before[index], after[index]),
            indexes: gsiWriteUnits(target.shape, before[index], after[index]),
          });
        });
      } else if (answer.status === 400 && answer.body.includes(CONDITION_FAILED)) {
        meter.count('dynamodb', `${operation} ${REFUSED_BY_CONDITION}`);
        meter.dynamoDbConditionFailed(failedConditionalWriteUnits(before[0]));
      }
      return answer;
    } finally {
      release();
    }
  }

  /** The items a write touches: one for PutItem, UpdateItem and DeleteItem, each request of a BatchWriteItem. */
  async function writeTargets(
    operation: string,
    payload: Record<string, unknown>,
  ): Promise<Target[] | undefined> {
    const requests: Array<{ table: string; item?: Item; key?: Item }> = [];
    if (operation === 'BatchWriteItem') {
      const items = (payload.RequestItems ?? {}) as Record<
        string,
        Array<Record<string, { Item?: Item; Key?: Item }>>
      >;
      for (const [table, writes] of Object.entries(items)) {
        for (const write of writes ?? []) {
          const put = write.PutRequest?.Item;
          const key = write.DeleteRequest?.Key;
          requests.push({ table, ...(put ? { item: put } : {}), ...(key ? { key } : {}) });
        }
      }
    } else {
      const table = String(payload.TableName);
      const item = operation === 'PutItem' ? (payload.Item as Item | undefined) : undefined;
      const key = operation === 'PutItem' ? undefined : (payload.Key as Item | undefined);
      requests.push({ table, ...(item ? { item } : {}), ...(key ? { key } : {}) });
    }
    const targets: Target[] = [];
    for (const { table, item, key } of requests) {
      const shape = await shapeOf(table);
      if (!shape) return undefined;
      const named = key ?? keyOf(shape, item);
      if (!named) return undefined;
      targets.push({ table, key: named, shape });
    }
    return targets;
  }

  function shapeOf(table: string): Promise<TableShape | undefined> {
    let shape = shapes.get(table);
    if (!shape) {
      shape = describe(table);
      shapes.set(table, shape);
    }
    return shape;
  }

  async function describe(table: string): Promise<TableShape | undefined> {
    const answer = await call(
      dynalite,
      internalHeaders('DescribeTable'),
      JSON.stringify({ TableName: table }),
    );
    if (answer.status !== 200) return undefined;
    const description = (JSON.parse(answer.body) as { Table: TableDescription }).Table;
    const keyNames = (schema: KeySchema) => ({
      partitionKey: schema.find((key) => key.KeyType === 'HASH')?.AttributeName ?? '',
      ...(schema.some((key) => key.KeyType === 'RANGE')
        ? { sortKey: schema.find((key) => key.KeyType === 'RANGE')?.AttributeName as string }
        : {}),
    });
    return {
      ...keyNames(description.KeySchema),
      indexes: (description.GlobalSecondaryIndexes ?? []).map((index) => ({
        name: index.IndexName,
        ...keyNames(index.KeySchema),
        projection: projectionOf(index.Projection),
      })),
    };
  }

  async function readItem(headers: IncomingHttpHeaders, target: Target): Promise<Item | undefined> {
    const answer = await call(
      dynalite,
      {
        ...internalHeaders('GetItem'),
        authorization: headers.authorization,
        'x-amz-date': headers['x-amz-date'],
      },
      JSON.stringify({ TableName: target.table, Key: target.key, ConsistentRead: true }),
    );
    if (answer.status !== 200) throw new Error(`Reading an item to meter a write failed: ${answer.body}`);
    return (JSON.parse(answer.body) as { Item?: Item }).Item;
  }
}

interface Target {
  readonly table: string;
  readonly key: Item;
  readonly shape: TableShape;
}

type KeySchema = Array<{ AttributeName: string; KeyType: 'HASH' | 'RANGE' }>;

interface TableDescription {
  KeySchema: KeySchema;
  GlobalSecondaryIndexes?: Array<{
    IndexName: string;
    KeySchema: KeySchema;
    Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
  }>;
}

function projectionOf(
  projection: { ProjectionType?: string; NonKeyAttributes?: string[] } | undefined,
): IndexProjection {
  if (projection?.ProjectionType === 'KEYS_ONLY') return { type: 'KEYS_ONLY' };
  if (projection?.ProjectionType === 'INCLUDE')
    return { type: 'INCLUDE', nonKeyAttributes: projection.NonKeyAttributes ?? [] };
  return { type: 'ALL' };
}

function keyOf(shape: TableShape, item: Item | undefined): Item | undefined {
  if (!item) return undefined;
  const names = [shape.partitionKey, shape.sortKey].filter((name): name is string => !!name);
  const key: Record<string, WireValue> = {};
  for (const name of names) {
    const value = item[name];
    if (value === undefined) return undefined;
    key[name] = value;
  }
  return key;
}

function stableKey(key: Item): string {
  return JSON.stringify(Object.entries(key).sort(([a], [b]) => a.localeCompare(b)));
}

/** Sums `ConsumedCapacity`, one entry (GetItem, Query) or one per table (BatchGetItem). */
function consumedUnits(consumed: unknown): number {
  const entries = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return entries.reduce(
    (sum: number, entry) => sum + Number((entry as { CapacityUnits?: number }).CapacityUnits ?? 0),
    0,
  );
}

/** Headers for the stand-in's own reads: dynalite wants a signature's shape, not a valid one. */
function internalHeaders(operation: string): IncomingHttpHeaders {
  return {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `${TARGET_PREFIX}.${operation}`,
    authorization:
      'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    'x-amz-date': '20200101T000000Z',
  };
}

/** Runs dynalite's handler on a request held in memory and collects its answer. */
function call(dynalite: Handler, headers: IncomingHttpHeaders, body: string): Promise<Answer> {
  return new Promise((resolve) => {
    const bytes = Buffer.from(body);
    const request = Object.assign(Readable.from([bytes]), {
      method: 'POST',
      url: '/',
      headers: { ...headers, 'content-length': String(bytes.length) },
    });
    const collected: Record<string, string | number> = {};
    const response = {
      statusCode: 200,
      setHeader(name: string, value: string | number) {
        collected[name] = value;
      },
      getHeader(name: string) {
        return collected[name];
      },
      end(chunk?: string | Buffer) {
        resolve({ status: response.statusCode, headers: collected, body: chunk ? String(chunk) : '' });
      },
    };
    dynalite(request as unknown as IncomingMessage, response as unknown as ServerResponse);
  });
}

function withBody(answer: Answer, body: string): Answer {
  const headers: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-length') headers[name] = Buffer.byteLength(body);
    else if (lower === 'x-amz-crc32') headers[name] = crc32(body);
    else headers[name] = value;
  }
  return { ...answer, headers, body };
}

function send(response: ServerResponse, answer: Answer): void {
  response.writeHead(answer.status, answer.headers);
  response.end(answer.body);
}

function readAll(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
  });
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls `onFailure` when the response is dynalite's `ConditionalCheckFailedException`. dynalite writes
 * every answer with one `end(body)`, and the error's type is only in that body.
 */
function onConditionFailure(response: ServerResponse, onFailure: () => void): void {
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
  response.end = ((...args: unknown[]) => {
    const [chunk] = args;
    if (response.statusCode === 400 && typeof chunk === 'string' && chunk.includes(CONDITION_FAILED))
      onFailure();
    return end(...args);
  }) as ServerResponse['end'];
}

/**
 * Per-item locks for metered writes. A write takes every key it touches at once, in arrival order, so two
 * writes never wait on each other in a cycle.
 */
class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async acquire(keys: readonly string[]): Promise<() => void> {
    const unique = [...new Set(keys)];
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = unique.map((key) => this.tails.get(key) ?? Promise.resolve());
    for (const key of unique) this.tails.set(key, held);
    await Promise.all(previous);
    return () => {
      for (const key of unique) if (this.tails.get(key) === held) this.tails.delete(key);
      release();
    };
  }
}
