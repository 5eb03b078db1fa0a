/**
 * Counts the billable requests the local stand-ins serve, by service and
 * operation, so a benchmark can report what one message costs on AWS:
 * DynamoDB and SQS requests, Lambda invocations, and API Gateway messages
 * (frames in, frames out, `@connections` posts).
 */
export class Meter {
  private counts = new Map<string, number>();

  count(service: string, operation: string, times = 1): void {
    const key = `${service} ${operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + times);
  }

  /** Counts since the last reset, as `{ "dynamodb PutItem": 3, … }`. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.counts = new Map();
  }
}

/** The AWS JSON protocol's operation name: `X-Amz-Target: DynamoDB_20120810.PutItem` → `PutItem`. */
export function targetOperation(target: string | string[] | undefined): string {
  const value = Array.isArray(target) ? target[0] : target;
  return value?.split('.').pop() ?? 'unknown';
}
