import type { HistoryTransfer } from '../../../shared/protocol/history-transfer';
import { MAX_LISTED_HISTORY_TRANSFERS } from '../../../shared/protocol/limits';
import type { HistoryTransferStore } from '../../ports/history-transfer-store';
import type { Caller } from '../access';
import { transferView } from './transfer-rules';

export interface ListHistoryTransfersDeps {
  readonly historyTransfers: Pick<HistoryTransferStore, 'list'>;
  readonly clock: () => number;
}

/** The caller's unexpired transfers, newest first: every open one, then the newest finished ones, bounded. */
export function listHistoryTransfers(deps: ListHistoryTransfersDeps) {
  return async (caller: Pick<Caller, 'userId'>): Promise<{ items: HistoryTransfer[] }> => {
    const records = await deps.historyTransfers.list(
      caller.userId,
      deps.clock(),
      MAX_LISTED_HISTORY_TRANSFERS,
    );
    return { items: records.map(transferView) };
  };
}
