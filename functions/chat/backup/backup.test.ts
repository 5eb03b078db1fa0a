import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS,
  ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS,
  UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS,
} from '../../../shared/protocol/limits';
import { type MemoryDeps, memoryDeps, rateLimiterWith } from '../../../test/support/fixtures';
import {
  ConflictError,
  LimitReachedError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
} from '../../errors';
import { createChunkUpload } from './create-chunk-upload';
import { deleteBackup } from './delete-backup';
import { getBackup } from './get-backup';
import { getChunk } from './get-chunk';
import { putBackup } from './put-backup';
import { sweepBackupChunks } from './sweep-backup-chunks';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const HOUR_IN_MS = 60 * 60 * 1000;
const alice = { userId: 'alice', correlationId: 'req-a' };
const bob = { userId: 'bob', correlationId: 'req-b' };
const HEADER = 'aGVhZGVy';

describe('encrypted backup: chunks and the head', () => {
  let deps: MemoryDeps;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps({ caps: { backupBytesPerUser: 1000, pendingBackupChunksPerUser: 3 } });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** Reserves a chunk and stores its object, as a client posting the form would. */
  const uploaded = async (caller: typeof alice, size: number) => {
    const { chunkId } = await createChunkUpload(deps)(caller, size);
    deps.backupObjects.upload(caller.userId, chunkId, size);
    return chunkId;
  };
  const put = (
    caller: typeof alice,
    chunkIds: string[],
    expectedVersion: number,
    indexChunkId = chunkIds[0],
  ) =>
    putBackup(deps)(caller, {
      header: HEADER,
      indexChunkId: indexChunkId as string,
      chunkIds,
      expectedVersion,
    });

  it('gives a form for exactly the size asked under the caller’s prefix and a fresh id, and records the chunk as pending', async () => {
    const first = await createChunkUpload(deps)(alice, 600);
    const second = await createChunkUpload(deps)(alice, 10);

    expect(first.chunkId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(second.chunkId).not.toBe(first.chunkId);
    expect(first.fields).toMatchObject({ key: `backups/alice/${first.chunkId}`, size: '600' });
    expect(first.expiresAt).toBe(new Date(T0 + ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS * 1000).toISOString());
    expect(await deps.backups.getChunks('alice', [first.chunkId])).toEqual([
      {
        chunkId: first.chunkId,
        size: 600,
        createdAt: T0,
        pending: true,
        dueAt: T0 + UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS,
      },
    ]);
  });

  it('counts each slot against the caller’s write allowance', async () => {
    deps = { ...deps, rateLimiter: rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } }) };
    await createChunkUpload(deps)(alice, 10);

    await expect(createChunkUpload(deps)(alice, 10)).rejects.toThrow(RateLimitedError);
  });

  it('refuses a slot past the backup’s bytes, pending and listed together, or past the pending chunks', async () => {
    const big = await uploaded(alice, 900);
    await expect(createChunkUpload(deps)(alice, 101)).rejects.toMatchObject({
      cap: 'backupBytesPerUser',
      limit: 1000,
    });
    // A chunk larger than the whole cap is refused without a look at the usage.
    await expect(createChunkUpload(deps)(bob, 1001)).rejects.toThrow(LimitReachedError);
    await put(alice, [big], 0);
    await expect(createChunkUpload(deps)(alice, 101)).rejects.toThrow(LimitReachedError);

    await uploaded(bob, 1);
    await uploaded(bob, 1);
    await uploaded(bob, 1);
    await expect(createChunkUpload(deps)(bob, 1)).rejects.toMatchObject({
      cap: 'pendingBackupChunksPerUser',
      limit: 3,
    });
  });

  it('writes the head over the version read, and answers it', async () => {
    expect(await getBackup(deps)(alice)).toEqual({ backup: null });
    const [index, data] = [await uploaded(alice, 100), await uploaded(alice, 200)];

    const written = await put(alice, [index, data], 0);

    expect(written).toEqual({
      version: 1,
      header: HEADER,
      indexChunkId: index,
      chunkIds: [index, data],
      bytes: 300,
      updatedAt: new Date(T0).toISOString(),
    });
    expect((await getBackup(deps)(alice)).backup).toEqual(written);
    // Listed: no longer pending, no longer due.
    expect(await deps.backups.usage('alice')).toEqual({ bytes: 300, pendingChunks: 0 });
    expect((await deps.backups.getChunks('alice', [index]))[0]).toMatchObject({ pending: false });
    expect((await deps.backups.getChunks('alice', [index]))[0]?.dueAt).toBeUndefined();
  });

  it('refuses a write over another version, naming the stored one', async () => {
    const chunk = await uploaded(alice, 10);
    await put(alice, [chunk], 0);

    await expect(put(alice, [chunk], 0)).rejects.toThrow(ConflictError);
    await expect(put(alice, [chunk], 2)).rejects.toThrow('version 1, not 2');
    expect((await getBackup(deps)(alice)).backup?.version).toBe(1);
  });

  it('refuses a chunk that is not the caller’s, or was never uploaded at its size', async () => {
    const bobs = await uploaded(bob, 10);
    await expect(put(alice, [bobs], 0)).rejects.toThrow(
      `Backup chunk ${bobs} is not among your backup chunks`,
    );

    const { chunkId: never } = await createChunkUpload(deps)(alice, 10);
    await expect(put(alice, [never], 0)).rejects.toThrow('not uploaded at the size reserved');
    deps.backupObjects.upload('alice', never, 9);
    await expect(put(alice, [never], 0)).rejects.toThrow(ConflictError);
    expect(await getBackup(deps)(alice)).toEqual({ backup: null });
  });

  it('refuses a list naming a chunk twice or without its index chunk', async () => {
    const [one, two] = [await uploaded(alice, 10), await uploaded(alice, 10)];

    await expect(put(alice, [one, one], 0)).rejects.toThrow(ValidationError);
    await expect(put(alice, [two], 0, one)).rejects.toThrow('indexChunkId must be one of chunkIds');
  });

  it('deletes the chunks a new head drops, objects and records, and gives their bytes back', async () => {
    const [oldIndex, data] = [await uploaded(alice, 100), await uploaded(alice, 200)];
    await put(alice, [oldIndex, data], 0);
    const newIndex = await uploaded(alice, 50);

    const written = await put(alice, [newIndex, data], 1);

    expect(written).toMatchObject({ version: 2, chunkIds: [newIndex, data], bytes: 250 });
    expect(deps.backupObjects.has('alice', oldIndex)).toBe(false);
    expect(deps.backupObjects.has('alice', data)).toBe(true);
    await expect(getChunk(deps)(alice, oldIndex)).rejects.toThrow(NotFoundError);
    expect(await deps.backups.usage('alice')).toEqual({ bytes: 250, pendingChunks: 0 });
  });

  it('links a chunk of the caller’s, pending or listed, and no other user’s', async () => {
    const pending = await uploaded(alice, 10);

    const link = await getChunk(deps)(alice, pending);

    expect(link).toEqual({
      chunkId: pending,
      size: 10,
      url: `memory://backups/alice/${pending}?expires=${T0 + ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS * 1000}`,
      expiresAt: new Date(T0 + ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS * 1000).toISOString(),
    });
    await expect(getChunk(deps)(bob, pending)).rejects.toThrow(NotFoundError);
  });

  it('deletes the head and every chunk, listed or pending; deleting again is fine', async () => {
    const listed = await uploaded(alice, 10);
    await put(alice, [listed], 0);
    const pending = await uploaded(alice, 20);
    const bobs = await uploaded(bob, 5);

    await deleteBackup(deps)(alice);
    await deleteBackup(deps)(alice);

    expect(await getBackup(deps)(alice)).toEqual({ backup: null });
    expect(await deps.backups.listChunks('alice')).toEqual([]);
    expect(deps.backupObjects.has('alice', listed) || deps.backupObjects.has('alice', pending)).toBe(false);
    expect(await deps.backups.usage('alice')).toEqual({ bytes: 0, pendingChunks: 0 });
    expect(deps.backupObjects.has('bob', bobs)).toBe(true);
  });

  describe('the sweep', () => {
    const sweep = () => sweepBackupChunks(deps)();

    it('deletes a chunk no backup listed a day after its slot, not before, and gives its place back', async () => {
      const orphan = await uploaded(alice, 10);

      vi.advanceTimersByTime(UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS - 1);
      expect(await sweep()).toEqual({ deleted: 0, kept: 0 });
      vi.advanceTimersByTime(1);
      expect(await sweep()).toEqual({ deleted: 1, kept: 0 });

      expect(deps.backupObjects.has('alice', orphan)).toBe(false);
      expect(await deps.backups.getChunks('alice', [orphan])).toEqual([]);
      expect(await deps.backups.usage('alice')).toEqual({ bytes: 0, pendingChunks: 0 });
      expect(await sweep()).toEqual({ deleted: 0, kept: 0 });
    });

    it('keeps a chunk the stored head lists, even one a head write left due', async () => {
      const chunk = await uploaded(alice, 10);
      await put(alice, [chunk], 0);
      // As if the write died between the head and settling its chunks.
      await deps.backups.hold('alice', [chunk], T0);

      expect(await sweep()).toEqual({ deleted: 0, kept: 1 });
      // Its entry from the slot falls due too, and is dropped the same way.
      vi.advanceTimersByTime(2 * UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS);
      expect(await sweep()).toEqual({ deleted: 0, kept: 1 });
      expect(await sweep()).toEqual({ deleted: 0, kept: 0 });

      expect(deps.backupObjects.has('alice', chunk)).toBe(true);
      await expect(getChunk(deps)(alice, chunk)).resolves.toMatchObject({ size: 10 });
    });

    it('does not take a chunk a head write holds, and takes it a day later if no head lists it', async () => {
      const chunk = await uploaded(alice, 10);
      vi.advanceTimersByTime(UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS - HOUR_IN_MS);
      // A write about to list it holds it (and then loses its race: no head lists it).
      await deps.backups.hold('alice', [chunk], Date.now() + UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS);

      vi.advanceTimersByTime(HOUR_IN_MS);
      expect(await sweep()).toEqual({ deleted: 0, kept: 0 });
      expect(deps.backupObjects.has('alice', chunk)).toBe(true);

      vi.advanceTimersByTime(UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS);
      expect(await sweep()).toEqual({ deleted: 1, kept: 0 });
      expect(deps.backupObjects.has('alice', chunk)).toBe(false);
    });

    it('finishes what a failed write left: a dropped chunk no stored head lists', async () => {
      const [first, second] = [await uploaded(alice, 10), await uploaded(alice, 10)];
      await put(alice, [first, second], 0);
      // A write that dropped `second` made it due, then died before deleting it.
      await put(alice, [first], 1);
      deps.backupObjects.upload('alice', second, 10);
      await deps.backups.reserve(
        'alice',
        { chunkId: second, size: 10, createdAt: T0, pending: false, dueAt: T0 },
        { maxBytes: 1000, maxPendingChunks: 3 },
      );
      await deps.backups.settle('alice', [second]);
      await deps.backups.hold('alice', [second], T0);

      expect(await sweep()).toEqual({ deleted: 1, kept: 0 });
      expect(deps.backupObjects.has('alice', second)).toBe(false);
      expect(deps.backupObjects.has('alice', first)).toBe(true);
    });
  });
});
