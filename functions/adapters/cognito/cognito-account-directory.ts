import {
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminUserGlobalSignOutCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Account, AccountDirectory } from '../../ports/user-directory';

export class CognitoAccountDirectory implements AccountDirectory {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  async getByUsername(username: string): Promise<Account | undefined> {
    try {
      const user = await this.client.send(
        new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username }),
      );
      const attribute = (name: string) => user.UserAttributes?.find((a) => a.Name === name)?.Value;
      const userId = attribute('sub');
      const email = attribute('email');
      if (!userId || !email) return undefined;
      return { userId, email };
    } catch (error) {
      if (error instanceof Error && error.name === 'UserNotFoundException') return undefined;
      throw error;
    }
  }

  async delete(username: string): Promise<void> {
    try {
      await this.client.send(new AdminDeleteUserCommand({ UserPoolId: this.userPoolId, Username: username }));
    } catch (error) {
      if (!(error instanceof Error && error.name === 'UserNotFoundException')) throw error;
    }
  }

  async signOut(username: string): Promise<void> {
    try {
      await this.client.send(
        new AdminUserGlobalSignOutCommand({ UserPoolId: this.userPoolId, Username: username }),
      );
    } catch (error) {
      // A deleted account has no session left to end.
      if (!(error instanceof Error && error.name === 'UserNotFoundException')) throw error;
    }
  }
}
