import { ApiError } from '../../../shared/client/api-client';
import { StateStoreError } from '../../../shared/e2ee/errors';
import { ErrorCode } from '../../../shared/protocol/errors';
import { StoredHistoryError } from './history';

/**
 * What a failed start means for the person: `retry` when it may pass by itself (the network, a busy or
 * briefly failing server, a rate), at the soonest after `afterMs`; `stop` with words saying what is wrong
 * when trying again cannot help.
 */
export type StartFailure =
  | { readonly kind: 'retry'; readonly afterMs: number }
  | { readonly kind: 'stop'; readonly message: string };

/** IndexedDB's and WebCrypto's errors that come from the browser's state at the moment, not the data. */
const PASSING_DOM_ERRORS = new Set(['AbortError', 'UnknownError', 'TimeoutError', 'InvalidStateError']);

/**
 * Sorts an error thrown while the chat starts (the device opened, its lists read, the stored history
 * shown). Network failures reject as `TypeError` (fetch's), so they retry; so does an answer of the
 * server that says it failed or is busy (5xx, 429 after its `Retry-After`, 408), and an IndexedDB request
 * cut short (a reload of another tab closing its connection, the browser busy).
 */
export function startFailure(error: unknown): StartFailure {
  if (error instanceof ApiError) {
    if (error.status >= 500 || error.status === 408) return { kind: 'retry', afterMs: 0 };
    if (error.code === ErrorCode.RateLimited)
      return { kind: 'retry', afterMs: (error.retryAfterSeconds ?? 1) * 1000 };
    if (error.code === ErrorCode.Unauthorized)
      return { kind: 'stop', message: 'Parley’s server did not accept this browser’s session.' };
    return {
      kind: 'stop',
      message: `Parley’s server refused to start this browser (${error.code}: ${error.detail}).`,
    };
  }
  if (error instanceof StateStoreError || error instanceof StoredHistoryError) {
    return {
      kind: 'stop',
      message: `What this browser keeps for Parley cannot be read: ${error.message}.`,
    };
  }
  if (error instanceof TypeError) return { kind: 'retry', afterMs: 0 };
  if (error instanceof DOMException && PASSING_DOM_ERRORS.has(error.name))
    return { kind: 'retry', afterMs: 0 };
  if (error instanceof DOMException && error.name === 'QuotaExceededError') {
    return {
      kind: 'stop',
      message: 'This browser has no room left to keep Parley’s messages. Free some space and reload.',
    };
  }
  return {
    kind: 'stop',
    message: `Parley could not start on this browser: ${error instanceof Error ? error.message : String(error)}`,
  };
}
