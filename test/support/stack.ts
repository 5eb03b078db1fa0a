import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrafficRecord } from '../../infra/local/gateway/websocket-api';
import type { FunctionLogLine } from '../../infra/local/lambda-runtime';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../infra/local/stack';
import { stageEndpoints } from '../../shared/client/stage';

export interface TestStack extends LocalStack {
  readonly endpoints: ReturnType<typeof stageEndpoints>;
  /** Every line the functions logged. */
  readonly logs: FunctionLogLine[];
  /** Every request body the gateways received. */
  readonly traffic: TrafficRecord[];
  /** Failures of the stand-ins themselves. */
  readonly errors: string[];
  readonly dataDir: string;
}

/** A local stack on free ports in a fresh directory; `stop()` removes the directory. */
export async function startTestStack(
  options: Partial<Omit<LocalStackOptions, 'ports' | 'dataDir'>> & { dataDir?: string } = {},
): Promise<TestStack> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-test-'));
  const logs: FunctionLogLine[] = [];
  const traffic: TrafficRecord[] = [];
  const errors: string[] = [];
  const stack = await startLocalStack({
    ...options,
    dataDir,
    ports: { web: 0, webSocket: 0, http: 0, dynamoDb: 0, sqs: 0, cognito: 0 },
    onLog: (line) => logs.push(line),
    onTraffic: (record) => traffic.push(record),
    onError: (message, error) =>
      errors.push(`${message}: ${error instanceof Error ? error.message : String(error)}`),
  });
  return {
    ...stack,
    endpoints: stageEndpoints(stack.outputs),
    logs,
    traffic,
    errors,
    dataDir,
    stop: async () => {
      await stack.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
