import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Account, AccountDirectory } from '../../ports/user-directory';
import { AwsJsonError, type AwsJsonRequestHandler, AwsJsonService } from '../aws-json/aws-json-service';

/** What sends a signed request: the SDK's `NodeHttpHandler`, or a test's recorder. */
export type CognitoRequestHandler = AwsJsonRequestHandler;

export interface CognitoAccountDirectoryOptions {
  readonly userPoolId: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** A local stand-in's URL; unset on AWS: `https://cognito-idp.{region}.amazonaws.com`. */
  readonly endpoint?: string | undefined;
  /** A `NodeHttpHandler` unless given. */
  readonly requestHandler?: CognitoRequestHandler;
}

/** Operations that ask the service again on a throttle or a 5xx, as the SDK's standard retry does. */
const ATTEMPTS = 3;
const FIRST_RETRY_DELAY_IN_MS = 100;

/**
 * Users' accounts in the Cognito user pool: their email (for a new profile), signing them out everywhere,
 * deleting them.
 *
 * No Cognito client: the three calls go through {@link AwsJsonService}, as the push sender reads SSM. The
 * Cognito client added about 5 KiB gzip to each account function for three calls.
 */
export class CognitoAccountDirectory implements AccountDirectory {
  private readonly cognito: AwsJsonService;
  private readonly userPoolId: string;

  constructor(options: CognitoAccountDirectoryOptions) {
    this.userPoolId = options.userPoolId;
    this.cognito = new AwsJsonService({
      service: 'cognito-idp',
      targetPrefix: 'AWSCognitoIdentityProviderService',
      region: options.region,
      credentials: options.credentials,
      endpoint: options.endpoint,
      ...(options.requestHandler ? { requestHandler: options.requestHandler } : {}),
    });
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
          error instanceof AwsJsonError &&
          (error.$retryable !== undefined || error.$metadata.httpStatusCode >= 500);
        if (!retryable || attempt >= ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, FIRST_RETRY_DELAY_IN_MS * 2 ** (attempt - 1)));
      }
    }
  }

  private send(operation: string, username: string): Promise<unknown> {
    return this.cognito.call(operation, { UserPoolId: this.userPoolId, Username: username });
  }
}
