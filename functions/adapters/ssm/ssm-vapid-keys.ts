import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { streamCollector } from '@smithy/core/serde';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
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
 * No SSM client: the one request, `GetParameter` with decryption, is a SigV4-signed JSON POST (service
 * `ssm`, the JSON 1.1 protocol, as the SDK's client sends it), over the HTTP handler the bundle already
 * carries. The SSM client would add about 75 KiB to the push sender's bundle for this one call.
 */
export async function readVapidKeys(name: string, options: SsmParameterOptions): Promise<VapidKeys> {
  const url = new URL(options.endpoint ?? `https://ssm.${options.region}.amazonaws.com`);
  const body = JSON.stringify({ Name: name, WithDecryption: true });
  const signer = new SignatureV4({
    service: 'ssm',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const request = new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: '/',
    headers: {
      host: url.host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AmazonSSM.GetParameter',
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  });
  const handler = new NodeHttpHandler();
  try {
    const { response } = await handler.handle((await signer.sign(request)) as HttpRequest);
    const text = Buffer.from(
      response.body ? await streamCollector(response.body) : new Uint8Array(),
    ).toString();
    if (response.statusCode !== 200) {
      const type = (safeJson(text) as { __type?: string } | undefined)?.__type ?? 'unknown';
      throw new Error(`SSM GetParameter ${name} answered ${response.statusCode} ${type}`);
    }
    const value = (safeJson(text) as { Parameter?: { Value?: string } } | undefined)?.Parameter?.Value;
    return keysIn(name, safeJson(value ?? ''));
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
