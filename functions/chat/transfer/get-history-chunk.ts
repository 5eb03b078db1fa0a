import type { HistoryChunkLink } from '../../../shared/api/route-responses';
import { ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS } from '../../../shared/protocol/limits';
import { NotFoundError } from '../../errors';
import type { HistoryChunkObjects } from '../../ports/attachment-objects';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { HistoryTransferStore } from '../../ports/history-transfer-store';
import type { Caller } from '../access';
import { historyChunkId } from '../mls/blob-keys';
import { usableTransfer } from './transfer-rules';

export interface GetHistoryChunkDeps {
  readonly historyTransfers: Pick<HistoryTransferStore, 'get' | 'chunk'>;
  readonly devices: Pick<DeviceDirectory, 'get'>;
  readonly historyChunkObjects: Pick<HistoryChunkObjects, 'downloadUrl'>;
  readonly clock: () => number;
}

/**
 * A short-lived link to an announced chunk, with its size and the old device's descriptor of it.
 * 1. Find the caller's live transfer, and check both its devices are unrevoked.
 * 2. Only an announced chunk of a transfer not cancelled (a cancelled one's chunks are deleted).
 * 3. Sign a GET of its object for a few minutes.
 */
export function getHistoryChunk(deps: GetHistoryChunkDeps) {
  return async (caller: Caller, transferId: string, index: number): Promise<HistoryChunkLink> => {
    const now = deps.clock();
    const transfer = await usableTransfer(deps, caller, transferId, now);
    const chunk =
      transfer.state === 'cancelled' || index >= transfer.chunks
        ? undefined
        : ((await deps.historyTransfers.chunk(caller.userId, transferId, index)) ??
          (transfer.lastChunk?.index === index ? transfer.lastChunk : undefined));
    if (!chunk) throw new NotFoundError(`The history transfer has no chunk ${index}`);
    const expiresAt = now + ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS * 1000;
    return {
      url: await deps.historyChunkObjects.downloadUrl(historyChunkId(transferId, index), expiresAt),
      size: chunk.size,
      descriptor: chunk.descriptor,
    };
  };
}
