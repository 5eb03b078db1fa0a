import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AliasExistsException,
  CodeMismatchException,
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  ExpiredCodeException,
  GetUserAttributeVerificationCodeCommand,
  GetUserCommand,
  InitiateAuthCommand,
  InvalidParameterException,
  LimitExceededException,
  NotAuthorizedException,
  SignUpCommand,
  UpdateUserAttributesCommand,
  VerifyUserAttributeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCognito, startCognito } from './cognito';
import { ATTRIBUTE_CODE_VALIDITY_IN_MS, WRONG_ATTRIBUTE_CODES_BEFORE_LIMIT } from './cognito-attribute-codes';
import { LOCAL_CREDENTIALS } from './listen';

const PASSWORD = 'Correct-Horse-42!';

/** Calls on one local Cognito, as the web client makes them to change an account's email. */
function emailChanges(cognito: () => LocalCognito) {
  const client = () =>
    new CognitoIdentityProviderClient({
      endpoint: cognito().endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    });
  const send = async <T>(call: (client: CognitoIdentityProviderClient) => Promise<T>): Promise<T> => {
    const made = client();
    try {
      return await call(made);
    } finally {
      made.destroy();
    }
  };
  const clientId = () => cognito().userPoolClientId;
  return {
    signUpConfirmed: async (email: string) => {
      await send((c) =>
        c.send(
          new SignUpCommand({
            ClientId: clientId(),
            Username: email,
            Password: PASSWORD,
            UserAttributes: [{ Name: 'email', Value: email }],
          }),
        ),
      );
      const { code } = await cognito().mailbox.waitFor(email);
      await send((c) =>
        c.send(new ConfirmSignUpCommand({ ClientId: clientId(), Username: email, ConfirmationCode: code })),
      );
    },
    accessTokenOf: async (email: string) =>
      (
        await send((c) =>
          c.send(
            new InitiateAuthCommand({
              ClientId: clientId(),
              AuthFlow: 'USER_PASSWORD_AUTH',
              AuthParameters: { USERNAME: email, PASSWORD },
            }),
          ),
        )
      ).AuthenticationResult?.AccessToken as string,
    change: (accessToken: string, email: string) =>
      send((c) =>
        c.send(
          new UpdateUserAttributesCommand({
            AccessToken: accessToken,
            UserAttributes: [{ Name: 'email', Value: email }],
          }),
        ),
      ),
    resend: (accessToken: string) =>
      send((c) =>
        c.send(
          new GetUserAttributeVerificationCodeCommand({ AccessToken: accessToken, AttributeName: 'email' }),
        ),
      ),
    verify: (accessToken: string, code: string) =>
      send((c) =>
        c.send(
          new VerifyUserAttributeCommand({ AccessToken: accessToken, AttributeName: 'email', Code: code }),
        ),
      ),
    emailOf: async (accessToken: string) => {
      const user = await send((c) => c.send(new GetUserCommand({ AccessToken: accessToken })));
      const attribute = (name: string) => user.UserAttributes?.find((a) => a.Name === name)?.Value;
      return { email: attribute('email'), verified: attribute('email_verified') };
    },
    /** The mails to `to` so far, without waiting: what reached the mailbox by the time a call answered. */
    mailsTo: (to: string) =>
      cognito()
        .mailbox.list()
        .filter((mail) => mail.to === to),
  };
}

/** A code that is not the one mailed. */
const other = (code: string) => (code === '000000' ? '111111' : '000000');

describe('Cognito stand-in: changing the email', () => {
  let dataDir: string;
  let cognito: LocalCognito;
  const clock = { offset: 0 };
  const calls = emailChanges(() => cognito);
  const { signUpConfirmed, accessTokenOf, change, resend, verify, emailOf, mailsTo } = calls;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-cognito-'));
    cognito = await startCognito({
      dataDir,
      port: 0,
      region: 'us-east-1',
      now: () => Date.now() + clock.offset,
    });
  });

  afterAll(async () => {
    await cognito?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('mails the code to the new address, and keeps the old email until the code is entered', async () => {
    await signUpConfirmed('olga@example.com');
    const token = await accessTokenOf('olga@example.com');

    const { CodeDeliveryDetailsList } = await change(token, 'olga.new@example.com');

    expect(CodeDeliveryDetailsList).toEqual([
      { AttributeName: 'email', DeliveryMedium: 'EMAIL', Destination: 'o***@e***' },
    ]);
    // In the mailbox by the time the call answered, and to the new address only.
    const [mail, ...more] = mailsTo('olga.new@example.com');
    expect(mail?.code).toMatch(/^\d{6}$/);
    expect(more).toEqual([]);
    expect(mailsTo('olga@example.com').map((m) => m.reason)).toEqual(['SignUp']);
    // Until then the old email is the account's: it signs in, the new one does not.
    await expect(emailOf(token)).resolves.toMatchObject({ email: 'olga@example.com' });
    await expect(accessTokenOf('olga@example.com')).resolves.toEqual(expect.any(String));
    await expect(accessTokenOf('olga.new@example.com')).rejects.toThrow();

    await expect(verify(token, other(mail?.code as string))).rejects.toThrow(CodeMismatchException);
    await verify(token, mail?.code as string);

    await expect(emailOf(token)).resolves.toEqual({ email: 'olga.new@example.com', verified: 'true' });
    await expect(accessTokenOf('olga.new@example.com')).resolves.toEqual(expect.any(String));
    await expect(accessTokenOf('olga@example.com')).rejects.toThrow();
  });

  it('mails a new code to the new address on request; the one before no longer works', async () => {
    await signUpConfirmed('pia@example.com');
    const token = await accessTokenOf('pia@example.com');
    await change(token, 'pia.new@example.com');
    const first = mailsTo('pia.new@example.com')[0]?.code as string;

    const { CodeDeliveryDetails } = await resend(token);

    expect(CodeDeliveryDetails?.Destination).toBe('p***@e***');
    const second = mailsTo('pia.new@example.com').at(-1);
    expect(second?.reason).toBe('GetUserAttributeVerificationCode');
    expect(second?.code).not.toBe(first);
    await expect(verify(token, first)).rejects.toThrow(CodeMismatchException);
    await verify(token, second?.code as string);
    await expect(emailOf(token)).resolves.toMatchObject({ email: 'pia.new@example.com' });
  });

  it('refuses an email another account signs in with, as Cognito does, and mails nothing', async () => {
    await signUpConfirmed('quinn@example.com');
    await signUpConfirmed('quinn.taken@example.com');
    const token = await accessTokenOf('quinn@example.com');

    // The stand-in took it, and would have let two accounts share one email.
    const taken = change(token, 'Quinn.Taken@example.com');
    await expect(taken).rejects.toThrow(AliasExistsException);
    await expect(taken).rejects.toThrow('An account with the given email already exists.');
    expect(mailsTo('Quinn.Taken@example.com')).toEqual([]);
    await expect(change(token, 'not an email')).rejects.toThrow(InvalidParameterException);
    await expect(emailOf(token)).resolves.toMatchObject({ email: 'quinn@example.com' });
  });

  it('refuses the new email at its code when another account took it meanwhile', async () => {
    await signUpConfirmed('rosa@example.com');
    const token = await accessTokenOf('rosa@example.com');
    await change(token, 'rosa.wanted@example.com');
    const code = mailsTo('rosa.wanted@example.com')[0]?.code as string;
    await signUpConfirmed('rosa.wanted@example.com');

    await expect(verify(token, code)).rejects.toThrow(AliasExistsException);
    await expect(emailOf(token)).resolves.toMatchObject({ email: 'rosa@example.com' });
  });

  it('stops taking codes after five wrong ones in a row, the right one too', async () => {
    await signUpConfirmed('sven@example.com');
    const token = await accessTokenOf('sven@example.com');
    await change(token, 'sven.new@example.com');
    const code = mailsTo('sven.new@example.com')[0]?.code as string;
    for (let n = 0; n < WRONG_ATTRIBUTE_CODES_BEFORE_LIMIT; n++) {
      await expect(verify(token, other(code))).rejects.toThrow(CodeMismatchException);
    }
    await expect(verify(token, code)).rejects.toThrow(LimitExceededException);
    await expect(emailOf(token)).resolves.toMatchObject({ email: 'sven@example.com' });
  });

  it('answers a code older than a day as expired; a new code works', async () => {
    await signUpConfirmed('tove@example.com');
    const token = await accessTokenOf('tove@example.com');
    await change(token, 'tove.new@example.com');
    const stale = mailsTo('tove.new@example.com')[0]?.code as string;
    clock.offset += ATTRIBUTE_CODE_VALIDITY_IN_MS + 60_000;
    try {
      await expect(verify(token, stale)).rejects.toThrow(ExpiredCodeException);
      await resend(token);
      await verify(token, mailsTo('tove.new@example.com').at(-1)?.code as string);
    } finally {
      clock.offset = 0;
    }
    await expect(emailOf(token)).resolves.toMatchObject({ email: 'tove.new@example.com' });
  });

  it('refuses the three calls with a forged access token', async () => {
    await signUpConfirmed('uma@example.com');
    const [header, payload] = (await accessTokenOf('uma@example.com')).split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the pool’s signature').toString('base64url')}`;
    await expect(change(forged, 'uma.new@example.com')).rejects.toThrow(NotAuthorizedException);
    await expect(resend(forged)).rejects.toThrow(NotAuthorizedException);
    await expect(verify(forged, '123456')).rejects.toThrow(NotAuthorizedException);
  });
});

describe('Cognito stand-in: a pool kept from before emails were verified before they change', () => {
  let dataDir: string;
  let cognito: LocalCognito | undefined;
  const { signUpConfirmed, accessTokenOf, change, emailOf } = emailChanges(() => cognito as LocalCognito);

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-cognito-'));
  });

  afterAll(async () => {
    await cognito?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gets the setting at its next start', async () => {
    cognito = await startCognito({ dataDir, port: 0, region: 'us-east-1' });
    await signUpConfirmed('vera@example.com');
    await cognito.stop();
    // As a data directory from before: the pool without the setting.
    const file = join(dataDir, '.cognito', 'db', `${cognito.userPoolId}.json`);
    const store = JSON.parse(readFileSync(file, 'utf8')) as { Options: Record<string, unknown> };
    delete store.Options.UserAttributeUpdateSettings;
    writeFileSync(file, JSON.stringify(store));

    cognito = await startCognito({ dataDir, port: 0, region: 'us-east-1' });
    const token = await accessTokenOf('vera@example.com');
    await change(token, 'vera.new@example.com');

    await expect(emailOf(token)).resolves.toMatchObject({ email: 'vera@example.com' });
    await expect(accessTokenOf('vera@example.com')).resolves.toEqual(expect.any(String));
  });
});
