/**
 * Counts what the local stand-ins serve, by service and operation, so a
 * benchmark can report what one message costs on AWS: requests (DynamoDB,
 * SQS, S3, Lambda invocations, API Gateway frames) always, and the units AWS
 * bills them in (read and write request units, GSI writes, failed conditional
 * writes, SQS billed requests, 32 KB WebSocket messages, Lambda GB-seconds).
 *
 * DynamoDB's units need each write's item before and after it, which the
 * stand-in reads around the write: that slows writes down, so it is off until
 * {@link Meter.meterCapacity} turns it on. Everything else is counted as it goes.
 */
import { itemSize as dynaliteItemSize } from 'dynalite/db/index.js';
import type { FunctionName, IndexProjection } from '../topology';

/** DynamoDB bills a write per 1 KB of the item, rounded up (on-demand write request units). */
export const WRITE_UNIT_SIZE_IN_BYTES = 1024;
/** DynamoDB bills a strongly consistent read per 4 KB, rounded up; an eventually consistent one half. */
export const READ_UNIT_SIZE_IN_BYTES = 4096;
/** SQS bills each 64 KB chunk of a request's payload as one request. */
export const SQS_BILLING_CHUNK_IN_BYTES = 64 * 1024;
/** API Gateway bills WebSocket messages in 32 KB increments. */
export const WEBSOCKET_BILLING_UNIT_IN_BYTES = 32 * 1024;

/** An attribute value as DynamoDB's JSON protocol carries it: `{ "S": "x" }`, `{ "B": "<base64>" }`. */
export type WireValue = { readonly [type: string]: unknown };
/** An item as DynamoDB's JSON protocol carries it. */
export type Item = Record<string, WireValue>;

/** Billed units since the last reset. */
export interface Usage {
  readonly dynamodb: {
    /** Read request units, as AWS on-demand bills them (eventually consistent reads count half). */
    readonly readUnits: number;
    /** Write request units of successful writes to the tables themselves. */
    readonly writeUnits: number;
    /** Write request units the global secondary indexes took for those writes. */
    readonly gsiWriteUnits: number;
    /** Writes refused by their condition (`ConditionalCheckFailedException`): billed all the same. */
    readonly failedConditionalWrites: number;
    /** What those refused writes were billed (the existing item's size, at least 1). */
    readonly failedConditionalWriteUnits: number;
  };
  readonly sqs: {
    /** `SendMessage`/`SendMessageBatch`, one per 64 KB chunk of the request. */
    readonly sendRequests: number;
    /** `ReceiveMessage` that returned at least one message. */
    readonly receivesWithMessages: number;
    /** `ReceiveMessage` that returned none: the long polls Lambda's pollers make whatever the traffic. */
    readonly emptyReceives: number;
    /** `DeleteMessage`/`DeleteMessageBatch`. */
    readonly deleteRequests: number;
  };
  readonly apigateway: {
    /** Frames clients sent, in 32 KB units. */
    readonly messagesIn: number;
    /** Frames sent to clients (replies and `@connections` posts), in 32 KB units. */
    readonly messagesOut: number;
  };
  readonly lambda: Partial<Record<FunctionName, LambdaUsage>>;
}

export interface LambdaUsage {
  readonly invocations: number;
  /** Each invocation's duration rounded up to the millisecond, summed. */
  readonly billedMs: number;
  /** Billed duration times the function's memory. */
  readonly gbSeconds: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

function emptyUsage(): Mutable<Usage> {
  return {
    dynamodb: {
      readUnits: 0,
      writeUnits: 0,
      gsiWriteUnits: 0,
      failedConditionalWrites: 0,
      failedConditionalWriteUnits: 0,
    },
    sqs: { sendRequests: 0, receivesWithMessages: 0, emptyReceives: 0, deleteRequests: 0 },
    apigateway: { messagesIn: 0, messagesOut: 0 },
    lambda: {},
  };
}

export class Meter {
  private counts = new Map<string, number>();
  private billed = emptyUsage();
  private capacity = false;

  /** Whether DynamoDB's capacity units are being counted (see {@link meterCapacity}). */
  get meteringCapacity(): boolean {
    return this.capacity;
  }

  /**
   * Turns DynamoDB capacity metering on or off. While on, the stand-in reads
   * each written item before and after the write (uncounted) to bill it and
   * its index entries; writes take longer.
   */
  meterCapacity(on: boolean): void {
    this.capacity = on;
  }

  count(service: string, operation: string, times = 1): void {
    const key = `${service} ${operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + times);
  }

  /** Requests since the last reset, as `{ "dynamodb PutItem": 3, … }`. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Billed units since the last reset. */
  usage(): Usage {
    return structuredClone(this.billed);
  }

  reset(): void {
    this.counts = new Map();
    this.billed = emptyUsage();
  }

  dynamoDbRead(units: number): void {
    this.billed.dynamodb.readUnits += units;
  }

  dynamoDbWrite(units: { table: number; indexes: number }): void {
    this.billed.dynamodb.writeUnits += units.table;
    this.billed.dynamodb.gsiWriteUnits += units.indexes;
  }

  /** A write refused by its condition; `units` only when capacity is metered (it needs the item). */
  dynamoDbConditionFailed(units?: number): void {
    this.billed.dynamodb.failedConditionalWrites += 1;
    this.billed.dynamodb.failedConditionalWriteUnits += units ?? 0;
  }

  sqs(kind: 'send' | 'delete', requestBytes?: number): void {
    if (kind === 'delete') this.billed.sqs.deleteRequests += 1;
    else this.billed.sqs.sendRequests += chunks(requestBytes ?? 0, SQS_BILLING_CHUNK_IN_BYTES);
  }

  sqsReceive(messages: number): void {
    if (messages > 0) this.billed.sqs.receivesWithMessages += 1;
    else this.billed.sqs.emptyReceives += 1;
  }

  webSocketMessage(direction: 'in' | 'out', bytes: number): void {
    const units = chunks(bytes, WEBSOCKET_BILLING_UNIT_IN_BYTES);
    if (direction === 'in') this.billed.apigateway.messagesIn += units;
    else this.billed.apigateway.messagesOut += units;
  }

  lambda(name: FunctionName, durationMs: number, memorySizeMb: number): void {
    const billedMs = Math.max(1, Math.ceil(durationMs));
    const usage = this.billed.lambda[name] ?? { invocations: 0, billedMs: 0, gbSeconds: 0 };
    this.billed.lambda[name] = {
      invocations: usage.invocations + 1,
      billedMs: usage.billedMs + billedMs,
      gbSeconds: usage.gbSeconds + (billedMs / 1000) * (memorySizeMb / 1024),
    };
  }
}

/** Suffix of the count of an operation's writes refused by their condition: `dynamodb PutItem refused by its condition`. */
export const REFUSED_BY_CONDITION = 'refused by its condition';

/** The AWS JSON protocol's operation name: `X-Amz-Target: DynamoDB_20120810.PutItem` → `PutItem`. */
export function targetOperation(target: string | string[] | undefined): string {
  const value = Array.isArray(target) ? target[0] : target;
  return value?.split('.').pop() ?? 'unknown';
}

/** Billing units of a payload: at least one, then one per started `unit` bytes. */
export function chunks(bytes: number, unit: number): number {
  return Math.max(1, Math.ceil(bytes / unit));
}

/**
 * An item's size as DynamoDB bills it: the lengths of its attribute names plus
 * the sizes of their values (numbers by significant digits, maps and lists with
 * their overhead). dynalite implements AWS's rules; this is its function.
 */
export function itemSize(item: Item): number {
  return dynaliteItemSize(item);
}

/** Write request units of one item written: by the larger of the item before and after, at least 1. */
export function writeUnits(before: Item | undefined, after: Item | undefined): number {
  const size = Math.max(before ? itemSize(before) : 0, after ? itemSize(after) : 0);
  return chunks(size, WRITE_UNIT_SIZE_IN_BYTES);
}

/** A write refused by its condition is billed by the existing item's size, at least 1 unit. */
export function failedConditionalWriteUnits(existing: Item | undefined): number {
  return chunks(existing ? itemSize(existing) : 0, WRITE_UNIT_SIZE_IN_BYTES);
}

/** Read request units of items read together (a Query's page: their sizes summed), at least one unit. */
export function readUnits(totalBytes: number, consistent: boolean): number {
  return chunks(totalBytes, READ_UNIT_SIZE_IN_BYTES) * (consistent ? 1 : 0.5);
}

/** The key schema and indexes of a table, as `DescribeTable` tells them. */
export interface TableShape {
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly indexes: readonly IndexShape[];
}

export interface IndexShape {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly projection: IndexProjection;
}

/** The item's entry in an index, or undefined when the item lacks one of the index's keys (sparse index). */
export function indexEntry(table: TableShape, index: IndexShape, item: Item | undefined): Item | undefined {
  if (!item) return undefined;
  const indexKeys = [index.partitionKey, index.sortKey].filter((name): name is string => !!name);
  if (indexKeys.some((name) => item[name] === undefined)) return undefined;
  if (index.projection.type === 'ALL') return item;
  const kept = new Set([table.partitionKey, table.sortKey, ...indexKeys].filter((name) => !!name));
  if (index.projection.type === 'INCLUDE')
    for (const name of index.projection.nonKeyAttributes) kept.add(name);
  return Object.fromEntries(Object.entries(item).filter(([name]) => kept.has(name)));
}

/**
 * Write request units the table's global secondary indexes take when an item
 * goes from `before` to `after` (undefined: absent). Per index: an entry added
 * or removed is one write of its size; an entry whose index key changed is a
 * delete and a put; an entry whose projected attributes changed is one write
 * of the larger size; no entry before or after, or an unchanged one, is free.
 */
export function gsiWriteUnits(table: TableShape, before: Item | undefined, after: Item | undefined): number {
  let units = 0;
  for (const index of table.indexes) {
    const old = indexEntry(table, index, before);
    const next = indexEntry(table, index, after);
    const size = (entry: Item) => chunks(itemSize(entry), WRITE_UNIT_SIZE_IN_BYTES);
    if (!old && !next) continue;
    if (!old && next) units += size(next);
    else if (old && !next) units += size(old);
    else if (old && next) {
      const keys = [index.partitionKey, index.sortKey].filter((name): name is string => !!name);
      const keyChanged = keys.some((name) => !sameValue(old[name], next[name]));
      if (keyChanged) units += size(old) + size(next);
      else if (!sameValue({ M: old }, { M: next })) units += Math.max(size(old), size(next));
    }
  }
  return units;
}

/** Deep equality of attribute values: map keys and set members in any order. */
export function sameValue(a: WireValue | undefined, b: WireValue | undefined): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const sets = new Set(['SS', 'NS', 'BS']);
    return `{${entries
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([key, inner]) => {
        const members = sets.has(key) && Array.isArray(inner) ? [...inner.map(canonical)].sort() : undefined;
        return `${JSON.stringify(key)}:${members ? `[${members.join(',')}]` : canonical(inner)}`;
      })
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
