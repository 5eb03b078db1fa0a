import { ConnectionGoneError, ParleyError } from '../../errors';
import type { ConnectionStore } from '../../ports/connection-store';
import type { CloseJob } from '../../ports/fanout-queue';
import type { Notifier } from '../../ports/notifier';
import { CONNECTING_GRACE_IN_MS, type PostReport } from './post-all';

/** How long to wait before closing again a connection that answered "gone" while still in its handshake. */
export const CLOSE_RETRY_IN_MS = 100;
/** How long one job keeps trying such a connection before the queue's retry takes over. */
export const MAX_CLOSE_WAIT_IN_MS = 2000;

export interface CloseAllDeps {
  readonly connections: ConnectionStore;
  readonly notifier: Notifier;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Closes each listed connection of a user from the server's side (API Gateway's `DeleteConnection`).
 * A connection stored by `$connect` whose handshake has not finished answers "gone" like a closed one,
 * and would then open: it is tried again every 0.1 s for up to 2 s, then the job fails so the queue
 * retries it. One that is gone and older than the handshake grace is forgotten, as `postAll` does.
 */
export async function closeAll(deps: CloseAllDeps, job: CloseJob): Promise<PostReport> {
  let delivered = 0;
  let gone = 0;
  const started = deps.clock();
  await Promise.all(
    job.connections.map(async ({ connectionId, connectedAt }) => {
      for (;;) {
        try {
          await deps.notifier.close(connectionId);
          delivered += 1;
          return;
        } catch (error) {
          if (!(error instanceof ConnectionGoneError)) throw error;
        }
        const now = deps.clock();
        if (now - connectedAt >= CONNECTING_GRACE_IN_MS) {
          gone += 1;
          await deps.connections.delete(job.userId, connectionId, now);
          return;
        }
        if (now - started >= MAX_CLOSE_WAIT_IN_MS) {
          throw new ParleyError(`Connection ${connectionId} is still connecting; the close is retried`);
        }
        await deps.sleep(CLOSE_RETRY_IN_MS);
      }
    }),
  );
  return { recipients: job.connections.length, delivered, gone };
}
