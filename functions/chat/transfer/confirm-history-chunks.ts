import type { HistoryTransfer } from '../../../shared/protocol/history-transfer';
import { ConflictError, ValidationError } from '../../errors';
import type { HistoryChunkObjects } from '../../ports/attachment-objects';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { HistoryTransferStore } from '../../ports/history-transfer-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { historyChunkId } from '../mls/blob-keys';
import { pushTransfer, transferView, usableTransfer } from './transfer-rules';

export interface ConfirmHistoryChunksDeps {
  readonly historyTransfers: Pick<HistoryTransferStore, 'get' | 'confirm'>;
  readonly historyChunkObjects: Pick<HistoryChunkObjects, 'delete'>;
  readonly devices: Pick<DeviceDirectory, 'get'>;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * The new device confirms it holds the first `received` chunks: the old device sees the progress, and a
 * sent transfer received whole is done.
 * 1. Count the request (`write`), find the caller's live transfer, and check both its devices are unrevoked.
 * 2. Only while `approved` or `sent`, and never beyond the chunks announced.
 * 3. Raise the count (a smaller one than stored changes nothing), and push the transfer when it changed.
 * 4. Done: the chunks have served, and are deleted at once (the bucket's lifecycle rule is the backstop).
 */
export function confirmHistoryChunks(deps: ConfirmHistoryChunksDeps) {
  return async (caller: Caller, transferId: string, received: number): Promise<HistoryTransfer> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const transfer = await usableTransfer(deps, caller, transferId, now);
    if (transfer.state !== 'approved' && transfer.state !== 'sent') {
      throw new ConflictError(`The history transfer is ${transfer.state}: nothing is received now`);
    }
    if (received > transfer.chunks) {
      throw new ValidationError(`received must be at most ${transfer.chunks}, the chunks announced`);
    }
    const confirmed =
      (await deps.historyTransfers.confirm(caller.userId, transferId, received, now)) ?? transfer;
    const changed = confirmed.received !== transfer.received || confirmed.state !== transfer.state;
    if (changed) await pushTransfer(deps.fanout, caller, confirmed);
    if (confirmed.state === 'done') {
      await deps.historyChunkObjects.delete(
        Array.from({ length: confirmed.chunks }, (_, index) => historyChunkId(transferId, index)),
      );
    }
    return transferView(confirmed);
  };
}
