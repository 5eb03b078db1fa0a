import type { HistoryTransfer } from '../../../shared/protocol/history-transfer';
import { historyTransferPush } from '../../../shared/protocol/outbound';
import { ForbiddenError, NotFoundError } from '../../errors';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { HistoryTransferRecord, HistoryTransferStore } from '../../ports/history-transfer-store';
import type { Caller } from '../access';
import { notifyUsers } from '../push/notify';

/**
 * The rules every step of a history transfer shares: whose it is, whether it is still there, whether its
 * devices may still take part, and how its changes reach the user's devices.
 */

/** What the steps of a transfer read before they act. */
export interface TransferAccessDeps {
  readonly historyTransfers: Pick<HistoryTransferStore, 'get'>;
  readonly devices: Pick<DeviceDirectory, 'get'>;
}

/**
 * The caller's transfer, unexpired at `now`, or `NotFoundError`: another user's transfer is answered as
 * one that does not exist, and so is an expired one (its chunks are on their way out).
 */
export async function liveTransfer(
  deps: Pick<TransferAccessDeps, 'historyTransfers'>,
  caller: Pick<Caller, 'userId'>,
  transferId: string,
  now: number,
): Promise<HistoryTransferRecord> {
  const transfer = await deps.historyTransfers.get(caller.userId, transferId);
  if (!transfer || transfer.expiresAt <= now)
    throw new NotFoundError(`You have no history transfer ${transferId}`);
  return transfer;
}

/**
 * Refuses a transfer once either of its devices is revoked (`ForbiddenError`, naming it), and a device id
 * the user has none of (`NotFoundError`: another user's device is answered as none). In the order given.
 */
export async function requireUsableDevices(
  deps: Pick<TransferAccessDeps, 'devices'>,
  userId: string,
  deviceIds: readonly string[],
): Promise<void> {
  const devices = await Promise.all(deviceIds.map((deviceId) => deps.devices.get(userId, deviceId)));
  for (const [i, deviceId] of deviceIds.entries()) {
    if (!devices[i]) throw new NotFoundError(`You have no device ${deviceId}`);
  }
  for (const [i, deviceId] of deviceIds.entries()) {
    if (devices[i]?.revokedAt !== undefined) throw new ForbiddenError(`Device ${deviceId} is revoked`);
  }
}

/** The caller's unexpired transfer whose two devices are both still theirs and unrevoked: where every step starts. */
export async function usableTransfer(
  deps: TransferAccessDeps,
  caller: Pick<Caller, 'userId'>,
  transferId: string,
  now: number,
): Promise<HistoryTransferRecord> {
  const transfer = await liveTransfer(deps, caller, transferId, now);
  await requireUsableDevices(deps, caller.userId, [transfer.fromDeviceId, transfer.toDeviceId]);
  return transfer;
}

/** A transfer as its user's devices see it. */
export function transferView(record: HistoryTransferRecord): HistoryTransfer {
  return {
    transferId: record.transferId,
    fromDeviceId: record.fromDeviceId,
    toDeviceId: record.toDeviceId,
    state: record.state,
    request: record.request,
    ...(record.offer === undefined ? {} : { offer: record.offer }),
    ...(record.approval === undefined ? {} : { approval: record.approval }),
    chunks: record.chunks,
    bytes: record.bytes,
    received: record.received,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    expiresAt: new Date(record.expiresAt).toISOString(),
  };
}

/** Pushes the transfer as it now is to all of its user's devices (both of its own among them). */
export async function pushTransfer(
  fanout: FanoutQueue,
  caller: Pick<Caller, 'correlationId'>,
  record: HistoryTransferRecord,
): Promise<void> {
  await notifyUsers(
    fanout,
    [record.userId],
    historyTransferPush({ transfer: transferView(record) }),
    caller.correlationId,
  );
}
