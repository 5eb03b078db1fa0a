import { randomBytes } from 'node:crypto';
import type { HistoryTransfer } from '../../../shared/protocol/history-transfer';
import { HISTORY_TRANSFER_LIFETIME_IN_MS } from '../../../shared/protocol/limits';
import type { Caps } from '../../caps';
import { LimitReachedError } from '../../errors';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { HistoryTransferRecord, HistoryTransferStore } from '../../ports/history-transfer-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { pushTransfer, requireUsableDevices, transferView } from './transfer-rules';

export interface RequestHistoryTransferDeps {
  readonly historyTransfers: Pick<HistoryTransferStore, 'open'>;
  readonly devices: Pick<DeviceDirectory, 'get'>;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly caps: Pick<Caps, 'historyTransfersPerUser'>;
  readonly clock: () => number;
}

export interface HistoryTransferRequest {
  readonly fromDeviceId: string;
  readonly toDeviceId: string;
  readonly request: string;
}

/**
 * A new device asks another device of the same user for its history.
 * 1. Count the request (`write`).
 * 2. Both devices must be the caller's (another user's is answered as none) and unrevoked.
 * 3. Store the transfer, `requested`, for a day, unless the caller has `historyTransfersPerUser` open ones.
 * 4. Push it to the caller's devices: the old one learns it is asked.
 */
export function requestHistoryTransfer(deps: RequestHistoryTransferDeps) {
  return async (caller: Caller, asked: HistoryTransferRequest): Promise<HistoryTransfer> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    await requireUsableDevices(deps, caller.userId, [asked.fromDeviceId, asked.toDeviceId]);
    const transfer: HistoryTransferRecord = {
      userId: caller.userId,
      transferId: randomBytes(16).toString('base64url'),
      fromDeviceId: asked.fromDeviceId,
      toDeviceId: asked.toDeviceId,
      state: 'requested',
      request: asked.request,
      chunks: 0,
      bytes: 0,
      received: 0,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + HISTORY_TRANSFER_LIFETIME_IN_MS,
    };
    const limit = deps.caps.historyTransfersPerUser;
    if (!(await deps.historyTransfers.open(transfer, limit, now))) {
      throw new LimitReachedError(
        'historyTransfersPerUser',
        limit,
        'You have as many open history transfers as allowed: finish or cancel one first',
      );
    }
    await pushTransfer(deps.fanout, caller, transfer);
    return transferView(transfer);
  };
}
