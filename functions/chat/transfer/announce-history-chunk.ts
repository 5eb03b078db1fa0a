import type { HistoryTransfer } from '../../../shared/protocol/history-transfer';
import { ConflictError } from '../../errors';
import type { HistoryChunkObjects } from '../../ports/attachment-objects';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { HistoryTransferRecord, HistoryTransferStore } from '../../ports/history-transfer-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { historyChunkId } from '../mls/blob-keys';
import { requireNextChunk } from './create-history-chunk-upload';
import { pushTransfer, transferView, usableTransfer } from './transfer-rules';

export interface AnnounceHistoryChunkDeps {
  readonly historyTransfers: Pick<HistoryTransferStore, 'get' | 'addChunk' | 'keepChunk'>;
  readonly devices: Pick<DeviceDirectory, 'get'>;
  readonly historyChunkObjects: Pick<HistoryChunkObjects, 'sizeOf'>;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

export interface HistoryChunkAnnouncement {
  readonly index: number;
  readonly size: number;
  readonly descriptor: string;
  readonly final: boolean;
}

/**
 * The old device announces a chunk it uploaded: the transfer counts it, and the last one (`final`) makes
 * the transfer `sent`.
 * 1. Count the request (`write`), find the caller's live transfer, and check both its devices are unrevoked.
 * 2. The last chunk announced again with the same descriptor is a retry: answer the transfer as it is
 *    (keeping the chunk's descriptor once more, should the first request have ended before it did).
 * 3. Only the next chunk of an approved transfer, within its limits, and only once its object is stored
 *    at exactly its size.
 * 4. Count it with a conditional write (of two racing announcements, one counts), then push the transfer.
 */
export function announceHistoryChunk(deps: AnnounceHistoryChunkDeps) {
  return async (
    caller: Caller,
    transferId: string,
    chunk: HistoryChunkAnnouncement,
  ): Promise<HistoryTransfer> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const transfer = await usableTransfer(deps, caller, transferId, now);
    if (isRetry(transfer, chunk)) return retried(deps, transfer);
    requireNextChunk(transfer, chunk.index, chunk.size);
    const stored = await deps.historyChunkObjects.sizeOf(historyChunkId(transferId, chunk.index));
    if (stored !== chunk.size) {
      throw new ConflictError(
        stored === undefined
          ? `Chunk ${chunk.index} was not uploaded`
          : `Chunk ${chunk.index} was not uploaded at ${chunk.size} bytes`,
      );
    }
    const counted = await deps.historyTransfers.addChunk(caller.userId, transferId, chunk, now);
    if (!counted) {
      const latest = await deps.historyTransfers.get(caller.userId, transferId);
      if (latest && isRetry(latest, chunk)) return retried(deps, latest);
      throw new ConflictError(`Chunk ${chunk.index} was announced by another request`);
    }
    await pushTransfer(deps.fanout, caller, counted);
    return transferView(counted);
  };
}

/** The last counted chunk, announced again the same: a retry (of a request whose answer was lost). */
function isRetry(transfer: HistoryTransferRecord, chunk: HistoryChunkAnnouncement): boolean {
  const last = transfer.lastChunk;
  return (
    transfer.state !== 'cancelled' &&
    last !== undefined &&
    last.index === chunk.index &&
    last.size === chunk.size &&
    last.descriptor === chunk.descriptor
  );
}

async function retried(
  deps: AnnounceHistoryChunkDeps,
  transfer: HistoryTransferRecord,
): Promise<HistoryTransfer> {
  if (transfer.lastChunk) {
    await deps.historyTransfers.keepChunk(
      transfer.userId,
      transfer.transferId,
      transfer.lastChunk,
      transfer.expiresAt,
    );
  }
  return transferView(transfer);
}
