import type { PushJob, PushQueue } from '../../ports/push-queue';

/** A push queue that keeps its jobs, in order, with the delay each was queued with, for a test to read. */
export class InMemoryPushQueue implements PushQueue {
  readonly jobs: PushJob[] = [];
  readonly delays: number[] = [];

  async enqueue(job: PushJob, options: { delaySeconds?: number } = {}): Promise<void> {
    this.jobs.push(job);
    this.delays.push(options.delaySeconds ?? 0);
  }
}
