import type { MetricKey } from '../../metric-names';
import { NamedMetricsRecorder } from '../named-metrics';

/** Metrics kept in memory: every value recorded under each metric, and what each flush sent. */
export class InMemoryMetrics extends NamedMetricsRecorder {
  private current: Partial<Record<MetricKey, number[]>> = {};
  /** What each flush sent, in order; an invocation that recorded nothing sends nothing. */
  readonly flushed: Array<Partial<Record<MetricKey, number[]>>> = [];

  protected add(key: MetricKey, value: number): void {
    this.current[key] = [...(this.current[key] ?? []), value];
  }

  flush(): void {
    if (Object.keys(this.current).length > 0) this.flushed.push(this.current);
    this.current = {};
  }

  /** The sum of a metric's values recorded since the last flush. */
  total(key: MetricKey): number {
    return (this.current[key] ?? []).reduce((sum, value) => sum + value, 0);
  }

  /** The values recorded since the last flush. */
  values(key: MetricKey): readonly number[] {
    return this.current[key] ?? [];
  }
}
