import { ErrorCode } from '../../shared/protocol/errors';
import type { ParleyError } from '../errors';
import type { BusinessMetrics } from '../ports/metrics';

/** Counts a refusal an operator watches: a rate limit or a cap, whichever route refused it. */
export function countRefusal(
  error: ParleyError,
  metrics: Pick<BusinessMetrics, 'rateLimited' | 'capReached'>,
) {
  if (error.code === ErrorCode.RateLimited) metrics.rateLimited();
  else if (error.code === ErrorCode.LimitReached) metrics.capReached();
}
