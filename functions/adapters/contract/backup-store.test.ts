import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import type { BackupHead, BackupStore } from '../../ports/backup-store';
import { DynamoDbBackupStore } from '../dynamodb/dynamodb-backup-store';
import { InMemoryBackupStore } from '../memory/memory-backup-store';

const table = useLocalTable();
const DAY_IN_MS = 24 * 60 * 60 * 1000;
const LIMITS = { maxBytes: 10_000, maxPendingChunks: 3 };

describe.each([
  { adapter: 'InMemoryBackupStore', make: (): BackupStore => new InMemoryBackupStore() },
  {
    adapter: 'DynamoDbBackupStore',
    make: (): BackupStore => new DynamoDbBackupStore(table.client, table.tableName),
  },
])('$adapter', ({ make }) => {
  let store: BackupStore;
  let alice: string;
  let bob: string;
  /** A moment of this test's own: due entries of the shared table are kept per hour. */
  let t0: number;

  beforeEach(() => {
    store = make();
    alice = freshId('alice');
    bob = freshId('bob');
    t0 = Date.UTC(2033, 0, 1) + Math.floor(Math.random() * 100_000) * DAY_IN_MS * 3;
  });

  const reserve = (userId: string, chunkId: string, size = 1000) =>
    store.reserve(userId, { chunkId, size, createdAt: t0, pending: true, dueAt: t0 + DAY_IN_MS }, LIMITS);
  const head = (chunkIds: string[], version = 1): BackupHead => ({
    version,
    header: 'aGVhZA==',
    indexChunkId: chunkIds[0] as string,
    chunkIds,
    bytes: chunkIds.length * 1000,
    updatedAt: t0,
  });
  const dueOf = async (userId: string, now: number) =>
    (await store.due(now, 100)).filter((entry) => entry.userId === userId);

  it('keeps what a slot reserved, under its user only, pending and due a day on', async () => {
    expect(await reserve(alice, 'c1', 1234)).toBeUndefined();

    const expected = { chunkId: 'c1', size: 1234, createdAt: t0, pending: true, dueAt: t0 + DAY_IN_MS };
    expect(await store.getChunks(alice, ['c1', 'nope'])).toEqual([expected]);
    expect(await store.getChunks(bob, ['c1'])).toEqual([]);
    expect(await store.listChunks(alice)).toEqual([expected]);
    expect(await store.usage(alice)).toEqual({ bytes: 1234, pendingChunks: 1 });
    expect(await store.usage(bob)).toEqual({ bytes: 0, pendingChunks: 0 });
  });

  it('refuses a reservation past the bytes or the pending chunks, recording nothing', async () => {
    expect(await reserve(alice, 'big', 9_500)).toBeUndefined();
    expect(await reserve(alice, 'over', 501)).toBe('bytes');
    expect(await reserve(alice, 'fits', 500)).toBeUndefined();
    expect(await reserve(alice, 'third', 1)).toBe('bytes');

    expect(await reserve(bob, 'b1', 1)).toBeUndefined();
    expect(await reserve(bob, 'b2', 1)).toBeUndefined();
    expect(await reserve(bob, 'b3', 1)).toBeUndefined();
    expect(await reserve(bob, 'b4', 1)).toBe('pendingChunks');

    expect((await store.listChunks(alice)).map((chunk) => chunk.chunkId)).toEqual(['big', 'fits']);
    expect(await store.usage(alice)).toEqual({ bytes: 10_000, pendingChunks: 2 });
    expect(await store.usage(bob)).toEqual({ bytes: 3, pendingChunks: 3 });
  });

  it('writes a head only over the version read', async () => {
    expect(await store.getHead(alice)).toBeUndefined();
    expect(await store.putHead(alice, head(['c1']), 1)).toBe(false);
    expect(await store.putHead(alice, head(['c1']), 0)).toBe(true);
    expect(await store.putHead(alice, head(['c2'], 2), 0)).toBe(false);
    expect(await store.putHead(alice, head(['c2', 'c1'], 2), 1)).toBe(true);

    expect(await store.getHead(alice)).toEqual(head(['c2', 'c1'], 2));
    expect(await store.getHead(bob)).toBeUndefined();
    await store.deleteHead(alice);
    expect(await store.getHead(alice)).toBeUndefined();
  });

  it('settles listed chunks: no longer pending nor due, their place given back once', async () => {
    await reserve(alice, 'c1');
    await reserve(alice, 'c2');

    await store.settle(alice, ['c1']);
    await store.settle(alice, ['c1']);

    const [settled] = await store.getChunks(alice, ['c1']);
    expect(settled).toEqual({ chunkId: 'c1', size: 1000, createdAt: t0, pending: false });
    expect(await store.usage(alice)).toEqual({ bytes: 2000, pendingChunks: 1 });
  });

  it('makes an unlisted chunk due a day on, and lets it be taken and forgotten, its usage given back', async () => {
    await reserve(alice, 'c1');

    expect(await dueOf(alice, t0 + DAY_IN_MS - 1)).toEqual([]);
    const [due] = await dueOf(alice, t0 + DAY_IN_MS);
    expect(due).toEqual({ userId: alice, chunkId: 'c1', dueAt: t0 + DAY_IN_MS });
    expect(await store.takeForDeletion(due as never, t0 + DAY_IN_MS)).toBe(true);
    // Taken: it is no longer served, and a head can no longer hold it.
    expect(await store.getChunks(alice, ['c1'])).toEqual([]);
    expect(await store.hold(alice, ['c1'], t0 + 2 * DAY_IN_MS)).toEqual(['c1']);
    // A run cut off after taking it takes it again.
    expect(await store.takeForDeletion(due as never, t0 + DAY_IN_MS)).toBe(true);

    await store.forget(alice, ['c1'], [due as never]);
    await store.forget(alice, ['c1'], [due as never]);
    expect(await dueOf(alice, t0 + 3 * DAY_IN_MS)).toEqual([]);
    expect(await store.usage(alice)).toEqual({ bytes: 0, pendingChunks: 0 });
  });

  it('does not take a chunk held meanwhile: its old entry goes, the new one falls due later', async () => {
    await reserve(alice, 'c1');
    const [due] = await dueOf(alice, t0 + DAY_IN_MS);

    expect(await store.hold(alice, ['c1', 'unknown'], t0 + 2 * DAY_IN_MS)).toEqual(['unknown']);

    expect(await store.takeForDeletion(due as never, t0 + DAY_IN_MS)).toBe(false);
    expect(await dueOf(alice, t0 + DAY_IN_MS)).toEqual([]);
    expect(await dueOf(alice, t0 + 2 * DAY_IN_MS)).toEqual([
      { userId: alice, chunkId: 'c1', dueAt: t0 + 2 * DAY_IN_MS },
    ]);
    expect(await store.getChunks(alice, ['c1'])).toMatchObject([
      { chunkId: 'c1', dueAt: t0 + 2 * DAY_IN_MS },
    ]);
  });

  it('does not take a settled chunk, and drops its entry', async () => {
    await reserve(alice, 'c1');
    await store.settle(alice, ['c1']);
    const [due] = await dueOf(alice, t0 + DAY_IN_MS);

    expect(await store.takeForDeletion(due as never, t0 + DAY_IN_MS)).toBe(false);
    expect(await dueOf(alice, t0 + DAY_IN_MS)).toEqual([]);
    expect(await store.getChunks(alice, ['c1'])).toHaveLength(1);
  });

  it('forgets a listed chunk with its bytes but no pending place', async () => {
    await reserve(alice, 'c1');
    await reserve(alice, 'c2');
    await store.settle(alice, ['c1']);

    await store.forget(alice, ['c1', 'c2', 'never']);

    expect(await store.listChunks(alice)).toEqual([]);
    expect(await store.usage(alice)).toEqual({ bytes: 0, pendingChunks: 0 });
  });
});
