import type { HistoryTransfer } from '../../../shared/protocol/history-transfer';
import { ConflictError } from '../../errors';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { HistoryTransferStore } from '../../ports/history-transfer-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { pushTransfer, transferView, usableTransfer } from './transfer-rules';

export interface OfferHistoryTransferDeps {
  readonly historyTransfers: Pick<HistoryTransferStore, 'get' | 'offer' | 'approve'>;
  readonly devices: Pick<DeviceDirectory, 'get'>;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * The old device offers its history (`requested` → `offered`), or approves the transfer (`offered` →
 * `approved`): the two steps differ only in their state and their opaque field.
 * 1. Count the request (`write`), find the caller's live transfer, and check both its devices are unrevoked.
 * 2. Make the change with a conditional write: a transfer that has left the state meanwhile is a conflict.
 * 3. Push the transfer to the caller's devices.
 */
function step(
  deps: OfferHistoryTransferDeps,
  from: 'requested' | 'offered',
  change: (
    userId: string,
    transferId: string,
    value: string,
    now: number,
  ) => ReturnType<HistoryTransferStore['offer']>,
) {
  return async (caller: Caller, transferId: string, value: string): Promise<HistoryTransfer> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const transfer = await usableTransfer(deps, caller, transferId, now);
    const changed = transfer.state === from ? await change(caller.userId, transferId, value, now) : undefined;
    if (!changed) {
      const state = (await deps.historyTransfers.get(caller.userId, transferId))?.state ?? transfer.state;
      throw new ConflictError(`The history transfer is ${state}, not ${from}`);
    }
    await pushTransfer(deps.fanout, caller, changed);
    return transferView(changed);
  };
}

/** `requested` → `offered`, with the old device's opaque offer. */
export function offerHistoryTransfer(deps: OfferHistoryTransferDeps) {
  return step(deps, 'requested', (...args) => deps.historyTransfers.offer(...args));
}

/** `offered` → `approved`, with the old device's opaque approval (the sealed key). */
export function approveHistoryTransfer(deps: OfferHistoryTransferDeps) {
  return step(deps, 'offered', (...args) => deps.historyTransfers.approve(...args));
}
