import { ErrorCode } from '../shared/protocol/errors';
import type { Caps } from './caps';

/** Root of every error Parley's functions raise on purpose. `code` is the stable wire code. */
export class ParleyError extends Error {
  readonly code: ErrorCode = ErrorCode.Internal;
  /** When a retry may succeed, in seconds: `Retry-After` over HTTP, `retryAfterSeconds` in an error frame. */
  readonly retryAfterSeconds?: number;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ParleyError';
  }
}

/** A request that is well-formed JSON but breaks its schema. */
export class ValidationError extends ParleyError {
  override readonly code: ErrorCode = ErrorCode.ValidationFailed;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ValidationError';
  }
}

export class InvalidJsonError extends ParleyError {
  override readonly code = ErrorCode.InvalidJson;
  constructor(message = 'The frame is not valid JSON', options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidJsonError';
  }
}

export class UnknownActionError extends ParleyError {
  override readonly code = ErrorCode.UnknownAction;
  constructor(action: string, options?: ErrorOptions) {
    super(`Unknown action "${action.slice(0, 64)}"`, options);
    this.name = 'UnknownActionError';
  }
}

export class PayloadTooLargeError extends ParleyError {
  override readonly code = ErrorCode.PayloadTooLarge;
  constructor(sizeInBytes: number, limitInBytes: number, options?: ErrorOptions) {
    super(`The body is ${sizeInBytes} bytes; the limit is ${limitInBytes}`, options);
    this.name = 'PayloadTooLargeError';
  }
}

export class UnauthorizedError extends ParleyError {
  override readonly code: ErrorCode = ErrorCode.Unauthorized;
  constructor(message = 'Missing or invalid credentials', options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnauthorizedError';
  }
}

/** A valid access token, issued before its user signed out everywhere: that session has ended. */
export class SessionEndedError extends UnauthorizedError {
  override readonly code = ErrorCode.SessionEnded;
  constructor(options?: ErrorOptions) {
    super('This session has ended: the account signed out everywhere. Sign in again.', options);
    this.name = 'SessionEndedError';
  }
}

/** The request needs a recent sign-in (the token's `auth_time`), not a session renewed from an older one. */
export class ReauthenticationRequiredError extends UnauthorizedError {
  override readonly code = ErrorCode.ReauthenticationRequired;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReauthenticationRequiredError';
  }
}

export class ForbiddenError extends ParleyError {
  override readonly code = ErrorCode.Forbidden;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ForbiddenError';
  }
}

/** Content for a direct conversation one of whose users blocked the other. */
export class ConversationBlockedError extends ForbiddenError {
  constructor(options?: ErrorOptions) {
    super('You cannot message this user', options);
    this.name = 'ConversationBlockedError';
  }
}

export class NotFoundError extends ParleyError {
  override readonly code = ErrorCode.NotFound;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/**
 * How soon a retry of a send in progress is worth making: a live claimant finishes within milliseconds;
 * one that died is taken over once `WRITER_DEADLINE_IN_MS` has passed since its claim.
 */
export const SEND_IN_PROGRESS_RETRY_AFTER_IN_SECONDS = 1;

/** The same client message id is being stored by another request right now. */
export class SendInProgressError extends ParleyError {
  override readonly code = ErrorCode.SendInProgress;
  override readonly retryAfterSeconds = SEND_IN_PROGRESS_RETRY_AFTER_IN_SECONDS;
  constructor(options?: ErrorOptions) {
    super('A send with this messageId is in progress; retry shortly', options);
    this.name = 'SendInProgressError';
  }
}

/** The connection no longer exists (API Gateway answered 410 GoneException). */
export class ConnectionGoneError extends ParleyError {
  constructor(connectionId: string, options?: ErrorOptions) {
    super(`Connection ${connectionId} is gone`, options);
    this.name = 'ConnectionGoneError';
  }
}

/** The request conflicts with what is stored (a username taken, a change raced by another). */
export class ConflictError extends ParleyError {
  override readonly code = ErrorCode.Conflict;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConflictError';
  }
}

/** A delete, edit, reply or reaction aimed at an MLS commit (or another entry that is not content). */
export class ImmutableMessageError extends ParleyError {
  override readonly code = ErrorCode.Immutable;
  constructor(seq: number, options?: ErrorOptions) {
    super(`Message ${seq} is part of the group's history and cannot be changed or referred to`, options);
    this.name = 'ImmutableMessageError';
  }
}

/** How soon a request refused because a dependency was down is worth trying again. */
export const UNAVAILABLE_RETRY_AFTER_IN_SECONDS = 1;

/** A service Parley depends on (DynamoDB, SQS, S3) could not be reached or was throttling, after retries. */
export class ServiceUnavailableError extends ParleyError {
  override readonly code = ErrorCode.Unavailable;
  override readonly retryAfterSeconds = UNAVAILABLE_RETRY_AFTER_IN_SECONDS;
  constructor(options?: ErrorOptions) {
    super('A service Parley depends on is unavailable; retry shortly', options);
    this.name = 'ServiceUnavailableError';
  }
}

/** Network failures of a connection to a service: the service did not answer. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * A failure of a dependency rather than of the request, as the AWS SDK reports it once its own retries
 * are spent: the service unreachable (a network error), throttling or failing on its side (a retryable
 * error, or an answer of 5xx). `undefined` for anything else.
 */
export function asUnavailable(error: unknown): ServiceUnavailableError | undefined {
  if (!(error instanceof Error) || error instanceof ParleyError) return undefined;
  const details = error as Error & {
    code?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  const status = details.$metadata?.httpStatusCode;
  const unreachable = typeof details.code === 'string' && UNREACHABLE_CODES.has(details.code);
  if (
    unreachable ||
    details.$retryable ||
    error.name === 'TimeoutError' ||
    (status !== undefined && status >= 500)
  ) {
    return new ServiceUnavailableError({ cause: error });
  }
  return undefined;
}

/** A request that would take a user past one of their caps (`functions/caps.ts`). */
export class LimitReachedError extends ParleyError {
  override readonly code = ErrorCode.LimitReached;
  override readonly retryAfterSeconds: number | undefined = undefined;
  constructor(
    /**
     * A stage's cap, or one of the product's own limits: `pinnedConversations`
     * (`MAX_PINNED_CONVERSATIONS`), `historyTransferSize` (`MAX_HISTORY_TRANSFER_SIZE_IN_BYTES`),
     * `historyTransferChunks` (`MAX_HISTORY_CHUNKS_PER_TRANSFER`).
     */
    readonly cap: keyof Caps | 'pinnedConversations' | 'historyTransferSize' | 'historyTransferChunks',
    readonly limit: number,
    message: string,
    options?: ErrorOptions & { retryAfterSeconds?: number },
  ) {
    super(`${message} (cap ${cap}: ${limit})`, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.name = 'LimitReachedError';
  }
}

/**
 * A friend edge refused because its user holds `friendsPerUser` already: the store's answer, naming the
 * full users, so the use case can word it for whoever asked (a recipient's count is not the sender's business).
 */
export class FriendsFullError extends LimitReachedError {
  constructor(
    limit: number,
    readonly userIds: readonly string[],
    options?: ErrorOptions,
  ) {
    super(
      'friendsPerUser',
      limit,
      `Already as many friends and friend requests as allowed: ${[...userIds].sort().join(', ')}`,
      options,
    );
    this.name = 'FriendsFullError';
  }
}

/** The caller used up its allowance for this kind of request; it may retry after `retryAfterSeconds`. */
export class RateLimitedError extends ParleyError {
  override readonly code = ErrorCode.RateLimited;
  override readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, options?: ErrorOptions) {
    super(`Too many requests; retry in ${retryAfterSeconds} s`, options);
    this.retryAfterSeconds = retryAfterSeconds;
    this.name = 'RateLimitedError';
  }
}

/** A message's fan-out job came before the message was placed, and its writer may still place it: the job is tried again later. */
export class NotPlacedYetError extends ParleyError {
  constructor(conversationId: string, seq: number) {
    super(`Message ${seq} of ${conversationId} is not placed yet`);
    this.name = 'NotPlacedYetError';
  }
}
