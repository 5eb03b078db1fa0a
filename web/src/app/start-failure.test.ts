import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../shared/client/api-client';
import { StateStoreError } from '../../../shared/e2ee/errors';
import { ErrorCode } from '../../../shared/protocol/errors';
import { startFailure } from './start-failure';

const apiError = (status: number, code: ErrorCode, retryAfterSeconds?: number) =>
  new ApiError({ routeId: 'getMe', status, code, detail: 'detail', retryAfterSeconds });

describe('a failed start', () => {
  it('is tried again when the network or a busy server failed it', () => {
    expect(startFailure(new TypeError('Failed to fetch'))).toEqual({ kind: 'retry', afterMs: 0 });
    expect(startFailure(apiError(500, ErrorCode.Internal))).toEqual({ kind: 'retry', afterMs: 0 });
    expect(startFailure(apiError(503, ErrorCode.Internal))).toEqual({ kind: 'retry', afterMs: 0 });
    expect(startFailure(new DOMException('closing', 'AbortError'))).toEqual({ kind: 'retry', afterMs: 0 });
  });

  it('waits as long as a rate limit asks before trying again', () => {
    expect(startFailure(apiError(429, ErrorCode.RateLimited, 7))).toEqual({ kind: 'retry', afterMs: 7000 });
  });

  it('stops and says what is wrong when trying again cannot help', () => {
    expect(startFailure(apiError(403, ErrorCode.Forbidden))).toEqual({
      kind: 'stop',
      message: `Parley’s server refused to start this browser (${ErrorCode.Forbidden}: detail).`,
    });
    const unreadable = startFailure(new StateStoreError('Stored state does not decrypt'));
    expect(unreadable).toEqual({
      kind: 'stop',
      message: 'What this browser keeps for Parley cannot be read: Stored state does not decrypt.',
    });
  });
});
