import type { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS, type MetricKey } from '../../metric-names';
import { NamedMetricsRecorder } from '../named-metrics';

/**
 * Powertools Metrics: the figures go out as one CloudWatch embedded metric format (EMF) line on stdout
 * per invocation, which CloudWatch Logs turns into metrics. No API call, no latency on the request.
 * A count of zero is not sent (it adds nothing to a sum), and an invocation that recorded nothing
 * prints nothing (Powertools would warn "No application metrics to publish" on every such call).
 */
export class PowertoolsMetricsRecorder extends NamedMetricsRecorder {
  constructor(private readonly metrics: Metrics) {
    super();
  }

  protected add(key: MetricKey, value: number): void {
    const { name, unit } = METRICS[key];
    if (unit === 'Count' && value === 0) return;
    this.metrics.addMetric(name, unit, value);
  }

  flush(): void {
    if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
  }
}
