import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import type { HistoryTransferRecord, HistoryTransferStore } from '../../ports/history-transfer-store';
import { DynamoDbHistoryTransferStore } from '../dynamodb/dynamodb-history-transfer-store';
import { InMemoryHistoryTransferStore } from '../memory/memory-history-transfer-store';

const table = useLocalTable();
const DAY_IN_MS = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2031, 0, 1);

describe.each([
  {
    adapter: 'InMemoryHistoryTransferStore',
    make: (): HistoryTransferStore => new InMemoryHistoryTransferStore(),
  },
  {
    adapter: 'DynamoDbHistoryTransferStore',
    make: (): HistoryTransferStore => new DynamoDbHistoryTransferStore(table.client, table.tableName),
  },
])('$adapter', ({ make }) => {
  let store: HistoryTransferStore;
  let alice: string;
  let seq: number;

  beforeEach(() => {
    store = make();
    alice = freshId('alice');
    seq = 0;
  });

  const transfer = (fields: Partial<HistoryTransferRecord> = {}): HistoryTransferRecord => {
    seq += 1;
    const createdAt = fields.createdAt ?? T0 + seq;
    return {
      userId: alice,
      transferId: `t${String(seq).padStart(21, '0')}`,
      fromDeviceId: 'old',
      toDeviceId: 'new',
      state: 'requested',
      request: 'cmVxdWVzdA==',
      chunks: 0,
      bytes: 0,
      received: 0,
      createdAt,
      updatedAt: createdAt,
      expiresAt: createdAt + DAY_IN_MS,
      ...fields,
    };
  };

  const opened = async (fields: Partial<HistoryTransferRecord> = {}) => {
    const record = transfer(fields);
    expect(await store.open(record, 3, record.createdAt)).toBe(true);
    return record;
  };

  /** A transfer taken to `approved`, ready for chunks. */
  const approved = async () => {
    const record = await opened();
    await store.offer(alice, record.transferId, 'b2ZmZXI=', T0 + 10);
    return (await store.approve(alice, record.transferId, 'YXBwcm92YWw=', T0 + 20)) as HistoryTransferRecord;
  };

  it('keeps what was opened, for its user only', async () => {
    const record = await opened();

    expect(await store.get(alice, record.transferId)).toEqual(record);
    expect(await store.get(freshId('bob'), record.transferId)).toBeUndefined();
  });

  it('opens at most the cap of open transfers, and frees a slot when one is cancelled or expires', async () => {
    const [first] = [await opened(), await opened(), await opened()];
    const fourth = transfer();

    expect(await store.open(fourth, 3, T0 + 100)).toBe(false);
    expect(await store.get(alice, fourth.transferId)).toBeUndefined();
    await store.cancel(alice, (first as HistoryTransferRecord).transferId, T0 + 100);
    expect(await store.open(fourth, 3, T0 + 100)).toBe(true);
    // A day on, all four have expired: their slots are free without any change to them.
    const later = transfer({ createdAt: T0 + DAY_IN_MS + 10 });
    expect(await store.open(later, 1, later.createdAt)).toBe(true);
    expect((await store.listOpen(alice, later.createdAt)).map((t) => t.transferId)).toEqual([
      later.transferId,
    ]);
  });

  it('moves requested → offered → approved only in that order, each once', async () => {
    const record = await opened();

    expect(await store.approve(alice, record.transferId, 'YQ==', T0 + 5)).toBeUndefined();
    const offered = await store.offer(alice, record.transferId, 'b2ZmZXI=', T0 + 10);
    expect(offered).toMatchObject({ state: 'offered', offer: 'b2ZmZXI=', updatedAt: T0 + 10 });
    expect(await store.offer(alice, record.transferId, 'b3RoZXI=', T0 + 11)).toBeUndefined();
    expect(await store.approve(alice, record.transferId, 'YXBwcm92YWw=', T0 + 20)).toMatchObject({
      state: 'approved',
      offer: 'b2ZmZXI=',
      approval: 'YXBwcm92YWw=',
    });
    expect(await store.offer(freshId('bob'), record.transferId, 'b2ZmZXI=', T0 + 30)).toBeUndefined();
  });

  it('counts each chunk once, in order, and keeps its descriptor; the final one makes it sent', async () => {
    const record = await approved();

    expect(
      await store.addChunk(
        alice,
        record.transferId,
        { index: 1, size: 5, descriptor: 'ZA==', final: false },
        T0 + 30,
      ),
    ).toBeUndefined();
    const racing = await Promise.all([
      store.addChunk(
        alice,
        record.transferId,
        { index: 0, size: 5, descriptor: 'ZDA=', final: false },
        T0 + 30,
      ),
      store.addChunk(
        alice,
        record.transferId,
        { index: 0, size: 5, descriptor: 'ZDA=', final: false },
        T0 + 30,
      ),
    ]);
    expect(racing.filter(Boolean)).toHaveLength(1);
    const sent = await store.addChunk(
      alice,
      record.transferId,
      { index: 1, size: 7, descriptor: 'ZDE=', final: true },
      T0 + 40,
    );

    expect(sent).toMatchObject({
      state: 'sent',
      chunks: 2,
      bytes: 12,
      lastChunk: { index: 1, size: 7, descriptor: 'ZDE=' },
    });
    expect(await store.chunk(alice, record.transferId, 0)).toEqual({ index: 0, size: 5, descriptor: 'ZDA=' });
    expect(await store.chunk(alice, record.transferId, 1)).toEqual({ index: 1, size: 7, descriptor: 'ZDE=' });
    expect(await store.chunk(alice, record.transferId, 2)).toBeUndefined();
    // Sent: no more chunks.
    expect(
      await store.addChunk(
        alice,
        record.transferId,
        { index: 2, size: 1, descriptor: 'ZDI=', final: true },
        T0 + 50,
      ),
    ).toBeUndefined();
  });

  it('raises received up to the chunks, never lowers it, and is done once a sent transfer is received whole', async () => {
    const record = await approved();
    await store.addChunk(
      alice,
      record.transferId,
      { index: 0, size: 5, descriptor: 'ZDA=', final: false },
      T0 + 30,
    );

    expect(await store.confirm(alice, record.transferId, 1, T0 + 31)).toMatchObject({
      state: 'approved',
      received: 1,
    });
    expect(await store.confirm(alice, record.transferId, 2, T0 + 32)).toMatchObject({ received: 1 });
    await store.addChunk(
      alice,
      record.transferId,
      { index: 1, size: 5, descriptor: 'ZDE=', final: true },
      T0 + 40,
    );
    expect(await store.confirm(alice, record.transferId, 0, T0 + 41)).toMatchObject({
      state: 'sent',
      received: 1,
    });
    expect(await store.confirm(alice, record.transferId, 2, T0 + 42)).toMatchObject({
      state: 'done',
      received: 2,
    });
    // Done frees its slot.
    expect(await store.listOpen(alice, T0 + 43)).toEqual([]);
    expect(await store.confirm(freshId('bob'), record.transferId, 2, T0 + 44)).toBeUndefined();
  });

  it('cancels an open transfer once, and never a finished or expired one', async () => {
    const record = await opened();
    const expired = await opened();

    expect(await store.cancel(alice, expired.transferId, expired.expiresAt)).toBeUndefined();
    expect(await store.cancel(alice, record.transferId, T0 + 10)).toMatchObject({
      state: 'cancelled',
      updatedAt: T0 + 10,
    });
    expect(await store.cancel(alice, record.transferId, T0 + 11)).toBeUndefined();
    expect(await store.offer(alice, record.transferId, 'b2ZmZXI=', T0 + 12)).toBeUndefined();
  });

  it('changes nothing of an expired transfer', async () => {
    const record = await opened();

    expect(await store.offer(alice, record.transferId, 'b2ZmZXI=', record.expiresAt)).toBeUndefined();
    expect(await store.get(alice, record.transferId)).toEqual(record);
  });

  it('lists unexpired transfers newest first, the open ones always and finished ones as room allows', async () => {
    const old = await opened({ createdAt: T0 });
    const finished: HistoryTransferRecord[] = [];
    for (let i = 1; i <= 4; i += 1) {
      const record = await opened({ createdAt: T0 + i * 1000 });
      await store.cancel(alice, record.transferId, T0 + i * 1000 + 1);
      finished.push(record);
    }
    const now = T0 + 10_000;

    expect((await store.list(alice, now, 10)).map((t) => t.transferId)).toEqual(
      [...finished.reverse(), old].map((t) => t.transferId),
    );
    expect((await store.list(alice, now, 2)).map((t) => t.transferId)).toEqual([
      finished[0]?.transferId,
      old.transferId,
    ]);
    expect(await store.list(alice, old.expiresAt + 5000, 10)).toEqual([]);
    expect(await store.list(freshId('bob'), now, 10)).toEqual([]);
  });

  it('finds the open transfers of a user', async () => {
    const open = await opened();
    const cancelled = await opened();
    await store.cancel(alice, cancelled.transferId, T0 + 100);

    expect((await store.listOpen(alice, T0 + 100)).map((t) => t.transferId)).toEqual([open.transferId]);
  });
});
