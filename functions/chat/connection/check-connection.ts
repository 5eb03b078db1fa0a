import { ConnectionGoneError } from '../../errors';
import type { ConnectionCheckJob } from '../../ports/fanout-queue';
import type { Notifier } from '../../ports/notifier';
import { type CloseConnectionDeps, closeConnection } from './close-connection';
import { checkDelaySeconds, type Liveness } from './liveness';

export interface CheckConnectionDeps extends CloseConnectionDeps {
  readonly notifier: Notifier;
  readonly liveness: Liveness;
}

/**
 * Asks API Gateway whether a connection is still open, so presence never waits for a `$disconnect` that
 * did not come. Every connection is checked one idle timeout after it opened, then one idle timeout after
 * its client was last active, until it is gone: its user is offline at most an idle timeout and a few
 * seconds after its last frame, whatever happened to the client or to `$disconnect`.
 * 1. `GetConnection`. Gone: forget it like `$disconnect` would (offline when it was the last).
 * 2. Open: check again when it would be closed if it stays idle.
 */
export function checkConnection(deps: CheckConnectionDeps) {
  const close = closeConnection(deps);
  return async (job: ConnectionCheckJob): Promise<'open' | 'gone'> => {
    let lastActiveAt: number;
    try {
      lastActiveAt = await deps.notifier.lastActiveAt(job.connectionId);
    } catch (error) {
      if (!(error instanceof ConnectionGoneError)) throw error;
      await close({ connectionId: job.connectionId, userId: job.userId, correlationId: job.correlationId });
      return 'gone';
    }
    await deps.fanout.enqueue(job, {
      delaySeconds: checkDelaySeconds(deps.liveness, lastActiveAt, deps.clock()),
    });
    return 'open';
  };
}
