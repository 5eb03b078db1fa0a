import type { DeadLetterNote, DeadLetterQueue } from '../../ports/dead-letter-queue';
import type { FanoutJob } from '../../ports/fanout-queue';

/** A dead-letter queue that keeps what was parked, for a test to read. */
export class InMemoryDeadLetterQueue implements DeadLetterQueue {
  readonly jobs: Array<{ job: FanoutJob; note: DeadLetterNote }> = [];
  readonly refused: DeadLetterNote[] = [];

  async parkJob(job: FanoutJob, note: DeadLetterNote): Promise<void> {
    this.jobs.push({ job, note });
  }

  async parkRefused(note: DeadLetterNote): Promise<void> {
    this.refused.push(note);
  }
}
