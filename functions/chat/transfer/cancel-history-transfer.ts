import type { HistoryChunkObjects } from '../../ports/attachment-objects';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { HistoryTransferStore } from '../../ports/history-transfer-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { historyChunkId } from '../mls/blob-keys';
import { liveTransfer, pushTransfer } from './transfer-rules';

export interface CancelHistoryTransferDeps {
  readonly historyTransfers: Pick<HistoryTransferStore, 'get' | 'cancel'>;
  readonly historyChunkObjects: Pick<HistoryChunkObjects, 'delete'>;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * Cancels one of the caller's transfers, from either device. Revoked devices do not stop it: ending a
 * transfer gives nobody anything (and a revocation has cancelled it already).
 * 1. Count the request (`write`) and find the caller's live transfer.
 * 2. An open one becomes `cancelled` (a conditional write) and is pushed; a finished one stays as it is.
 * 3. A cancelled transfer's chunk objects are deleted, now or again: the uploaded ones and the one that may
 *    have been uploaded without being announced. The bucket's lifecycle rule is the backstop.
 */
export function cancelHistoryTransfer(deps: CancelHistoryTransferDeps) {
  return async (caller: Caller, transferId: string): Promise<void> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const transfer = await liveTransfer(deps, caller, transferId, now);
    const cancelled = await deps.historyTransfers.cancel(caller.userId, transferId, now);
    if (cancelled) await pushTransfer(deps.fanout, caller, cancelled);
    const latest = cancelled ?? (await deps.historyTransfers.get(caller.userId, transferId)) ?? transfer;
    if (latest.state !== 'cancelled') return;
    const chunkIds = Array.from({ length: latest.chunks + 1 }, (_, index) =>
      historyChunkId(transferId, index),
    );
    await deps.historyChunkObjects.delete(chunkIds);
  };
}
