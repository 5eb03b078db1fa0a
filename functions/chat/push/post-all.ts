import type { OutboundFrame } from '../../../shared/protocol/outbound';
import { ConnectionGoneError } from '../../errors';
import type { Connection } from '../../ports/connection-store';
import type { Notifier } from '../../ports/notifier';
import { type CloseConnectionDeps, closeConnection } from '../connection/close-connection';

/**
 * A connection is stored by `$connect` before API Gateway finishes the
 * handshake, and a post in between is answered 410 like a closed one. Such a
 * young connection is kept: it is about to open (and resumes what it missed).
 */
export const CONNECTING_GRACE_IN_MS = 10_000;

/** Posts in flight at once: enough to hide latency, few enough not to trip throttling. */
const MAX_CONCURRENT_POSTS = 16;

export interface PostReport {
  readonly recipients: number;
  readonly delivered: number;
  readonly gone: number;
}

/**
 * Posts one frame to each connection. A connection that is gone is forgotten
 * as `$disconnect` forgets it, by its own id (unless it is still connecting):
 * the user's last one announces them offline. Any other failure throws, so
 * the caller's job is retried.
 */
export async function postAll(
  deps: CloseConnectionDeps & { notifier: Notifier },
  targets: readonly Connection[],
  frame: OutboundFrame,
  /** Follows the post into the logs of an `offline` push it causes. */
  correlationId: string,
): Promise<PostReport> {
  const close = closeConnection(deps);
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
        const now = deps.clock();
        if (now - connection.connectedAt < CONNECTING_GRACE_IN_MS) continue;
        await close({
          connectionId: connection.connectionId,
          userId: connection.userId,
          correlationId,
        });
      }
    }
  });
  await Promise.all(workers);
  return { recipients: targets.length, delivered, gone };
}
