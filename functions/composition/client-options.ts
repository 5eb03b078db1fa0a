import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * What every SDK client is built with, and `S3BlobStore`, which signs its own
 * requests. Credentials from the environment only:
 * Lambda always sets them there (and the local stack sets stand-in values), so
 * no client walks the SDK's default chain (SSO, profiles, IMDS, STS), and
 * function bundles leave that chain out altogether (`env-credentials.ts`).
 *
 * `endpoint` only when set: on AWS the SDK resolves it; locally it points at a stand-in.
 *
 * @example
 * new SQSClient(clientOptions(config.SQS_ENDPOINT));
 */
export function clientOptions(endpoint: string | undefined) {
  return { credentials: fromEnv(), ...(endpoint ? { endpoint } : {}) };
}

/** The time every use case reads. */
export const clock = () => Date.now();

/** How a use case waits. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
