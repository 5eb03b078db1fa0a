import type { FanoutJob } from './fanout-queue';

/** Why a queue message was given up on, and which one it was: never its body. */
export interface DeadLetterNote {
  /** The SQS message id of the record given up on. */
  readonly messageId: string;
  /** How many times the queue had handed it out. */
  readonly receiveCount: number;
  /** A stable code (`INVALID_JSON`, `VALIDATION_FAILED`, an error's name for a failed delivery). */
  readonly code: string;
  /** One line saying what went wrong: an error's message, which never carries a body. */
  readonly reason: string;
}

/**
 * Where the fan-out sender parks what it gives up on. A job goes there as itself, so a redrive to the
 * fan-out queue runs it again; the caller strips its body first (see `chat/push/dead-letter.ts`).
 */
export interface DeadLetterQueue {
  /** A job that kept failing: the job (without its body) with the note beside it. */
  parkJob(job: FanoutJob, note: DeadLetterNote): Promise<void>;
  /** A record that is no job at all: only the note, its body left behind. */
  parkRefused(note: DeadLetterNote): Promise<void>;
}
