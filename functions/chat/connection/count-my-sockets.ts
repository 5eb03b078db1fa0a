import type { MySockets } from '../../../shared/protocol/resources';
import type { Caps } from '../../caps';
import type { ConnectionStore } from '../../ports/connection-store';

export interface CountMySocketsDeps {
  readonly connections: Pick<ConnectionStore, 'listByUser'>;
  readonly caps: Pick<Caps, 'socketsPerUser'>;
  readonly clock: () => number;
}

/**
 * How many WebSockets the caller has open, and the most a user may: what a client whose handshakes keep
 * failing asks, since a browser cannot read why a handshake was refused. Counted as `$connect` counts
 * them (unexpired entries), so `open` at `max` is exactly when the next handshake is refused. The devices
 * with a socket open are the ones a new browser can ask for its history now.
 */
export function countMySockets(deps: CountMySocketsDeps) {
  return async (caller: { userId: string }): Promise<MySockets> => {
    const open = await deps.connections.listByUser(caller.userId, deps.clock());
    const devices = [...new Set(open.flatMap((c) => (c.deviceId === undefined ? [] : [c.deviceId])))].sort();
    return { open: open.length, max: deps.caps.socketsPerUser, devices };
  };
}
