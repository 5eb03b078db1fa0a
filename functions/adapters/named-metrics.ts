import type { MetricKey } from '../metric-names';
import type { MetricsRecorder } from '../ports/metrics';

/**
 * The port's figures as named metrics (`metric-names.ts`): what each domain word records, for every
 * adapter alike. An adapter says how one value is kept and how an invocation's values are sent.
 */
export abstract class NamedMetricsRecorder implements MetricsRecorder {
  protected abstract add(key: MetricKey, value: number): void;
  abstract flush(): void;

  messageStored(): void {
    this.add('messagesStored', 1);
  }

  fanoutPosted(report: { recipients: number; delivered: number; gone: number }): void {
    this.add('fanoutRecipients', report.recipients);
    this.add('fanoutPosts', report.delivered);
    this.add('connectionsGone', report.gone);
  }

  connectionGone(): void {
    this.add('connectionsGone', 1);
  }

  messagePushed(delayInMs: number): void {
    // A clock step back between the writer's and the sender's machines would give a negative delay.
    this.add('sendToPushDelay', Math.max(0, delayInMs));
  }

  fanoutJobFailed(): void {
    this.add('fanoutJobsFailed', 1);
  }

  commitConflicted(): void {
    this.add('commitConflicts', 1);
  }

  rateLimited(): void {
    this.add('rateLimitRefusals', 1);
  }

  capReached(): void {
    this.add('capsReached', 1);
  }

  attachmentGranted(bytes: number): void {
    this.add('attachmentBytesGranted', bytes);
  }

  webPushesSent(report: { sent: number; failed: number }): void {
    this.add('webPushesSent', report.sent);
    this.add('webPushesFailed', report.failed);
  }
}
