import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { METRICS_NAMESPACE } from '../../metric-names';
import { PowertoolsMetricsRecorder } from './metrics-recorder';

/** One EMF record as CloudWatch reads it. */
interface EmfRecord {
  readonly _aws: {
    readonly CloudWatchMetrics: ReadonlyArray<{
      readonly Namespace: string;
      readonly Dimensions: string[][];
      readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit: string }>;
    }>;
  };
  readonly [key: string]: unknown;
}

describe('PowertoolsMetricsRecorder', () => {
  let stdout: MockInstance;
  let stderr: MockInstance;
  let recorder: PowertoolsMetricsRecorder;

  const printed = () => stdout.mock.calls.map(([chunk]) => JSON.parse(String(chunk)) as EmfRecord);

  beforeEach(() => {
    stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    recorder = new PowertoolsMetricsRecorder(
      new Metrics({
        namespace: METRICS_NAMESPACE,
        serviceName: 'ws-send',
        defaultDimensions: { stage: 'dev' },
      }),
    );
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints one EMF line per flush, in the Parley namespace with the service and stage dimensions only', () => {
    recorder.messageStored();
    recorder.messageStored();
    recorder.fanoutPosted({ recipients: 3, delivered: 2, gone: 1 });
    recorder.messagePushed(42);
    recorder.flush();

    const [record, ...more] = printed();
    expect(more).toEqual([]);
    const [directive] = record?._aws.CloudWatchMetrics ?? [];
    expect(directive?.Namespace).toBe('Parley');
    expect(directive?.Dimensions).toEqual([['service', 'stage']]);
    expect(record).toMatchObject({
      service: 'ws-send',
      stage: 'dev',
      // Each value of an invocation is kept: CloudWatch sums them, and a delay keeps every sample.
      MessagesStored: [1, 1],
      FanoutRecipients: 3,
      FanoutPosts: 2,
      ConnectionsGone: 1,
      SendToPushDelay: 42,
    });
    expect(directive?.Metrics).toContainEqual({ Name: 'SendToPushDelay', Unit: 'Milliseconds' });
    expect(directive?.Metrics).toContainEqual({ Name: 'MessagesStored', Unit: 'Count' });
  });

  it('prints nothing, and warns of nothing, for an invocation that recorded nothing', () => {
    recorder.flush();
    recorder.fanoutPosted({ recipients: 0, delivered: 0, gone: 0 });
    recorder.flush();

    expect(stdout).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
  });

  it('starts afresh after each flush', () => {
    recorder.attachmentGranted(1024);
    recorder.flush();
    recorder.webPushesSent({ sent: 2, failed: 1 });
    recorder.flush();

    const [first, second] = printed();
    expect(first).toMatchObject({ AttachmentBytesGranted: 1024 });
    expect(second).toMatchObject({ WebPushesSent: 2, WebPushesFailed: 1 });
    expect(second).not.toHaveProperty('AttachmentBytesGranted');
  });
});
