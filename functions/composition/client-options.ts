/**
 * What every SDK client is built with: `endpoint` only when set. On AWS the
 * SDK resolves it; locally it points at a stand-in.
 *
 * @example
 * new SQSClient(clientOptions(config.SQS_ENDPOINT));
 */
export function clientOptions(endpoint: string | undefined) {
  return endpoint ? { endpoint } : {};
}

/** The time every use case reads. */
export const clock = () => Date.now();
