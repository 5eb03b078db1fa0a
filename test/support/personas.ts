import { randomUUID } from 'node:crypto';
import {
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { apiFor } from './api';
import type { TestStack } from './stack';

export interface Persona {
  readonly name: string;
  readonly email: string;
  readonly password: string;
  readonly userId: string;
  readonly accessToken: string;
  readonly idToken: string;
  readonly refreshToken: string;
  /** Assigned by the server on the first `GET /me`. */
  readonly username: string;
}

export const PASSWORD = 'Correct-Horse-42!';

export function cognitoClient(stack: TestStack) {
  return new CognitoIdentityProviderClient({
    endpoint: stack.resources.cognitoEndpoint,
    region: stack.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/**
 * Signs a persona in again with email and password: on a restarted stack, whose Cognito stand-in listens
 * on another port, the first start's tokens name an issuer that no longer exists.
 */
export async function signInAgain(stack: TestStack, persona: Persona): Promise<Persona> {
  const client = cognitoClient(stack);
  try {
    const auth = await client.send(
      new InitiateAuthCommand({
        ClientId: stack.endpoints.userPoolClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: persona.email, PASSWORD: persona.password },
      }),
    );
    const result = auth.AuthenticationResult;
    if (!result?.AccessToken || !result.IdToken || !result.RefreshToken) {
      throw new Error(`Sign-in of ${persona.name} returned no tokens`);
    }
    return {
      ...persona,
      accessToken: result.AccessToken,
      idToken: result.IdToken,
      refreshToken: result.RefreshToken,
    };
  } finally {
    client.destroy();
  }
}

/**
 * Signs a person up through the Cognito API, confirms with the code from the
 * local mailbox, and signs in with email and password.
 */
export async function signUp(stack: TestStack, name: string): Promise<Persona> {
  const client = cognitoClient(stack);
  const email = `${name}.${randomUUID().slice(0, 8)}@example.com`;
  const clientId = stack.endpoints.userPoolClientId;
  try {
    const signedUp = await client.send(
      new SignUpCommand({
        ClientId: clientId,
        Username: email,
        Password: PASSWORD,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    const mail = await stack.mailbox.waitFor(email);
    await client.send(
      new ConfirmSignUpCommand({ ClientId: clientId, Username: email, ConfirmationCode: mail.code }),
    );
    const auth = await client.send(
      new InitiateAuthCommand({
        ClientId: clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: email, PASSWORD },
      }),
    );
    const result = auth.AuthenticationResult;
    if (!result?.AccessToken || !result.IdToken || !result.RefreshToken || !signedUp.UserSub) {
      throw new Error(`Sign-in of ${name} returned no tokens`);
    }
    // The first GET /me after sign-in creates the profile, as a client does.
    const me = await apiFor(stack, { accessToken: result.AccessToken }).getMe();
    return {
      name,
      email,
      password: PASSWORD,
      userId: signedUp.UserSub,
      accessToken: result.AccessToken,
      idToken: result.IdToken,
      refreshToken: result.RefreshToken,
      username: me.username,
    };
  } finally {
    client.destroy();
  }
}
