import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest, type HttpResponse } from '@smithy/core/protocols';
import { streamCollector } from '@smithy/core/serde';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Account, AccountDirectory } from '../../ports/user-directory';

/** What sends a signed request: the SDK's `NodeHttpHandler`, or a test's recorder. */
export interface CognitoRequestHandler {
  handle(request: HttpRequest): Promise<{ response: HttpResponse }>;
}

export interface CognitoAccountDirectoryOptions {
  readonly userPoolId: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** A local stand-in's URL; unset on AWS: `https://cognito-idp.{region}.amazonaws.com`. */
  readonly endpoint?: string | undefined;
  /** A `NodeHttpHandler` unless given. */
  readonly requestHandler?: CognitoRequestHandler;
}

/**
 * An error Cognito answered with: `name` is its error type (`UserNotFoundException`), as the SDK names
 * it, and `$metadata` and `$retryable` are shaped as the SDK's, so the edge maps a 5xx or a throttle to
 * 503 `UNAVAILABLE` as it does for any client.
 */
export class CognitoRequestError extends Error {
  readonly $metadata: { readonly httpStatusCode: number };
  readonly $retryable?: { readonly throttling: boolean };

  constructor(operation: string, status: number, type: string) {
    super(`Cognito ${operation} answered ${status} ${type}`);
    this.name = type;
    this.$metadata = { httpStatusCode: status };
    if (status === 429 || type === 'TooManyRequestsException') this.$retryable = { throttling: true };
  }
}

/** Operations that ask the service again on a throttle or a 5xx, as the SDK's standard retry does. */
const ATTEMPTS = 3;
const FIRST_RETRY_DELAY_IN_MS = 100;

/**
 * Users' accounts in the Cognito user pool: their email (for a new profile), signing them out everywhere,
 * deleting them.
 *
 * No Cognito client: each of the three calls is a SigV4-signed JSON POST (service `cognito-idp`, the JSON
 * 1.1 protocol, as the SDK's client sends it) over the HTTP handler the bundle already carries, as the push
 * sender reads SSM. The Cognito client added about 5 KiB gzip to each account function for three calls.
 */
export class CognitoAccountDirectory implements AccountDirectory {
  private readonly signer: SignatureV4;
  private readonly handler: CognitoRequestHandler;
  private readonly url: URL;
  private readonly userPoolId: string;

  constructor(options: CognitoAccountDirectoryOptions) {
    this.userPoolId = options.userPoolId;
    this.url = new URL(options.endpoint ?? `https://cognito-idp.${options.region}.amazonaws.com`);
    this.signer = new SignatureV4({
      service: 'cognito-idp',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
    this.handler = options.requestHandler ?? new NodeHttpHandler();
  }

  async getByUsername(username: string): Promise<Account | undefined> {
    const user = await this.ignoringUnknownUser(() =>
      this.call<{ UserAttributes?: Array<{ Name?: string; Value?: string }> }>('AdminGetUser', username),
    );
    if (!user) return undefined;
    const attribute = (name: string) => user.UserAttributes?.find((a) => a.Name === name)?.Value;
    const userId = attribute('sub');
    const email = attribute('email');
    if (!userId || !email) return undefined;
    return { userId, email };
  }

  async delete(username: string): Promise<void> {
    await this.ignoringUnknownUser(() => this.call('AdminDeleteUser', username));
  }

  async signOut(username: string): Promise<void> {
    // A deleted account has no session left to end.
    await this.ignoringUnknownUser(() => this.call('AdminUserGlobalSignOut', username));
  }

  private async ignoringUnknownUser<T>(request: () => Promise<T>): Promise<T | undefined> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof Error && error.name === 'UserNotFoundException') return undefined;
      throw error;
    }
  }

  /** One admin operation on one user of the pool, tried again after a throttle or a 5xx. */
  private async call<T = unknown>(operation: string, username: string): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return (await this.send(operation, username)) as T;
      } catch (error) {
        const retryable =
          error instanceof CognitoRequestError &&
          (error.$retryable !== undefined || error.$metadata.httpStatusCode >= 500);
        if (!retryable || attempt >= ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, FIRST_RETRY_DELAY_IN_MS * 2 ** (attempt - 1)));
      }
    }
  }

  private async send(operation: string, username: string): Promise<unknown> {
    const body = JSON.stringify({ UserPoolId: this.userPoolId, Username: username });
    const request = new HttpRequest({
      method: 'POST',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      ...(this.url.port ? { port: Number(this.url.port) } : {}),
      path: '/',
      headers: {
        host: this.url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
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
      throw new CognitoRequestError(operation, response.statusCode, errorTypeOf(response, parsed));
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
