import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AwsJsonError, AwsJsonService } from '../aws-json/aws-json-service';
import type { VapidKeys } from '../webpush/web-push-service';

export interface SsmParameterOptions {
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** A local stand-in's URL; unset on AWS: `https://ssm.{region}.amazonaws.com`. */
  readonly endpoint?: string | undefined;
}

/**
 * Reads the stage's VAPID key pair from its SSM parameter: a `SecureString` holding
 * `{"publicKey": …, "privateKey": …}` (URL-safe base64), made at the stage's first deploy.
 *
 * No SSM client: the one request, `GetParameter` with decryption, goes through {@link AwsJsonService}.
 * The SSM client would add about 75 KiB to the push sender's bundle for this one call.
 */
export async function readVapidKeys(name: string, options: SsmParameterOptions): Promise<VapidKeys> {
  // Read every few minutes at most: no connection is kept between reads.
  const handler = new NodeHttpHandler();
  const ssm = new AwsJsonService({
    service: 'ssm',
    targetPrefix: 'AmazonSSM',
    region: options.region,
    credentials: options.credentials,
    endpoint: options.endpoint,
    requestHandler: handler,
  });
  try {
    const answer = (await ssm.call('GetParameter', { Name: name, WithDecryption: true })) as {
      Parameter?: { Value?: string };
    };
    return keysIn(name, safeJson(answer.Parameter?.Value ?? ''));
  } catch (error) {
    if (error instanceof AwsJsonError)
      throw new Error(`SSM GetParameter ${name}: ${error.message}`, { cause: error });
    throw error;
  } finally {
    handler.destroy();
  }
}

function keysIn(name: string, parsed: unknown): VapidKeys {
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('publicKey' in parsed) ||
    !('privateKey' in parsed) ||
    typeof parsed.publicKey !== 'string' ||
    typeof parsed.privateKey !== 'string'
  ) {
    throw new Error(`The parameter ${name} holds no VAPID key pair`);
  }
  return { publicKey: parsed.publicKey, privateKey: parsed.privateKey };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
