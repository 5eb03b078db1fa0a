import type { HistoryTransfer } from '../../../shared/protocol/history-transfer';
import type { HistoryTransferStore } from '../../ports/history-transfer-store';
import type { Caller } from '../access';
import { liveTransfer, transferView } from './transfer-rules';

export interface GetHistoryTransferDeps {
  readonly historyTransfers: Pick<HistoryTransferStore, 'get'>;
  readonly clock: () => number;
}

/** One of the caller's unexpired transfers, whatever its state; any other id is not found. */
export function getHistoryTransfer(deps: GetHistoryTransferDeps) {
  return async (caller: Pick<Caller, 'userId'>, transferId: string): Promise<HistoryTransfer> =>
    transferView(await liveTransfer(deps, caller, transferId, deps.clock()));
}
