import { MAX_DELAY_IN_SECONDS } from '../../ports/fanout-queue';

/** How long API Gateway keeps a connection on which the client sends nothing. */
export interface Liveness {
  /** API Gateway's idle timeout (10 minutes; shorter in the local stack's tests). */
  readonly idleTimeoutMs: number;
}

/** Past the idle timeout, time for API Gateway to have closed the connection, and for clocks to differ. */
const MAX_MARGIN_IN_MS = 5_000;

/**
 * Seconds until a connection last active at `lastActiveAt` must be closed if it is idle: when a check
 * then finds it open, it was used meanwhile. At least 1 s, at most SQS's longest delay.
 *
 * @example checkDelaySeconds({ idleTimeoutMs: 600_000 }, now, now) // 605
 */
export function checkDelaySeconds(liveness: Liveness, lastActiveAt: number, now: number): number {
  const margin = Math.min(MAX_MARGIN_IN_MS, liveness.idleTimeoutMs / 10);
  const dueInMs = lastActiveAt + liveness.idleTimeoutMs + margin - now;
  return Math.min(MAX_DELAY_IN_SECONDS, Math.max(1, Math.ceil(dueInMs / 1000)));
}
