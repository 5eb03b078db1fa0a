import {
  BatchGetCommand,
  type BatchGetCommandInput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ParleyError } from '../../errors';
import { batchGetAll, batchWriteAll, type TableKey, type WriteRequest } from './batch';

const TABLE = 'main';

/**
 * A stand-in client for what dynalite never does: leave keys unprocessed.
 * `unprocessed` decides, per request, how many of its keys to hand back.
 */
function throttlingClient(unprocessed: (request: number) => number) {
  const getRequests: TableKey[][] = [];
  const writeRequests: WriteRequest[][] = [];
  const send = async (command: unknown) => {
    if (command instanceof BatchGetCommand) {
      const input = command.input as BatchGetCommandInput;
      const asked = (input.RequestItems?.[TABLE]?.Keys ?? []) as TableKey[];
      getRequests.push(asked);
      const left = unprocessed(getRequests.length);
      return {
        Responses: { [TABLE]: asked.slice(left).map((key) => ({ ...key, found: true })) },
        ...(left > 0 ? { UnprocessedKeys: { [TABLE]: { Keys: asked.slice(0, left) } } } : {}),
      };
    }
    if (command instanceof BatchWriteCommand) {
      const input = command.input as BatchWriteCommandInput;
      const asked = input.RequestItems?.[TABLE] ?? [];
      writeRequests.push(asked);
      const left = unprocessed(writeRequests.length);
      return left > 0 ? { UnprocessedItems: { [TABLE]: asked.slice(0, left) } } : {};
    }
    throw new Error('Unexpected command');
  };
  return { client: { send } as unknown as DynamoDBDocumentClient, getRequests, writeRequests };
}

const keysOf = (count: number): TableKey[] =>
  Array.from({ length: count }, (_, index) => ({ pk: `USER#${index}`, sk: 'PROFILE' }));

// Backoff waits run on a fake clock.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Runs `work` to its end, firing each backoff timer as it is set. */
async function settle<T>(work: Promise<T>): Promise<T> {
  const outcome = work.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await vi.runAllTimersAsync();
  const result = await outcome;
  if ('error' in result) throw result.error;
  return result.value;
}

describe('batchGetAll', () => {
  it('asks at most 100 keys a request, each key once', async () => {
    const { client, getRequests } = throttlingClient(() => 0);

    const items = await batchGetAll(client, TABLE, [...keysOf(250), ...keysOf(10)]);

    expect(items).toHaveLength(250);
    expect(getRequests.map((request) => request.length).sort((a, b) => a - b)).toEqual([50, 100, 100]);
  });

  it('asks again for unprocessed keys until all are read', async () => {
    const { client, getRequests } = throttlingClient((request) => (request <= 2 ? 3 : 0));

    const items = await settle(batchGetAll(client, TABLE, keysOf(5)));

    expect(items.map((item) => item.pk).sort()).toEqual(
      keysOf(5)
        .map((key) => key.pk)
        .sort(),
    );
    expect(getRequests.map((request) => request.length)).toEqual([5, 3, 3]);
  });

  it('gives up with an error when keys stay unprocessed', async () => {
    const { client } = throttlingClient(() => 1);

    await expect(settle(batchGetAll(client, TABLE, keysOf(2)))).rejects.toThrow(ParleyError);
  });
});

describe('batchWriteAll', () => {
  it('writes at most 25 requests a call and retries the unprocessed ones', async () => {
    const { client, writeRequests } = throttlingClient((request) => (request === 1 ? 4 : 0));
    const requests = keysOf(30).map((key) => ({ DeleteRequest: { Key: key } }));

    await settle(batchWriteAll(client, TABLE, requests));

    expect(writeRequests.map((request) => request.length)).toEqual([25, 5, 4]);
    expect(writeRequests[2]).toEqual(requests.slice(0, 4));
  });
});
