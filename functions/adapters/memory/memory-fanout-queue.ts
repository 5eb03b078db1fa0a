import type { EnqueueOptions, FanoutJob, FanoutQueue } from '../../ports/fanout-queue';

/** A fan-out queue that keeps its jobs, in order, for a test to read or run. */
export class InMemoryFanoutQueue implements FanoutQueue {
  readonly jobs: FanoutJob[] = [];
  /** The delay each job was enqueued with, by its place in `jobs` (0 when none). */
  readonly delays: number[] = [];
  private readonly refusing = new Set<FanoutJob['kind']>();

  /** The next job of this kind is refused, as a queue that cannot be reached would. */
  refuseNext(kind: FanoutJob['kind']): void {
    this.refusing.add(kind);
  }

  async enqueue(job: FanoutJob, options: EnqueueOptions = {}): Promise<void> {
    if (this.refusing.delete(job.kind))
      throw new QueueUnreachableError(`The ${job.kind} job could not be queued`);
    this.jobs.push(job);
    this.delays.push(options.delaySeconds ?? 0);
  }
}

/** What a refused enqueue throws. */
export class QueueUnreachableError extends Error {
  override name = 'QueueUnreachableError';
}
