import type { EnqueueOptions, FanoutJob, FanoutQueue } from '../../ports/fanout-queue';

/** A fan-out queue that keeps its jobs, in order, for a test to read or run. */
export class InMemoryFanoutQueue implements FanoutQueue {
  readonly jobs: FanoutJob[] = [];
  /** The delay each job was enqueued with, by its place in `jobs` (0 when none). */
  readonly delays: number[] = [];

  async enqueue(job: FanoutJob, options: EnqueueOptions = {}): Promise<void> {
    this.jobs.push(job);
    this.delays.push(options.delaySeconds ?? 0);
  }
}
