import type { FanoutJob, FanoutQueue } from '../../ports/fanout-queue';

/** A fan-out queue that keeps its jobs, in order, for a test to read or run. */
export class InMemoryFanoutQueue implements FanoutQueue {
  readonly jobs: FanoutJob[] = [];

  async enqueue(job: FanoutJob): Promise<void> {
    this.jobs.push(job);
  }
}
