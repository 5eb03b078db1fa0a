import { NotFoundError } from '../../errors';
import type { ConnectionStore } from '../../ports/connection-store';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { HistoryTransferStore } from '../../ports/history-transfer-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { Caller } from '../access';
import { pushTransfer } from '../transfer/transfer-rules';

export interface RevokeDeviceDeps {
  readonly devices: DeviceDirectory;
  readonly connections: Pick<ConnectionStore, 'setPushDevice'>;
  readonly historyTransfers: Pick<HistoryTransferStore, 'listOpen' | 'cancel'>;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * Revokes one of the caller's devices. The device stays listed, marked
 * revoked, so credentials it signed can still be judged; its key packages are
 * no longer handed out. Revoking again changes nothing.
 * 1. Count the request against the caller's `write` allowance.
 * 2. Mark the device revoked unless it already is (which removes its push subscription), and drop it from
 *    the devices fan-out pushes to.
 * 3. Only when this call revoked it: push `device` `revoked` to the caller's devices, friends and
 *    co-members, whose MLS groups must remove it.
 * 4. Cancel the open history transfers the device is either end of, and push each to the caller's devices.
 *    Also when it was revoked already: a request that ended between the two steps left them open. Their
 *    chunk objects are left to the bucket's lifecycle rule (this function holds no grant on them).
 */
export function revokeDevice(deps: RevokeDeviceDeps) {
  return async (caller: Caller, deviceId: string): Promise<void> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    const revoked = await deps.devices.revoke(caller.userId, deviceId, now);
    if (!revoked) throw new NotFoundError(`You have no device ${deviceId}`);
    await deps.connections.setPushDevice(caller.userId, deviceId, false);
    if (revoked.revokedNow) {
      await deps.fanout.enqueue({
        kind: 'device',
        event: 'revoked',
        userId: caller.userId,
        deviceId,
        correlationId: caller.correlationId,
      });
    }
    const open = await deps.historyTransfers.listOpen(caller.userId, now);
    const ended = open.filter((t) => t.fromDeviceId === deviceId || t.toDeviceId === deviceId);
    for (const transfer of ended) {
      const cancelled = await deps.historyTransfers.cancel(caller.userId, transfer.transferId, now);
      if (cancelled) await pushTransfer(deps.fanout, caller, cancelled);
    }
  };
}
