import { randomUUID } from 'node:crypto';
import {
  AliasExistsException,
  CodeMismatchException,
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
  UpdateUserAttributesCommand,
  VerifyUserAttributeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/client/api-client';
import { type Api, apiFor } from '../support/api';
import { cognitoClient, PASSWORD, type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Alice changes her email as the web client does: a code to the new address, entered back, then
 * `POST /me/email`. Bob looks people up by exact email.
 */
describe('changing the email', () => {
  let stack: TestStack;
  let cognito: CognitoIdentityProviderClient;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let bobs: Api;

  beforeAll(async () => {
    stack = await startTestStack();
    cognito = cognitoClient(stack);
    [alice, bob, carol] = (await Promise.all(
      ['alice', 'bob', 'carol'].map((name) => signUp(stack, name)),
    )) as [Persona, Persona, Persona];
    bobs = apiFor(stack, bob);
  });

  afterAll(async () => {
    cognito?.destroy();
    await stack?.stop();
  });

  const newEmail = (name: string) => `${name}.${randomUUID().slice(0, 8)}@example.org`;
  const signIn = async (email: string) =>
    (
      await cognito.send(
        new InitiateAuthCommand({
          ClientId: stack.endpoints.userPoolClientId,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: email, PASSWORD },
        }),
      )
    ).AuthenticationResult?.AccessToken;
  const askFor = (persona: Persona, email: string) =>
    cognito.send(
      new UpdateUserAttributesCommand({
        AccessToken: persona.accessToken,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
  const verify = (persona: Persona, code: string) =>
    cognito.send(
      new VerifyUserAttributeCommand({
        AccessToken: persona.accessToken,
        AttributeName: 'email',
        Code: code,
      }),
    );
  /** Who Bob finds by an exact email. */
  const foundBy = async (email: string) =>
    (await bobs.findUsers({ query: { email } })).items.map((user) => user.userId);

  it('sends the code to the new address; the old email signs in and finds Alice until it is entered', async () => {
    const wanted = newEmail('alice');
    await askFor(alice, wanted);

    const mail = await stack.mailbox.waitFor(wanted);
    expect(mail.code).toMatch(/^\d{6}$/);
    expect(
      stack.mailbox
        .list()
        .filter((m) => m.to === alice.email)
        .map((m) => m.reason),
    ).toEqual(['SignUp']);
    await expect(signIn(alice.email)).resolves.toEqual(expect.any(String));
    await expect(signIn(wanted)).rejects.toThrow();
    // The server follows the account, which has not changed yet.
    await expect(apiFor(stack, alice).syncMyEmail()).resolves.toMatchObject({ email: alice.email });
    expect(await foundBy(alice.email)).toEqual([alice.userId]);
    expect(await foundBy(wanted)).toEqual([]);

    // A wrong code changes nothing.
    await expect(verify(alice, mail.code === '000000' ? '111111' : '000000')).rejects.toThrow(
      CodeMismatchException,
    );
    await expect(signIn(alice.email)).resolves.toEqual(expect.any(String));

    await verify(alice, mail.code);

    await expect(signIn(wanted)).resolves.toEqual(expect.any(String));
    await expect(signIn(alice.email)).rejects.toThrow();
    const me = await apiFor(stack, alice).syncMyEmail();
    expect(me).toMatchObject({ userId: alice.userId, email: wanted });
    await expect(apiFor(stack, alice).getMe()).resolves.toMatchObject({ email: wanted });
    expect(await foundBy(wanted)).toEqual([alice.userId]);
    expect(await foundBy(alice.email)).toEqual([]);
    // Once more: nothing left to do, the same answer.
    await expect(apiFor(stack, alice).syncMyEmail()).resolves.toEqual(me);
  });

  it('refuses an email another account signs in with, and mails it nothing', async () => {
    const before = stack.mailbox.list().filter((m) => m.to === bob.email).length;

    await expect(askFor(carol, bob.email)).rejects.toThrow(AliasExistsException);

    expect(stack.mailbox.list().filter((m) => m.to === bob.email)).toHaveLength(before);
    await expect(apiFor(stack, carol).syncMyEmail()).resolves.toMatchObject({ email: carol.email });
    expect(await foundBy(bob.email)).toEqual([bob.userId]);
  });

  it('answers 409 while another profile still holds the email, and moves once that one followed its own change', async () => {
    // Dave changed his email at the user pool but his app never told the server: his profile still
    // holds the old one, which the pool has given free, and Erin takes it at the pool.
    const [dave, erin] = await Promise.all([signUp(stack, 'dave'), signUp(stack, 'erin')]);
    const davesNext = newEmail('dave');
    await askFor(dave, davesNext);
    await verify(dave, (await stack.mailbox.waitFor(davesNext)).code);
    await askFor(erin, dave.email);
    await verify(erin, (await stack.mailbox.waitFor(dave.email)).code);

    const refused = apiFor(stack, erin).syncMyEmail();
    await expect(refused).rejects.toThrow(ApiError);
    await expect(refused).rejects.toMatchObject({ status: 409, code: 'CONFLICT' });
    expect(await foundBy(dave.email)).toEqual([dave.userId]);

    await apiFor(stack, dave).syncMyEmail();
    await expect(apiFor(stack, erin).syncMyEmail()).resolves.toMatchObject({ email: dave.email });
    expect(await foundBy(dave.email)).toEqual([erin.userId]);
    expect(await foundBy(davesNext)).toEqual([dave.userId]);
    expect(await foundBy(erin.email)).toEqual([]);
  });
});
