import type { HistoryChunkUploadSlot } from '../../../shared/api/route-responses';
import {
  ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS,
  MAX_HISTORY_CHUNKS_PER_TRANSFER,
  MAX_HISTORY_TRANSFER_SIZE_IN_BYTES,
} from '../../../shared/protocol/limits';
import { ConflictError, LimitReachedError } from '../../errors';
import type { HistoryChunkObjects } from '../../ports/attachment-objects';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { HistoryTransferRecord, HistoryTransferStore } from '../../ports/history-transfer-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { historyChunkId } from '../mls/blob-keys';
import { usableTransfer } from './transfer-rules';

export interface CreateHistoryChunkUploadDeps {
  readonly historyTransfers: Pick<HistoryTransferStore, 'get'>;
  readonly devices: Pick<DeviceDirectory, 'get'>;
  readonly historyChunkObjects: Pick<HistoryChunkObjects, 'uploadForm'>;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * A form that uploads the next chunk of an approved transfer: exactly `size` bytes under the chunk's own
 * key. Asking again for the same chunk gives a fresh form for the same key (the retry of an upload).
 * 1. Count the request (`write`), find the caller's live transfer, and check both its devices are unrevoked.
 * 2. Only while `approved`, only for the next chunk, and within the transfer's limits.
 * 3. Sign the form until the upload window closes.
 */
export function createHistoryChunkUpload(deps: CreateHistoryChunkUploadDeps) {
  return async (
    caller: Caller,
    transferId: string,
    index: number,
    size: number,
  ): Promise<HistoryChunkUploadSlot> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const transfer = await usableTransfer(deps, caller, transferId, now);
    requireNextChunk(transfer, index, size);
    const expiresAt = now + ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS * 1000;
    const form = await deps.historyChunkObjects.uploadForm(
      historyChunkId(transferId, index),
      size,
      expiresAt,
    );
    return { url: form.url, fields: { ...form.fields }, expiresAt: new Date(expiresAt).toISOString() };
  };
}

/** Refuses a chunk that is not the next one of an approved transfer, or that would take it past its limits. */
export function requireNextChunk(transfer: HistoryTransferRecord, index: number, size: number): void {
  if (transfer.state !== 'approved') {
    throw new ConflictError(`The history transfer is ${transfer.state}: it takes chunks only while approved`);
  }
  if (index !== transfer.chunks) {
    throw new ConflictError(`Chunk ${index} is not the next one: chunk ${transfer.chunks} is`);
  }
  if (index >= MAX_HISTORY_CHUNKS_PER_TRANSFER) {
    throw new LimitReachedError(
      'historyTransferChunks',
      MAX_HISTORY_CHUNKS_PER_TRANSFER,
      'The history transfer has as many chunks as allowed',
    );
  }
  if (transfer.bytes + size > MAX_HISTORY_TRANSFER_SIZE_IN_BYTES) {
    throw new LimitReachedError(
      'historyTransferSize',
      MAX_HISTORY_TRANSFER_SIZE_IN_BYTES,
      `${size} more bytes would take the history transfer past its size`,
    );
  }
}
