import type { OutboundFrame } from '../../../shared/protocol/outbound';
import { ConnectionGoneError } from '../../errors';
import type { Connection, ConnectionStore } from '../../ports/connection-store';
import type { Notifier } from '../../ports/notifier';

/** Posts in flight at once: enough to hide latency, few enough not to trip throttling. */
const MAX_CONCURRENT_POSTS = 16;

export interface PostReport {
  readonly recipients: number;
  readonly delivered: number;
  readonly gone: number;
}

/**
 * Posts one frame to each connection. A connection that is gone is deleted by
 * its own id; any other failure throws, so the caller's job is retried.
 */
export async function postAll(
  deps: { connections: ConnectionStore; notifier: Notifier; clock: () => number },
  targets: readonly Connection[],
  frame: OutboundFrame,
): Promise<PostReport> {
  let delivered = 0;
  let gone = 0;
  let next = 0;
  const workers = Array.from({ length: Math.min(MAX_CONCURRENT_POSTS, targets.length) }, async () => {
    while (next < targets.length) {
      const connection = targets[next++] as Connection;
      try {
        await deps.notifier.send(connection.connectionId, frame);
        delivered += 1;
      } catch (error) {
        if (!(error instanceof ConnectionGoneError)) throw error;
        gone += 1;
        await deps.connections.delete(connection.userId, connection.connectionId, deps.clock());
      }
    }
  });
  await Promise.all(workers);
  return { recipients: targets.length, delivered, gone };
}
