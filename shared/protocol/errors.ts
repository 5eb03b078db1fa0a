/**
 * Stable error codes. Clients branch on `code`, never on `message`.
 *
 * @example
 * if (frame.type === 'error' && frame.code === ErrorCode.Forbidden) showNoAccess();
 */
export const ErrorCode = {
  /** The frame or body is not valid JSON. */
  InvalidJson: 'INVALID_JSON',
  /** The WebSocket frame names an action the server does not know. */
  UnknownAction: 'UNKNOWN_ACTION',
  /** A field is missing, has the wrong type or is out of range. */
  ValidationFailed: 'VALIDATION_FAILED',
  /** The message body exceeds {@link MAX_BODY_SIZE_IN_BYTES}. */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** No valid credentials were presented. */
  Unauthorized: 'UNAUTHORIZED',
  /** The access token was issued before the user signed out everywhere: sign in again. */
  SessionEnded: 'SESSION_ENDED',
  /** The request needs a sign-in from the last few minutes (deleting the account): sign in again, then retry. */
  ReauthenticationRequired: 'REAUTHENTICATION_REQUIRED',
  /** The caller may not use this resource. */
  Forbidden: 'FORBIDDEN',
  /** No such resource (or the caller may not know it exists). */
  NotFound: 'NOT_FOUND',
  /** The same client message id is being sent right now; retry shortly. */
  SendInProgress: 'SEND_IN_PROGRESS',
  /** The request conflicts with the current state (a username taken, a request already answered). */
  Conflict: 'CONFLICT',
  /** The message cannot be changed or referred to: an MLS commit is the group's history, not content. */
  Immutable: 'IMMUTABLE',
  /**
   * The request would take the caller past one of its caps (groups, devices, key packages, bytes stored
   * a day, open sockets); the message names the cap. Nothing was stored. The bytes-a-day cap says when
   * it resets with `Retry-After`.
   */
  LimitReached: 'LIMIT_REACHED',
  /** The caller exceeded its rate for this kind of request; retry after `Retry-After` seconds. */
  RateLimited: 'RATE_LIMITED',
  /** The server failed; the request may be retried. */
  Internal: 'INTERNAL',
  /** A service the server depends on is down or throttling; retry after `Retry-After` seconds. */
  Unavailable: 'UNAVAILABLE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status for each error code, used by the HTTP API's problem+json responses. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  INVALID_JSON: 400,
  UNKNOWN_ACTION: 400,
  VALIDATION_FAILED: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  SESSION_ENDED: 401,
  REAUTHENTICATION_REQUIRED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SEND_IN_PROGRESS: 409,
  CONFLICT: 409,
  IMMUTABLE: 409,
  LIMIT_REACHED: 409,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};
