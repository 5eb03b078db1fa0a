import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest, type HttpResponse } from '@smithy/core/protocols';
import { streamCollector } from '@smithy/core/serde';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** What sends a signed request: the SDK's `NodeHttpHandler`, or a test's recorder. */
export interface AwsJsonRequestHandler {
  handle(request: HttpRequest): Promise<{ response: HttpResponse }>;
}

export interface AwsJsonServiceOptions {
  /** The service's signing name, e.g. `ssm`, `cognito-idp`. */
  readonly service: string;
  /** The `X-Amz-Target` prefix of its operations, e.g. `AmazonSSM`. */
  readonly targetPrefix: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** A local stand-in's URL; unset on AWS: `https://{service}.{region}.amazonaws.com`. */
  readonly endpoint?: string | undefined;
  /** A `NodeHttpHandler` unless given. */
  readonly requestHandler?: AwsJsonRequestHandler;
}

/**
 * An error the service answered with: `name` is its error type (`UserNotFoundException`), as the SDK names
 * it, and `$metadata` and `$retryable` are shaped as the SDK's, so the edge maps a 5xx or a throttle to
 * 503 `UNAVAILABLE` as it does for any client.
 */
export class AwsJsonError extends Error {
  readonly $metadata: { readonly httpStatusCode: number };
  readonly $retryable?: { readonly throttling: boolean };

  constructor(operation: string, status: number, type: string) {
    super(`${operation} answered ${status} ${type}`);
    this.name = type;
    this.$metadata = { httpStatusCode: status };
    if (status === 429 || /^(TooManyRequests|Throttling)/.test(type)) this.$retryable = { throttling: true };
  }
}

/**
 * An AWS service that speaks the JSON 1.1 protocol (`X-Amz-Target`, a JSON body), called with SigV4-signed
 * POSTs over the HTTP handler every bundle carries already. For the one to three calls a function makes
 * to SSM or Cognito, this takes the place of the service's SDK client, which would add 5 to 75 KiB gzip
 * to the bundle for them (docs/measurements.md).
 *
 * @example
 * const ssm = new AwsJsonService({ service: 'ssm', targetPrefix: 'AmazonSSM', region, credentials });
 * await ssm.call('GetParameter', { Name: '/parley/dev/vapid-keys', WithDecryption: true });
 */
export class AwsJsonService {
  private readonly signer: SignatureV4;
  private readonly handler: AwsJsonRequestHandler;
  private readonly url: URL;

  constructor(private readonly options: AwsJsonServiceOptions) {
    this.url = new URL(options.endpoint ?? `https://${options.service}.${options.region}.amazonaws.com`);
    this.signer = new SignatureV4({
      service: options.service,
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
    this.handler = options.requestHandler ?? new NodeHttpHandler();
  }

  /** One operation; its answer's JSON, or an {@link AwsJsonError} for any status but 200. */
  async call(operation: string, input: Readonly<Record<string, unknown>>): Promise<unknown> {
    const body = JSON.stringify(input);
    const request = new HttpRequest({
      method: 'POST',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      ...(this.url.port ? { port: Number(this.url.port) } : {}),
      path: '/',
      headers: {
        host: this.url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `${this.options.targetPrefix}.${operation}`,
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    const { response } = await this.handler.handle((await this.signer.sign(request)) as HttpRequest);
    const text = Buffer.from(
      response.body ? await streamCollector(response.body) : new Uint8Array(),
    ).toString();
    const parsed = parseJson(text);
    if (response.statusCode !== 200) {
      throw new AwsJsonError(operation, response.statusCode, errorTypeOf(response, parsed));
    }
    return parsed;
  }
}

/** `com.amazonaws…#UserNotFoundException` or `UserNotFoundException:…`, from the header or the body. */
function errorTypeOf(response: HttpResponse, parsed: unknown): string {
  const header = Object.entries(response.headers).find(
    ([name]) => name.toLowerCase() === 'x-amzn-errortype',
  )?.[1];
  const raw =
    header ??
    (typeof parsed === 'object' && parsed !== null && '__type' in parsed && typeof parsed.__type === 'string'
      ? parsed.__type
      : 'UnknownError');
  return raw.split(':')[0]?.split('#').pop() || 'UnknownError';
}

function parseJson(text: string): unknown {
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}
