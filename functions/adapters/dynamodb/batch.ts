import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ParleyError } from '../../errors';

export interface TableKey {
  readonly pk: string;
  readonly sk: string;
}

export type Item = Record<string, unknown>;

export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/** DynamoDB's per-request caps. */
const MAX_KEYS_PER_BATCH_GET = 100;
const MAX_REQUESTS_PER_BATCH_WRITE = 25;

/**
 * Unprocessed keys mean throttling: retried with backoff, but not forever,
 * so a hot partition fails the request instead of eating the function's timeout.
 */
const MAX_BATCH_ATTEMPTS = 8;
const BASE_BACKOFF_IN_MS = 20;
const MAX_BACKOFF_IN_MS = 1000;

/**
 * Every item found under `keys`, in no particular order. Duplicate keys are
 * asked once (BatchGetItem rejects a request that repeats a key).
 */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly TableKey[],
  options: { consistentRead?: boolean } = {},
): Promise<Item[]> {
  const unique = [...new Map(keys.map((key) => [`${key.pk}\u0000${key.sk}`, key])).values()];
  const pages = await Promise.all(
    chunks(unique, MAX_KEYS_PER_BATCH_GET).map(async (chunk) => {
      const found: Item[] = [];
      let pending: Item[] = chunk.map((key) => ({ pk: key.pk, sk: key.sk }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt === MAX_BATCH_ATTEMPTS) {
          throw new ParleyError(`BatchGetItem left ${pending.length} keys unprocessed`);
        }
        if (attempt > 0) await sleep(backoffInMs(attempt));
        const result = await client.send(
          new BatchGetCommand({
            RequestItems: { [tableName]: { Keys: pending, ConsistentRead: options.consistentRead ?? false } },
          }),
        );
        found.push(...(result.Responses?.[tableName] ?? []));
        pending = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
      }
      return found;
    }),
  );
  return pages.flat();
}

/** Applies every put and delete, 25 to a request; not atomic, so each request must be safe to repeat. */
export async function batchWriteAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
): Promise<void> {
  await Promise.all(
    chunks(requests, MAX_REQUESTS_PER_BATCH_WRITE).map(async (chunk) => {
      let pending: WriteRequest[] = chunk;
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt === MAX_BATCH_ATTEMPTS) {
          throw new ParleyError(`BatchWriteItem left ${pending.length} requests unprocessed`);
        }
        if (attempt > 0) await sleep(backoffInMs(attempt));
        const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        pending = result.UnprocessedItems?.[tableName] ?? [];
      }
    }),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/** Exponential backoff with full jitter, as AWS recommends for throttled batches. */
function backoffInMs(attempt: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_IN_MS, BASE_BACKOFF_IN_MS * 2 ** attempt);
}
