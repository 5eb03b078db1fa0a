import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  ForgotPasswordCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  InvalidParameterException,
  NotAuthorizedException,
  ResendConfirmationCodeCommand,
  SignUpCommand,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_VALIDITY } from '../topology';
import { type LocalCognito, startCognito } from './cognito';
import type { StoredUser } from './cognito-front';
import { LOCAL_CREDENTIALS } from './listen';

const PASSWORD = 'Correct-Horse-42!';
const WEB_ORIGIN = 'http://127.0.0.1:3000';

/** The calls the web client makes on the Cognito stand-in, straight from the browser. */
describe('Cognito stand-in, as the browser calls it', () => {
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

  const signUp = async (email: string) => {
    await client.send(
      new SignUpCommand({
        ClientId: cognito.userPoolClientId,
        Username: email,
        Password: PASSWORD,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    return (await cognito.mailbox.waitFor(email)).code;
  };
  /** A user who signed up and entered the emailed code. */
  const signUpConfirmed = async (email: string) => {
    const code = await signUp(email);
    await client.send(
      new ConfirmSignUpCommand({
        ClientId: cognito.userPoolClientId,
        Username: email,
        ConfirmationCode: code,
      }),
    );
  };
  const signIn = async (email: string) => {
    const { AuthenticationResult } = await client.send(
      new InitiateAuthCommand({
        ClientId: cognito.userPoolClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: email, PASSWORD },
      }),
    );
    return AuthenticationResult as { AccessToken: string; IdToken: string; RefreshToken: string };
  };
  const refresh = (refreshToken: string) =>
    client.send(
      new InitiateAuthCommand({
        ClientId: cognito.userPoolClientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: refreshToken },
      }),
    );

  it('answers a CORS preflight from the web origin for a JSON call with X-Amz-Target', async () => {
    const preflight = await fetch(cognito.endpoint, {
      method: 'OPTIONS',
      headers: {
        origin: WEB_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-amz-target',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,x-amz-target');
  });

  it('has the sign-up code and the reset code in the dev mailbox by the time each call answers', async () => {
    // Several at once, as a test's set-up signs people up: each store write races the others.
    const emails = ['quick@example.com', ...[1, 2, 3, 4, 5].map((n) => `quick.${n}@example.com`)];
    const found = await Promise.all(
      emails.map(async (to) => {
        await client.send(
          new SignUpCommand({
            ClientId: cognito.userPoolClientId,
            Username: to,
            Password: PASSWORD,
            UserAttributes: [{ Name: 'email', Value: to }],
          }),
        );
        return cognito.mailbox.list().filter((mail) => mail.to === to);
      }),
    );
    expect(found.map((mails) => mails.length)).toEqual(emails.map(() => 1));
    const email = emails[0] as string;
    const [signUpMail] = found[0] ?? [];
    expect(signUpMail?.code).toMatch(/^\d{6}$/);
    await client.send(
      new ConfirmSignUpCommand({
        ClientId: cognito.userPoolClientId,
        Username: email,
        ConfirmationCode: signUpMail?.code,
      }),
    );
    await client.send(new ForgotPasswordCommand({ ClientId: cognito.userPoolClientId, Username: email }));
    const mails = cognito.mailbox.list().filter((mail) => mail.to === email);
    expect(mails.map((mail) => mail.reason)).toEqual(['SignUp', 'ForgotPassword']);
  });

  it('keeps its store file whole while sign-ups and confirmations race', async () => {
    // A confirmation shortens the store, a sign-up lengthens it: written over each other in one file,
    // the shorter one left the longer one's tail behind, and a restart could not read any account.
    const file = join(dataDir, '.cognito', 'db', `${cognito.userPoolId}.json`);
    for (const round of [1, 2, 3, 4]) {
      const emails = Array.from({ length: 16 }, (_, n) => `race.${round}.${n}@example.com`);
      await Promise.all(emails.map(signUpConfirmed));
      const store = JSON.parse(readFileSync(file, 'utf8')) as { Users: Record<string, StoredUser> };
      const confirmed = Object.values(store.Users)
        .filter((user) => user.UserStatus === 'CONFIRMED')
        .map((user) => user.Attributes?.find((attribute) => attribute.Name === 'email')?.Value);
      expect(confirmed).toEqual(expect.arrayContaining(emails));
    }
  });

  it('resends the pending sign-up code to the dev mailbox', async () => {
    const email = 'dora@example.com';
    const code = await signUp(email);
    const { CodeDeliveryDetails } = await client.send(
      new ResendConfirmationCodeCommand({ ClientId: cognito.userPoolClientId, Username: email }),
    );
    expect(CodeDeliveryDetails).toEqual({
      AttributeName: 'email',
      DeliveryMedium: 'EMAIL',
      Destination: 'd***@e***',
    });
    expect((await cognito.mailbox.waitFor(email)).code).toBe(code);
    await client.send(
      new ConfirmSignUpCommand({
        ClientId: cognito.userPoolClientId,
        Username: email,
        ConfirmationCode: code,
      }),
    );
    await expect(
      client.send(new ResendConfirmationCodeCommand({ ClientId: cognito.userPoolClientId, Username: email })),
    ).rejects.toThrow(InvalidParameterException);
  });

  it('answers a wrong password at sign-in as Cognito does: NotAuthorizedException, not a weak password', async () => {
    const email = 'wrong.password@example.com';
    await signUpConfirmed(email);
    const wrong = client.send(
      new InitiateAuthCommand({
        ClientId: cognito.userPoolClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: email, PASSWORD: `${PASSWORD}x` },
      }),
    );

    await expect(wrong).rejects.toThrow(NotAuthorizedException);
    await expect(wrong).rejects.toThrow('Incorrect username or password.');
    // The right one still signs in, through the same front.
    await expect(signIn(email)).resolves.toMatchObject({ AccessToken: expect.any(String) });
  });

  it('answers a resend for an unknown user as for a known one, revealing nothing', async () => {
    const { CodeDeliveryDetails } = await client.send(
      new ResendConfirmationCodeCommand({
        ClientId: cognito.userPoolClientId,
        Username: 'nobody@example.com',
      }),
    );
    expect(CodeDeliveryDetails?.DeliveryMedium).toBe('EMAIL');
  });

  it('ends every session of a user at global sign-out: no refresh token works afterwards', async () => {
    const email = 'erin@example.com';
    await signUpConfirmed(email);
    const laptop = await signIn(email);
    const phone = await signIn(email);
    await expect(refresh(phone.RefreshToken)).resolves.toBeDefined();

    await client.send(new GlobalSignOutCommand({ AccessToken: laptop.AccessToken }));

    await expect(refresh(laptop.RefreshToken)).rejects.toThrow(NotAuthorizedException);
    await expect(refresh(phone.RefreshToken)).rejects.toThrow(NotAuthorizedException);
  });

  it('ends every session of a user named by an admin sign-out, as the sign-out route calls it', async () => {
    const email = 'frank@example.com';
    await signUpConfirmed(email);
    const laptop = await signIn(email);
    const phone = await signIn(email);
    const username = JSON.parse(
      Buffer.from(laptop.AccessToken.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ).username as string;

    await client.send(
      new AdminUserGlobalSignOutCommand({ UserPoolId: cognito.userPoolId, Username: username }),
    );

    await expect(refresh(laptop.RefreshToken)).rejects.toThrow(NotAuthorizedException);
    await expect(refresh(phone.RefreshToken)).rejects.toThrow(NotAuthorizedException);
    await expect(
      client.send(
        new AdminUserGlobalSignOutCommand({ UserPoolId: cognito.userPoolId, Username: 'nobody@example.com' }),
      ),
    ).rejects.toThrow(UserNotFoundException);
  });

  it('issues access and id tokens that last as long as the deployed pool’s (one hour)', async () => {
    const email = 'grace@example.com';
    await signUpConfirmed(email);
    const tokens = await signIn(email);

    const lifetimeOf = (token: string) => {
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
      return claims.exp - claims.iat;
    };
    expect(lifetimeOf(tokens.AccessToken)).toBe(60 * 60);
    expect(lifetimeOf(tokens.IdToken)).toBe(TOKEN_VALIDITY.idTokenMinutes * 60);
  });

  it('refuses a global sign-out with a token it did not issue', async () => {
    await expect(client.send(new GlobalSignOutCommand({ AccessToken: 'not-a-token' }))).rejects.toThrow(
      NotAuthorizedException,
    );
  });

  it('issues tokens naming the endpoint clients call, as Cognito does', async () => {
    expect(cognito.issuer).toBe(`${cognito.endpoint}/${cognito.userPoolId}`);
    const keys = (await (await fetch(cognito.jwksUri)).json()) as { keys: unknown[] };
    expect(keys.keys).toHaveLength(1);
  });
});

describe('Cognito stand-in, started where a port is taken', () => {
  it('starts again on another port when its first one was taken in between', async () => {
    // A port found free a moment before is another process's by the time the stand-in binds it.
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    const ports = [port];
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-cognito-'));
    const cognito = await startCognito({
      dataDir,
      port: 0,
      region: 'us-east-1',
      innerPort: async () => ports.shift() ?? (await portFreeNow()),
    });
    try {
      const answer = await fetch(cognito.jwksUri);
      expect(answer.status).toBe(200);
    } finally {
      await cognito.stop();
      await new Promise((resolve) => taken.close(resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

function portFreeNow(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
