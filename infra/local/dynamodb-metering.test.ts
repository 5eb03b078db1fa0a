import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startDynamoDb } from './dynamodb';
import { LOCAL_CREDENTIALS } from './listen';
import { Meter, type Usage } from './meter';

const REGION = 'us-east-1';

type Command =
  | PutItemCommand
  | GetItemCommand
  | QueryCommand
  | BatchGetItemCommand
  | UpdateItemCommand
  | DeleteItemCommand
  | BatchWriteItemCommand;
const TABLE = 'main';

/** One side of the comparison: a DynamoDB stand-in with its meter and an SDK client. */
interface Side {
  readonly dynamoDb: LocalDynamoDb;
  readonly meter: Meter;
  readonly client: DynamoDBClient;
  readonly dataDir: string;
}

async function side(meterCapacity: boolean): Promise<Side> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-metering-'));
  const meter = new Meter();
  meter.meterCapacity(meterCapacity);
  const dynamoDb = await startDynamoDb({ dataDir, port: 0, region: REGION, meter });
  const client = new DynamoDBClient({
    endpoint: dynamoDb.endpoint,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  return { dynamoDb, meter, client, dataDir };
}

/**
 * What the SDK hands back, without what differs between any two calls: the request id, and the order of a
 * BatchGetItem's items (dynalite shuffles them, as DynamoDB promises no order).
 */
async function outcome(client: DynamoDBClient, command: Command) {
  try {
    const send = client.send.bind(client) as (command: Command) => Promise<unknown>;
    const { $metadata, ...output } = (await send(command)) as {
      $metadata: { httpStatusCode?: number };
      Responses?: Record<string, unknown[]>;
    };
    if (output.Responses) {
      for (const items of Object.values(output.Responses))
        items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    }
    return { status: $metadata.httpStatusCode, output };
  } catch (error) {
    const failure = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { status: failure.$metadata?.httpStatusCode, error: failure.name, message: failure.message };
  }
}

const pad = (bytes: number) => ({ S: 'x'.repeat(bytes) });
const itemA = { pk: { S: 'CONV#1' }, sk: { S: 'A' }, body: pad(1500) };
const itemB = {
  pk: { S: 'CONV#1' },
  sk: { S: 'B' },
  gsi1pk: { S: 'USER#b' },
  gsi1sk: { S: '1' },
  body: pad(200),
};

/** The same requests, in order, each with the units a metered stand-in should count for it. */
const STEPS: Array<{
  readonly name: string;
  readonly command: () => Command;
  readonly units: Partial<Usage['dynamodb']>;
}> = [
  {
    name: 'put a 1.5 KB item',
    command: () => new PutItemCommand({ TableName: TABLE, Item: itemA }),
    units: { writeUnits: 2 },
  },
  {
    name: 'put an item the index holds',
    command: () => new PutItemCommand({ TableName: TABLE, Item: itemB }),
    units: { writeUnits: 1, gsiWriteUnits: 1 },
  },
  {
    name: 'get, eventually consistent',
    command: () => new GetItemCommand({ TableName: TABLE, Key: { pk: itemA.pk, sk: itemA.sk } }),
    units: { readUnits: 0.5 },
  },
  {
    name: 'get a projection, consistent: billed by the whole item',
    command: () =>
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: itemA.pk, sk: itemA.sk },
        ProjectionExpression: 'sk',
        ConsistentRead: true,
      }),
    units: { readUnits: 1 },
  },
  {
    name: 'get a missing item',
    command: () => new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'nope' }, sk: { S: 'nope' } } }),
    units: { readUnits: 0.5 },
  },
  {
    name: 'query with a filter that keeps nothing: billed by what was read',
    command: () =>
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'attribute_exists(nothing)',
        ExpressionAttributeValues: { ':pk': itemA.pk },
        ConsistentRead: true,
      }),
    units: { readUnits: 1 },
  },
  {
    name: 'query the index',
    command: () =>
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': itemB.gsi1pk },
      }),
    units: { readUnits: 0.5 },
  },
  {
    name: 'batch get two items and a missing one',
    command: () =>
      new BatchGetItemCommand({
        RequestItems: {
          [TABLE]: {
            Keys: [
              { pk: itemA.pk, sk: itemA.sk },
              { pk: itemB.pk, sk: itemB.sk },
              { pk: { S: 'nope' }, sk: { S: 'nope' } },
            ],
          },
        },
      }),
    units: { readUnits: 1.5 },
  },
  {
    name: 'update that moves the index key',
    command: () =>
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { pk: itemB.pk, sk: itemB.sk },
        UpdateExpression: 'SET gsi1sk = :sk',
        ExpressionAttributeValues: { ':sk': { S: '2' } },
        ReturnValues: 'ALL_NEW',
      }),
    units: { writeUnits: 1, gsiWriteUnits: 2 },
  },
  {
    name: 'update refused by its condition',
    command: () =>
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { pk: itemA.pk, sk: itemA.sk },
        UpdateExpression: 'SET seen = :one',
        ConditionExpression: 'attribute_not_exists(pk)',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    units: { failedConditionalWrites: 1, failedConditionalWriteUnits: 2 },
  },
  {
    name: 'get, asking for the consumed capacity itself',
    command: () =>
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: itemA.pk, sk: itemA.sk },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    units: { readUnits: 0.5 },
  },
  {
    name: 'delete an item the index holds',
    command: () =>
      new DeleteItemCommand({
        TableName: TABLE,
        Key: { pk: itemB.pk, sk: itemB.sk },
        ReturnValues: 'ALL_OLD',
      }),
    units: { writeUnits: 1, gsiWriteUnits: 1 },
  },
  {
    name: 'batch write a put and a delete',
    command: () =>
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: [
            { PutRequest: { Item: { pk: { S: 'CONV#2' }, sk: { S: 'C' }, body: pad(10) } } },
            { DeleteRequest: { Key: { pk: itemA.pk, sk: itemA.sk } } },
          ],
        },
      }),
    units: { writeUnits: 1 + 2 },
  },
];

const NO_UNITS: Usage['dynamodb'] = {
  readUnits: 0,
  writeUnits: 0,
  gsiWriteUnits: 0,
  failedConditionalWrites: 0,
  failedConditionalWriteUnits: 0,
};

describe('DynamoDB capacity metering', () => {
  let metered: Side;
  let plain: Side;

  beforeAll(async () => {
    [metered, plain] = await Promise.all([side(true), side(false)]);
  });

  afterAll(async () => {
    for (const { client, dynamoDb, dataDir } of [metered, plain]) {
      client?.destroy();
      await dynamoDb?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('hands the SDK the same answers as an unmetered stand-in, and counts the units AWS bills', async () => {
    for (const step of STEPS) {
      metered.meter.reset();
      const [withMeter, without] = [
        await outcome(metered.client, step.command()),
        await outcome(plain.client, step.command()),
      ];
      expect(withMeter, step.name).toEqual(without);
      expect(metered.meter.usage().dynamodb, step.name).toEqual({ ...NO_UNITS, ...step.units });
    }
  });

  it('raises a refused condition as the SDK error, and counts it even with capacity metering off', async () => {
    plain.meter.reset();
    const put = () =>
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: 'CONV#2' }, sk: { S: 'C' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
    await expect(plain.client.send(put())).rejects.toThrow(ConditionalCheckFailedException);
    await expect(metered.client.send(put())).rejects.toThrow(ConditionalCheckFailedException);
    expect(plain.meter.usage().dynamodb).toEqual({ ...NO_UNITS, failedConditionalWrites: 1 });
    expect(plain.meter.snapshot()).toEqual({
      'dynamodb PutItem': 1,
      'dynamodb PutItem refused by its condition': 1,
    });
  });

  it('serializes metered writes to one item, so concurrent updates are each billed once', async () => {
    metered.meter.reset();
    await Promise.all(
      Array.from({ length: 20 }, () =>
        metered.client.send(
          new UpdateItemCommand({
            TableName: TABLE,
            Key: { pk: { S: 'COUNTER' }, sk: { S: 'HEAD' } },
            UpdateExpression: 'ADD n :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
          }),
        ),
      ),
    );
    expect(metered.meter.usage().dynamodb).toEqual({ ...NO_UNITS, writeUnits: 20 });
    expect(metered.meter.snapshot()).toEqual({ 'dynamodb UpdateItem': 20 });
  });
});
