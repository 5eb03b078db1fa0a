import { Metrics } from '@aws-lambda-powertools/metrics';
import { PowertoolsMetricsRecorder } from '../adapters/powertools/metrics-recorder';
import { Env, loadConfig } from '../config';
import type { MetricsRecorder } from '../ports/metrics';

/**
 * The function's metrics, sent as EMF lines on stdout: the namespace from config, and the two
 * dimensions every metric carries, the function's service name and the stage.
 *
 * @example
 * const metrics = metricsRecorder('ws-send');
 */
export function metricsRecorder(service: string): MetricsRecorder {
  const config = loadConfig([Env.MetricsNamespace, Env.Stage]);
  return new PowertoolsMetricsRecorder(
    new Metrics({
      namespace: config.POWERTOOLS_METRICS_NAMESPACE,
      serviceName: service,
      defaultDimensions: { stage: config.PARLEY_STAGE },
    }),
  );
}
