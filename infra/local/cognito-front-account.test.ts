import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AssociateSoftwareTokenCommand,
  ChangePasswordCommand,
  CodeMismatchException,
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  EnableSoftwareTokenMFAException,
  ExpiredCodeException,
  GetUserCommand,
  InitiateAuthCommand,
  InvalidPasswordException,
  LimitExceededException,
  NotAuthorizedException,
  RespondToAuthChallengeCommand,
  SetUserMFAPreferenceCommand,
  SignUpCommand,
  TooManyFailedAttemptsException,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticatorCode } from '../../test/support/totp';
import { type LocalCognito, startCognito } from './cognito';
import { WRONG_CODES_BEFORE_PAUSE, WRONG_CODES_PER_SIGN_IN } from './cognito-mfa';
import { LOCAL_CREDENTIALS } from './listen';

const PASSWORD = 'Correct-Horse-42!';

/** Two-step sign-in and password changes, as the web client calls them on the Cognito stand-in. */
describe('Cognito stand-in: second factor and password changes', () => {
  let dataDir: string;
  let cognito: LocalCognito;
  let client: CognitoIdentityProviderClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-cognito-'));
    cognito = await startCognito({ dataDir, port: 0, region: 'us-east-1' });
    client = new CognitoIdentityProviderClient({
      endpoint: cognito.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    });
  });

  afterAll(async () => {
    client?.destroy();
    await cognito?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const signUpConfirmed = async (email: string) => {
    await client.send(
      new SignUpCommand({
        ClientId: cognito.userPoolClientId,
        Username: email,
        Password: PASSWORD,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    const { code } = await cognito.mailbox.waitFor(email);
    await client.send(
      new ConfirmSignUpCommand({
        ClientId: cognito.userPoolClientId,
        Username: email,
        ConfirmationCode: code,
      }),
    );
  };
  const initiate = (email: string, password = PASSWORD) =>
    client.send(
      new InitiateAuthCommand({
        ClientId: cognito.userPoolClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    );
  const accessTokenOf = async (email: string, password = PASSWORD) =>
    (await initiate(email, password)).AuthenticationResult?.AccessToken as string;
  const answer = (email: string, session: string | undefined, code: string) =>
    client.send(
      new RespondToAuthChallengeCommand({
        ClientId: cognito.userPoolClientId,
        ChallengeName: 'SOFTWARE_TOKEN_MFA',
        Session: session,
        ChallengeResponses: { USERNAME: email, SOFTWARE_TOKEN_MFA_CODE: code },
      }),
    );
  /** A user with an authenticator app turned on; its secret. The enrolment used the code of this period. */
  const enrolled = async (email: string) => {
    await signUpConfirmed(email);
    const accessToken = await accessTokenOf(email);
    const { SecretCode } = await client.send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken }));
    const secret = SecretCode as string;
    await client.send(
      new VerifySoftwareTokenCommand({ AccessToken: accessToken, UserCode: authenticatorCode(secret) }),
    );
    await client.send(
      new SetUserMFAPreferenceCommand({
        AccessToken: accessToken,
        SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
      }),
    );
    return secret;
  };

  it('turns an authenticator app on only with a right code of it, and says so in the user', async () => {
    const email = 'mfa.enrol@example.com';
    await signUpConfirmed(email);
    const accessToken = await accessTokenOf(email);
    const { SecretCode } = await client.send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken }));
    expect(SecretCode).toMatch(/^[A-Z2-7]{32}$/);
    const wrong = client.send(
      new VerifySoftwareTokenCommand({ AccessToken: accessToken, UserCode: '000000' }),
    );
    await expect(wrong).rejects.toThrow(EnableSoftwareTokenMFAException);

    await client.send(
      new VerifySoftwareTokenCommand({
        AccessToken: accessToken,
        UserCode: authenticatorCode(SecretCode as string),
      }),
    );
    await client.send(
      new SetUserMFAPreferenceCommand({
        AccessToken: accessToken,
        SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
      }),
    );
    const user = await client.send(new GetUserCommand({ AccessToken: accessToken }));
    expect(user.UserMFASettingList).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(user.PreferredMfaSetting).toBe('SOFTWARE_TOKEN_MFA');
  });

  it('asks for the code after the password, and signs in with the next one the app shows', async () => {
    const email = 'mfa.sign-in@example.com';
    const secret = await enrolled(email);
    const first = await initiate(email);
    expect(first.AuthenticationResult).toBeUndefined();
    expect(first.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');

    // The code of this period went to the enrolment: the app's next one is taken (one period ahead).
    const signedIn = await answer(email, first.Session, authenticatorCode(secret, 1));
    expect(signedIn.AuthenticationResult?.AccessToken).toEqual(expect.any(String));

    // A refresh asks for no code.
    const refreshed = await client.send(
      new InitiateAuthCommand({
        ClientId: cognito.userPoolClientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: signedIn.AuthenticationResult?.RefreshToken as string },
      }),
    );
    expect(refreshed.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
  });

  it('refuses a code without the session its password opened: made up, spent, or another user’s', async () => {
    const email = 'mfa.session@example.com';
    const other = 'mfa.session.other@example.com';
    const secret = await enrolled(email);
    await enrolled(other);

    // Alone, the stand-in took any session: the username and a good code signed in without a password.
    await expect(answer(email, 'made-up-session', authenticatorCode(secret, 1))).rejects.toThrow(
      NotAuthorizedException,
    );
    const othersSession = (await initiate(other)).Session;
    await expect(answer(email, othersSession, authenticatorCode(secret, 1))).rejects.toThrow(
      NotAuthorizedException,
    );

    const mine = (await initiate(email)).Session;
    await answer(email, mine, authenticatorCode(secret, 1));
    await expect(answer(email, mine, authenticatorCode(secret, -1))).rejects.toThrow(NotAuthorizedException);
  });

  it('refuses a code used once already, at sign-in as at enrolment', async () => {
    const email = 'mfa.reuse@example.com';
    const secret = await enrolled(email);
    // The enrolment's code, typed again at once.
    const reused = answer(email, (await initiate(email)).Session, authenticatorCode(secret));
    await expect(reused).rejects.toThrow(ExpiredCodeException);
    await expect(reused).rejects.toThrow('already been used');
  });

  it('ends a sign-in after three wrong codes, and pauses the user’s codes after five in a row', async () => {
    const email = 'mfa.wrong@example.com';
    const secret = await enrolled(email);
    const session = (await initiate(email)).Session;
    for (let n = 0; n < WRONG_CODES_PER_SIGN_IN; n++) {
      await expect(answer(email, session, '000000')).rejects.toThrow(CodeMismatchException);
    }
    await expect(answer(email, session, authenticatorCode(secret, 1))).rejects.toThrow(
      NotAuthorizedException,
    );

    const again = (await initiate(email)).Session;
    for (let n = WRONG_CODES_PER_SIGN_IN; n < WRONG_CODES_BEFORE_PAUSE; n++) {
      await expect(answer(email, again, '000000')).rejects.toThrow(CodeMismatchException);
    }
    const paused = answer(email, again, authenticatorCode(secret, 1));
    await expect(paused).rejects.toThrow(TooManyFailedAttemptsException);
    await expect(paused).rejects.toThrow(/Try again in 15 minutes/);
  });

  it('keeps the time of the sign-in through a refresh (auth_time), as Cognito does', async () => {
    const email = 'refresher@example.com';
    await signUpConfirmed(email);
    const signedIn = (await initiate(email)).AuthenticationResult;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const refreshed = await client.send(
      new InitiateAuthCommand({
        ClientId: cognito.userPoolClientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: signedIn?.RefreshToken as string },
      }),
    );
    const claims = (token: string | undefined) =>
      JSON.parse(Buffer.from(token?.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
        auth_time: number;
        iat: number;
      };
    const first = claims(signedIn?.AccessToken);
    const later = claims(refreshed.AuthenticationResult?.AccessToken);
    expect(later.auth_time).toBe(first.auth_time);
    expect(later.iat).toBeGreaterThan(first.iat);
  });

  it('refuses calls made with a forged access token', async () => {
    const email = 'forger@example.com';
    await signUpConfirmed(email);
    const [header, payload] = (await accessTokenOf(email)).split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the pool’s signature').toString('base64url')}`;
    for (const call of [
      new AssociateSoftwareTokenCommand({ AccessToken: forged }),
      new GetUserCommand({ AccessToken: forged }),
      new SetUserMFAPreferenceCommand({
        AccessToken: forged,
        SoftwareTokenMfaSettings: { Enabled: false },
      }),
      new ChangePasswordCommand({
        AccessToken: forged,
        PreviousPassword: PASSWORD,
        ProposedPassword: 'Another-Horse-43!',
      }),
    ]) {
      // biome-ignore lint/suspicious/noExplicitAny: one loop over several commands of one client
      await expect(client.send(call as any)).rejects.toThrow(NotAuthorizedException);
    }
  });

  it('changes a password only with the current one and a new one the policy allows', async () => {
    const email = 'changer@example.com';
    await signUpConfirmed(email);
    const accessToken = await accessTokenOf(email);
    const change = (previous: string, proposed: string) =>
      client.send(
        new ChangePasswordCommand({
          AccessToken: accessToken,
          PreviousPassword: previous,
          ProposedPassword: proposed,
        }),
      );
    await expect(change('Wrong-Horse-41!', 'Another-Horse-43!')).rejects.toThrow(NotAuthorizedException);
    // The stand-in alone took any new password.
    await expect(change(PASSWORD, 'short')).rejects.toThrow(InvalidPasswordException);
    await change(PASSWORD, 'Another-Horse-43!');

    await expect(initiate(email)).rejects.toThrow(NotAuthorizedException);
    await expect(accessTokenOf(email, 'Another-Horse-43!')).resolves.toEqual(expect.any(String));
  });

  it('stops checking current passwords after five wrong ones in a row', async () => {
    const email = 'guesser@example.com';
    await signUpConfirmed(email);
    const accessToken = await accessTokenOf(email);
    const change = (previous: string) =>
      client.send(
        new ChangePasswordCommand({
          AccessToken: accessToken,
          PreviousPassword: previous,
          ProposedPassword: 'Another-Horse-43!',
        }),
      );
    for (let n = 0; n < 5; n++)
      await expect(change(`Guess-${n}-Horse!`)).rejects.toThrow(NotAuthorizedException);
    await expect(change(PASSWORD)).rejects.toThrow(LimitExceededException);
  });
});
