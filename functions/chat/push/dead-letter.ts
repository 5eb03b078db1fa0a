import { messageRefPush } from '../../../shared/protocol/outbound';
import type { DeadLetterNote, DeadLetterQueue } from '../../ports/dead-letter-queue';
import type { FanoutJob } from '../../ports/fanout-queue';

/**
 * The job as it may wait in the dead-letter queue: everything but a message's ciphertext. A `message` job
 * keeps its conversation and seq, so a redrive reads the log (and pushes nothing for a message deleted
 * meanwhile); a message frame in any other job becomes its `message-ref`, which clients fetch.
 */
export function withoutBody(job: FanoutJob): FanoutJob {
  switch (job.kind) {
    case 'message': {
      const { frame: _frame, ...rest } = job;
      return rest;
    }
    case 'conversation':
    case 'users':
      return job.frame.type === 'message'
        ? { ...job, frame: messageRefPush({ conversationId: job.frame.conversationId, seq: job.frame.seq }) }
        : job;
    default:
      return job;
  }
}

/**
 * Whether a failed attempt is the sender's last: it then parks the job without its body itself, one
 * receive before the queue's own redrive would move it there body and all. The spare receive is the
 * backstop: if parking fails too, the job is tried (and parked) once more before SQS moves it.
 *
 * @example
 * isLastAttempt(4, 5); // true
 */
export function isLastAttempt(receiveCount: number, maxReceiveCount: number): boolean {
  return receiveCount >= Math.max(1, maxReceiveCount - 1);
}

/** Parks a job that kept failing, without its body. */
export function parkFailedJob(deps: { readonly deadLetters: DeadLetterQueue }) {
  return (job: FanoutJob, note: DeadLetterNote) => deps.deadLetters.parkJob(withoutBody(job), note);
}
