/**
 * What an operator counts and times, in the product's words: recorded while an invocation runs, sent
 * once at its end. Never a user's or a conversation's id: each figure is a number for the whole stage.
 */
export interface BusinessMetrics {
  /** A message stored for the first time (a retried send of the same message id is not counted again). */
  messageStored(): void;
  /** A fan-out job posted: to how many connections, how many took the frame, how many were gone (410). */
  fanoutPosted(report: {
    readonly recipients: number;
    readonly delivered: number;
    readonly gone: number;
  }): void;
  /** A connection found gone outside a fan-out post (a liveness check). */
  connectionGone(): void;
  /** A message reached its recipients' connections this long after it was stored. */
  messagePushed(delayInMs: number): void;
  /** A fan-out job failed (it is retried, or parked once out of attempts), or could not be read. */
  fanoutJobFailed(): void;
  /** A commit lost the race for its epoch (409). */
  commitConflicted(): void;
  /** A request refused by the caller's rate limit. */
  rateLimited(): void;
  /** A request refused because a cap was reached. */
  capReached(): void;
  /** An upload form issued for an attachment of this many bytes. */
  attachmentGranted(bytes: number): void;
  /** A batch of Web Push notifications: sent, and refused by the push service or out of attempts. */
  webPushesSent(report: { readonly sent: number; readonly failed: number }): void;
}

/** The metrics of one function: recorded during an invocation, sent at its end. */
export interface MetricsRecorder extends BusinessMetrics {
  /** Sends what the invocation recorded (nothing at all when it recorded nothing) and starts afresh. */
  flush(): void;
}
