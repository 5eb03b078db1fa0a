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
 * them (unexpired entries), so `open` at `max` is exactly when the next handshake is refused.
 */
export function countMySockets(deps: CountMySocketsDeps) {
  return async (caller: { userId: string }): Promise<MySockets> => {
    const open = await deps.connections.listByUser(caller.userId, deps.clock());
    return { open: open.length, max: deps.caps.socketsPerUser };
  };
}
