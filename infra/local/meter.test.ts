import { describe, expect, it } from 'vitest';
import {
  chunks,
  failedConditionalWriteUnits,
  gsiWriteUnits,
  type Item,
  indexEntry,
  itemSize,
  Meter,
  readUnits,
  sameValue,
  type TableShape,
  writeUnits,
} from './meter';

/** A string attribute value of `bytes` characters. */
const text = (bytes: number) => ({ S: 'x'.repeat(bytes) });

/** An item of exactly `bytes` bytes as DynamoDB sizes it: keys `pk`/`sk` of 1 character and a padding attribute. */
function itemOf(bytes: number, extra: Item = {}): Item {
  const base: Item = { pk: { S: 'p' }, sk: { S: 's' }, ...extra };
  const used = itemSize(base) + 'pad'.length;
  return { ...base, pad: text(bytes - used) };
}

const table = (projection: TableShape['indexes'][number]['projection']): TableShape => ({
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection }],
});
const ALL = table({ type: 'ALL' });

describe('item sizes, as DynamoDB bills them', () => {
  it('adds attribute name lengths to value sizes', () => {
    expect(itemSize({ pk: { S: 'abc' } })).toBe(2 + 3);
    expect(itemSize({ flag: { BOOL: true }, none: { NULL: true } })).toBe(4 + 1 + 4 + 1);
    expect(itemSize({ b: { B: Buffer.from('hello').toString('base64') } })).toBe(1 + 5);
  });

  it('sizes numbers by their significant digits, two to a byte, plus one', () => {
    expect(itemSize({ n: { N: '7' } })).toBe(1 + 2);
    expect(itemSize({ n: { N: '1234' } })).toBe(1 + 3);
    expect(itemSize({ n: { N: '12345' } })).toBe(1 + 4);
    // Trailing zeros are not stored.
    expect(itemSize({ n: { N: '1200000' } })).toBe(itemSize({ n: { N: '12000' } }));
  });

  it('counts the overhead of maps and lists', () => {
    expect(itemSize({ m: { M: { a: { S: 'x' } } } })).toBe(1 + 3 + 1 + 2);
    expect(itemSize({ l: { L: [{ S: 'ab' }, { S: 'c' }] } })).toBe(1 + 3 + (1 + 2) + (1 + 1));
  });

  it('builds test items of an exact size', () => {
    expect(itemSize(itemOf(1024))).toBe(1024);
    expect(itemSize(itemOf(3000))).toBe(3000);
  });
});

describe('rounding', () => {
  it('bills at least one unit, then one per started unit size', () => {
    expect(chunks(0, 1024)).toBe(1);
    expect(chunks(1, 1024)).toBe(1);
    expect(chunks(1024, 1024)).toBe(1);
    expect(chunks(1025, 1024)).toBe(2);
    expect(chunks(64 * 1024 + 1, 64 * 1024)).toBe(2);
  });

  it('reads by 4 KB, eventually consistent at half price', () => {
    expect(readUnits(0, true)).toBe(1);
    expect(readUnits(0, false)).toBe(0.5);
    expect(readUnits(4096, true)).toBe(1);
    expect(readUnits(4097, true)).toBe(2);
    expect(readUnits(9000, false)).toBe(1.5);
  });
});

describe('write units of the table', () => {
  it('bills a new item by its size, rounded up to 1 KB', () => {
    expect(writeUnits(undefined, itemOf(100))).toBe(1);
    expect(writeUnits(undefined, itemOf(1024))).toBe(1);
    expect(writeUnits(undefined, itemOf(1025))).toBe(2);
  });

  it('bills an update or a replacement by the larger of the item before and after', () => {
    expect(writeUnits(itemOf(3000), itemOf(100))).toBe(3);
    expect(writeUnits(itemOf(100), itemOf(2100))).toBe(3);
  });

  it('bills a delete by the deleted item, and at least 1 when there was none', () => {
    expect(writeUnits(itemOf(2048), undefined)).toBe(2);
    expect(writeUnits(undefined, undefined)).toBe(1);
  });

  it('bills a write refused by its condition by the existing item, at least 1', () => {
    expect(failedConditionalWriteUnits(undefined)).toBe(1);
    expect(failedConditionalWriteUnits(itemOf(500))).toBe(1);
    expect(failedConditionalWriteUnits(itemOf(5000))).toBe(5);
  });
});

describe('write units of global secondary indexes', () => {
  const indexed = (bytes: number, key = 'USER#a', sort = '1') =>
    itemOf(bytes, { gsi1pk: { S: key }, gsi1sk: { S: sort } });

  it('costs nothing for an item the index never holds (sparse)', () => {
    expect(gsiWriteUnits(ALL, undefined, itemOf(100))).toBe(0);
    expect(gsiWriteUnits(ALL, itemOf(100), itemOf(900))).toBe(0);
    expect(gsiWriteUnits(ALL, itemOf(100), undefined)).toBe(0);
  });

  it('puts a new entry for a put, by the entry size', () => {
    expect(gsiWriteUnits(ALL, undefined, indexed(100))).toBe(1);
    expect(gsiWriteUnits(ALL, undefined, indexed(2500))).toBe(3);
  });

  it('adds an entry when an update sets the index keys, and removes it when it drops them', () => {
    expect(gsiWriteUnits(ALL, itemOf(100), indexed(100))).toBe(1);
    expect(gsiWriteUnits(ALL, indexed(1500), itemOf(100))).toBe(2);
  });

  it('removes the entry when the item is deleted', () => {
    expect(gsiWriteUnits(ALL, indexed(100), undefined)).toBe(1);
  });

  it('bills a change of index key as a delete and a put', () => {
    expect(gsiWriteUnits(ALL, indexed(100, 'USER#a', '1'), indexed(100, 'USER#a', '2'))).toBe(2);
    expect(gsiWriteUnits(ALL, indexed(1500, 'USER#a'), indexed(100, 'USER#b'))).toBe(3);
  });

  it('bills a change of projected attributes once, by the larger entry', () => {
    expect(gsiWriteUnits(ALL, indexed(100), indexed(120))).toBe(1);
    expect(gsiWriteUnits(ALL, indexed(100), indexed(2100))).toBe(3);
  });

  it('costs nothing when a write leaves the entry as it was', () => {
    expect(gsiWriteUnits(ALL, indexed(100), indexed(100))).toBe(0);
  });

  it('follows the projection: keys only ignore other attributes, INCLUDE the listed ones', () => {
    const keysOnly = table({ type: 'KEYS_ONLY' });
    expect(gsiWriteUnits(keysOnly, indexed(100), indexed(3000))).toBe(0);
    expect(gsiWriteUnits(keysOnly, undefined, indexed(3000))).toBe(1);
    const include = table({ type: 'INCLUDE', nonKeyAttributes: ['name'] });
    const before = { ...indexed(100), name: { S: 'Ann' } };
    expect(gsiWriteUnits(include, before, { ...before, pad: text(2000) })).toBe(0);
    expect(gsiWriteUnits(include, before, { ...before, name: { S: 'Anne' } })).toBe(1);
  });

  it('keeps the table and index keys and the included attributes in an entry', () => {
    const include = table({ type: 'INCLUDE', nonKeyAttributes: ['name'] });
    const [index] = include.indexes;
    const item = { ...indexed(100), name: { S: 'Ann' } };
    expect(Object.keys(indexEntry(include, index as never, item) ?? {}).sort()).toEqual([
      'gsi1pk',
      'gsi1sk',
      'name',
      'pk',
      'sk',
    ]);
  });
});

describe('attribute comparison', () => {
  it('ignores the order of map keys and set members', () => {
    expect(sameValue({ M: { a: { S: '1' }, b: { N: '2' } } }, { M: { b: { N: '2' }, a: { S: '1' } } })).toBe(
      true,
    );
    expect(sameValue({ SS: ['a', 'b'] }, { SS: ['b', 'a'] })).toBe(true);
    expect(sameValue({ L: [{ S: 'a' }, { S: 'b' }] }, { L: [{ S: 'b' }, { S: 'a' }] })).toBe(false);
  });
});

describe('the meter', () => {
  it('keeps billed units apart from request counts, until reset', () => {
    const meter = new Meter();
    meter.count('dynamodb', 'PutItem');
    meter.dynamoDbWrite({ table: 2, indexes: 1 });
    meter.dynamoDbConditionFailed(3);
    meter.dynamoDbConditionFailed();
    meter.sqs('send', 70 * 1024);
    meter.sqs('delete');
    meter.sqsReceive(0);
    meter.sqsReceive(3);
    meter.webSocketMessage('in', 600);
    meter.webSocketMessage('out', 40 * 1024);
    meter.lambda('wsSend', 10.2, 512);
    meter.lambda('wsSend', 0.3, 512);
    expect(meter.snapshot()).toEqual({ 'dynamodb PutItem': 1 });
    const usage = meter.usage();
    expect(usage.dynamodb).toEqual({
      readUnits: 0,
      writeUnits: 2,
      gsiWriteUnits: 1,
      failedConditionalWrites: 2,
      failedConditionalWriteUnits: 3,
    });
    expect(usage.sqs).toEqual({
      sendRequests: 2,
      receivesWithMessages: 1,
      emptyReceives: 1,
      deleteRequests: 1,
    });
    expect(usage.apigateway).toEqual({ messagesIn: 1, messagesOut: 2 });
    expect(usage.lambda.wsSend?.invocations).toBe(2);
    expect(usage.lambda.wsSend?.billedMs).toBe(12);
    expect(usage.lambda.wsSend?.gbSeconds).toBeCloseTo(0.006);
    meter.reset();
    expect(meter.snapshot()).toEqual({});
    expect(meter.usage().dynamodb.writeUnits).toBe(0);
  });
});
