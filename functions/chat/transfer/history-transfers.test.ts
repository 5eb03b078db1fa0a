import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HistoryTransfer } from '../../../shared/protocol/history-transfer';
import {
  ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS,
  HISTORY_TRANSFER_LIFETIME_IN_MS,
  MAX_HISTORY_CHUNK_SIZE_IN_BYTES,
  MAX_HISTORY_CHUNKS_PER_TRANSFER,
  MAX_HISTORY_TRANSFER_SIZE_IN_BYTES,
} from '../../../shared/protocol/limits';
import { type MemoryDeps, memoryDeps, rateLimiterWith } from '../../../test/support/fixtures';
import { InMemoryDeviceDirectory } from '../../adapters/memory/memory-device-directory';
import {
  ConflictError,
  ForbiddenError,
  LimitReachedError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
} from '../../errors';
import type { FanoutJob } from '../../ports/fanout-queue';
import { revokeDevice } from '../device/revoke-device';
import { announceHistoryChunk } from './announce-history-chunk';
import { cancelHistoryTransfer } from './cancel-history-transfer';
import { confirmHistoryChunks } from './confirm-history-chunks';
import { createHistoryChunkUpload } from './create-history-chunk-upload';
import { getHistoryChunk } from './get-history-chunk';
import { getHistoryTransfer } from './get-history-transfer';
import { listHistoryTransfers } from './list-history-transfers';
import { approveHistoryTransfer, offerHistoryTransfer } from './offer-history-transfer';
import { requestHistoryTransfer } from './request-history-transfer';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const alice = { userId: 'alice', correlationId: 'req-a' };
const bob = { userId: 'bob', correlationId: 'req-b' };
const asked = { fromDeviceId: 'laptop', toDeviceId: 'browser', request: 'cmVxdWVzdA==' };

describe('history transfers', () => {
  let deps: MemoryDeps & { devices: InMemoryDeviceDirectory };

  const register = async (userId: string, deviceId: string) => {
    await deps.devices.registerIfAbsent({
      userId,
      deviceId,
      signaturePublicKey: new Uint8Array(32),
      createdAt: T0,
    });
  };
  /** The `history-transfer` pushes queued so far, as the transfers they carry. */
  const pushes = () =>
    deps.fanout.jobs.flatMap((job: FanoutJob) =>
      job.kind === 'users' && job.frame.type === 'history-transfer'
        ? [{ userIds: job.userIds, transfer: job.frame.transfer }]
        : [],
    );
  const request = () => requestHistoryTransfer(deps)(alice, asked);
  const approved = async (): Promise<HistoryTransfer> => {
    const { transferId } = await request();
    await offerHistoryTransfer(deps)(alice, transferId, 'b2ZmZXI=');
    return approveHistoryTransfer(deps)(alice, transferId, 'a2V5');
  };
  /** Uploads and announces chunk `index` of `size` bytes. */
  const sendChunk = async (transferId: string, index: number, size: number, final = false) => {
    deps.historyChunkObjects.upload(`${transferId}/${index}`, size);
    return announceHistoryChunk(deps)(alice, transferId, { index, size, descriptor: `ZA${index}=`, final });
  };

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = { ...memoryDeps(), devices: new InMemoryDeviceDirectory() };
    await register('alice', 'laptop');
    await register('alice', 'browser');
    await register('bob', 'phone');
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('walks requested → offered → approved → sent → done, pushing each step to the user alone', async () => {
    const requested = await request();
    const { transferId } = requested;
    expect(requested).toEqual({
      transferId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      ...asked,
      state: 'requested',
      chunks: 0,
      bytes: 0,
      received: 0,
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + HISTORY_TRANSFER_LIFETIME_IN_MS).toISOString(),
    });
    vi.advanceTimersByTime(1000);
    await offerHistoryTransfer(deps)(alice, transferId, 'b2ZmZXI=');
    await approveHistoryTransfer(deps)(alice, transferId, 'a2V5');
    await sendChunk(transferId, 0, 100);
    await confirmHistoryChunks(deps)(alice, transferId, 1);
    const sent = await sendChunk(transferId, 1, 50, true);
    expect(sent).toMatchObject({ state: 'sent', chunks: 2, bytes: 150, received: 1 });
    const done = await confirmHistoryChunks(deps)(alice, transferId, 2);

    expect(done).toMatchObject({ state: 'done', received: 2, updatedAt: new Date(T0 + 1000).toISOString() });
    // Received whole, the chunks have served: deleted at once.
    expect(deps.historyChunkObjects.deleted).toEqual([`${transferId}/0`, `${transferId}/1`]);
    expect(
      pushes().map((push) => [push.transfer.state, push.transfer.chunks, push.transfer.received]),
    ).toEqual([
      ['requested', 0, 0],
      ['offered', 0, 0],
      ['approved', 0, 0],
      ['approved', 1, 0],
      ['approved', 1, 1],
      ['sent', 2, 1],
      ['done', 2, 2],
    ]);
    expect(new Set(pushes().map((push) => push.userIds.join()))).toEqual(new Set(['alice']));
    expect(await getHistoryTransfer(deps)(alice, transferId)).toEqual(done);
    // Every change counted against the caller's `write` allowance.
    expect(deps.rateLimiter.countOf('alice', 'write', Date.now())).toBe(7);
  });

  it('refuses each step out of its order with a conflict, changing nothing', async () => {
    const { transferId } = await request();

    await expect(approveHistoryTransfer(deps)(alice, transferId, 'a2V5')).rejects.toThrow(ConflictError);
    await expect(createHistoryChunkUpload(deps)(alice, transferId, 0, 10)).rejects.toThrow(ConflictError);
    await expect(confirmHistoryChunks(deps)(alice, transferId, 0)).rejects.toThrow(ConflictError);
    await offerHistoryTransfer(deps)(alice, transferId, 'b2ZmZXI=');
    await expect(offerHistoryTransfer(deps)(alice, transferId, 'b2ZmZXI=')).rejects.toThrow(ConflictError);
    expect(await getHistoryTransfer(deps)(alice, transferId)).toMatchObject({
      state: 'offered',
      offer: 'b2ZmZXI=',
    });
  });

  it('refuses devices that are not the caller’s as unknown, and revoked ones by name', async () => {
    await expect(requestHistoryTransfer(deps)(bob, asked)).rejects.toThrow(NotFoundError);
    await expect(requestHistoryTransfer(deps)(alice, { ...asked, fromDeviceId: 'phone' })).rejects.toThrow(
      'You have no device phone',
    );
    await deps.devices.revoke('alice', 'laptop', T0);

    await expect(request()).rejects.toThrow(new ForbiddenError('Device laptop is revoked'));
    expect(await listHistoryTransfers(deps)(alice)).toEqual({ items: [] });
  });

  it('hides a transfer from another user', async () => {
    const { transferId } = await approved();
    await sendChunk(transferId, 0, 10);

    await expect(getHistoryTransfer(deps)(bob, transferId)).rejects.toThrow(NotFoundError);
    await expect(offerHistoryTransfer(deps)(bob, transferId, 'b2ZmZXI=')).rejects.toThrow(NotFoundError);
    await expect(getHistoryChunk(deps)(bob, transferId, 0)).rejects.toThrow(NotFoundError);
    await expect(confirmHistoryChunks(deps)(bob, transferId, 1)).rejects.toThrow(NotFoundError);
    await expect(cancelHistoryTransfer(deps)(bob, transferId)).rejects.toThrow(NotFoundError);
    expect(await listHistoryTransfers(deps)(bob)).toEqual({ items: [] });
  });

  it('allows historyTransfersPerUser open transfers; a finished one frees its slot', async () => {
    deps = { ...deps, caps: { ...deps.caps, historyTransfersPerUser: 2 } };
    const first = await request();
    await request();

    await expect(request()).rejects.toThrow(LimitReachedError);
    await cancelHistoryTransfer(deps)(alice, first.transferId);
    await expect(request()).resolves.toMatchObject({ state: 'requested' });
  });

  it('forms an upload for the next chunk only, as often as asked, within the transfer’s limits', async () => {
    const { transferId } = await approved();
    const form = await createHistoryChunkUpload(deps)(alice, transferId, 0, 10);

    expect(form).toEqual({
      url: 'memory://history',
      fields: {
        key: `history/${transferId}/0`,
        size: '10',
        expires: String(T0 + ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS * 1000),
      },
      expiresAt: new Date(T0 + ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS * 1000).toISOString(),
    });
    expect(await createHistoryChunkUpload(deps)(alice, transferId, 0, 12)).toMatchObject({
      fields: { key: `history/${transferId}/0`, size: '12' },
    });
    await expect(createHistoryChunkUpload(deps)(alice, transferId, 1, 10)).rejects.toThrow(ConflictError);
    const record = await deps.historyTransfers.get('alice', transferId);
    await deps.historyTransfers.addChunk(
      'alice',
      transferId,
      { index: 0, size: MAX_HISTORY_TRANSFER_SIZE_IN_BYTES - 5, descriptor: 'ZA==', final: false },
      T0,
    );
    expect(record?.bytes).toBe(0);
    await expect(createHistoryChunkUpload(deps)(alice, transferId, 1, 6)).rejects.toThrow(
      expect.objectContaining({ cap: 'historyTransferSize' }),
    );
    await expect(createHistoryChunkUpload(deps)(alice, transferId, 1, 5)).resolves.toBeDefined();
  });

  it(`stops a transfer at ${MAX_HISTORY_CHUNKS_PER_TRANSFER} chunks`, async () => {
    const { transferId } = await approved();
    for (let index = 0; index < MAX_HISTORY_CHUNKS_PER_TRANSFER; index += 1) {
      await deps.historyTransfers.addChunk(
        'alice',
        transferId,
        { index, size: 1, descriptor: 'ZA==', final: false },
        T0,
      );
    }

    await expect(
      createHistoryChunkUpload(deps)(alice, transferId, MAX_HISTORY_CHUNKS_PER_TRANSFER, 1),
    ).rejects.toThrow(expect.objectContaining({ cap: 'historyTransferChunks' }));
    expect(MAX_HISTORY_CHUNK_SIZE_IN_BYTES).toBeGreaterThan(1024 * 1024);
  });

  it('counts a chunk only once its object is stored at its exact size', async () => {
    const { transferId } = await approved();
    const announce = (size: number) =>
      announceHistoryChunk(deps)(alice, transferId, { index: 0, size, descriptor: 'ZDA=', final: false });

    await expect(announce(10)).rejects.toThrow(new ConflictError('Chunk 0 was not uploaded'));
    deps.historyChunkObjects.upload(`${transferId}/0`, 9);
    await expect(announce(10)).rejects.toThrow(ConflictError);
    deps.historyChunkObjects.upload(`${transferId}/0`, 10);
    expect(await announce(10)).toMatchObject({ chunks: 1, bytes: 10 });
  });

  it('answers a retried announcement of the last chunk as the transfer is, and refuses any other', async () => {
    const { transferId } = await approved();
    await sendChunk(transferId, 0, 10);
    const sent = await sendChunk(transferId, 1, 20, true);
    const pushed = pushes().length;

    expect(await sendChunk(transferId, 1, 20, true)).toEqual(sent);
    expect(pushes()).toHaveLength(pushed);
    await expect(sendChunk(transferId, 0, 10)).rejects.toThrow(ConflictError);
    await expect(
      announceHistoryChunk(deps)(alice, transferId, {
        index: 1,
        size: 20,
        descriptor: 'b3RoZXI=',
        final: true,
      }),
    ).rejects.toThrow(ConflictError);
    await expect(sendChunk(transferId, 2, 5, true)).rejects.toThrow(ConflictError);
    expect(await getHistoryTransfer(deps)(alice, transferId)).toMatchObject({ chunks: 2, bytes: 30 });
  });

  it('links announced chunks only, with their size and descriptor', async () => {
    const { transferId } = await approved();
    await sendChunk(transferId, 0, 10);

    expect(await getHistoryChunk(deps)(alice, transferId, 0)).toEqual({
      url: expect.stringContaining(`memory://history/${transferId}/0`),
      size: 10,
      descriptor: 'ZA0=',
    });
    await expect(getHistoryChunk(deps)(alice, transferId, 1)).rejects.toThrow(NotFoundError);
  });

  it('keeps received growing only, and never past the chunks', async () => {
    const { transferId } = await approved();
    await sendChunk(transferId, 0, 10);
    await sendChunk(transferId, 1, 10);
    await confirmHistoryChunks(deps)(alice, transferId, 2);
    const pushed = pushes().length;

    expect(await confirmHistoryChunks(deps)(alice, transferId, 1)).toMatchObject({ received: 2 });
    expect(pushes()).toHaveLength(pushed);
    await expect(confirmHistoryChunks(deps)(alice, transferId, 3)).rejects.toThrow(ValidationError);
  });

  it('cancels an open transfer once and deletes its chunks; a finished one stays as it is', async () => {
    const { transferId } = await approved();
    await sendChunk(transferId, 0, 10);
    await sendChunk(transferId, 1, 10);

    await cancelHistoryTransfer(deps)(alice, transferId);
    await cancelHistoryTransfer(deps)(alice, transferId);

    expect(deps.historyChunkObjects.deleted).toEqual(
      expect.arrayContaining([`${transferId}/0`, `${transferId}/1`, `${transferId}/2`]),
    );
    expect(pushes().filter((push) => push.transfer.state === 'cancelled')).toHaveLength(1);
    await expect(offerHistoryTransfer(deps)(alice, transferId, 'b2ZmZXI=')).rejects.toThrow(ConflictError);
    await expect(getHistoryChunk(deps)(alice, transferId, 0)).rejects.toThrow(NotFoundError);

    const done = await approved();
    await sendChunk(done.transferId, 0, 10, true);
    await confirmHistoryChunks(deps)(alice, done.transferId, 1);
    const deletedWhenDone = [...deps.historyChunkObjects.deleted];
    await cancelHistoryTransfer(deps)(alice, done.transferId);
    expect(await getHistoryTransfer(deps)(alice, done.transferId)).toMatchObject({ state: 'done' });
    expect(deps.historyChunkObjects.deleted).toEqual(deletedWhenDone);
  });

  it('forgets a transfer once it expires: every route answers as for none', async () => {
    const { transferId } = await approved();
    vi.advanceTimersByTime(HISTORY_TRANSFER_LIFETIME_IN_MS - 1);
    await expect(getHistoryTransfer(deps)(alice, transferId)).resolves.toBeDefined();
    vi.advanceTimersByTime(1);

    await expect(getHistoryTransfer(deps)(alice, transferId)).rejects.toThrow(NotFoundError);
    await expect(createHistoryChunkUpload(deps)(alice, transferId, 0, 10)).rejects.toThrow(NotFoundError);
    await expect(cancelHistoryTransfer(deps)(alice, transferId)).rejects.toThrow(NotFoundError);
    expect(await listHistoryTransfers(deps)(alice)).toEqual({ items: [] });
    // Its slot is free again.
    deps = { ...deps, caps: { ...deps.caps, historyTransfersPerUser: 1 } };
    await expect(request()).resolves.toMatchObject({ state: 'requested' });
  });

  it('cancels the open transfers of a device when it is revoked, and refuses their next step', async () => {
    const { transferId } = await approved();
    await register('alice', 'tablet');
    const other = await requestHistoryTransfer(deps)(alice, { ...asked, fromDeviceId: 'tablet' });

    await revokeDevice(deps)(alice, 'browser');

    expect(await getHistoryTransfer(deps)(alice, transferId)).toMatchObject({ state: 'cancelled' });
    expect(await getHistoryTransfer(deps)(alice, other.transferId)).toMatchObject({ state: 'cancelled' });
    expect(
      pushes()
        .filter((push) => push.transfer.state === 'cancelled')
        .map((push) => push.transfer.transferId)
        .sort(),
    ).toEqual([transferId, other.transferId].sort());
    deps.historyChunkObjects.upload(`${transferId}/0`, 10);
    await expect(
      announceHistoryChunk(deps)(alice, transferId, { index: 0, size: 10, descriptor: 'ZA==', final: false }),
    ).rejects.toThrow(ForbiddenError);
  });

  it('leaves the transfers of other devices open when one is revoked', async () => {
    const { transferId } = await request();
    await register('alice', 'tablet');

    await revokeDevice(deps)(alice, 'tablet');

    expect(await getHistoryTransfer(deps)(alice, transferId)).toMatchObject({ state: 'requested' });
  });

  it('counts every change against the write allowance, refusing past it', async () => {
    deps = { ...deps, rateLimiter: rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } }) };
    const { transferId } = await request();

    await expect(offerHistoryTransfer(deps)(alice, transferId, 'b2ZmZXI=')).rejects.toThrow(RateLimitedError);
    expect(await getHistoryTransfer(deps)(alice, transferId)).toMatchObject({ state: 'requested' });
  });
});
