import type { Liveness } from '../chat/connection/liveness';
import { Env, loadConfig } from '../config';

/** API Gateway's idle timeout, from config: the local stack's tests shorten it. */
export function liveness(): Liveness {
  return { idleTimeoutMs: loadConfig([Env.IdleTimeoutMs]).IDLE_TIMEOUT_MS };
}
