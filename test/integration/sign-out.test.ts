import { InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor, rawRequest } from '../support/api';
import { cognitoClient, type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { tableReader } from '../support/table';

/** The claims of a JWT, unverified: what a test reads of a token it was given. */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

/** Signing out everywhere ends every session at once: sockets close, old tokens open and change nothing. */
describe('sign-out everywhere', () => {
  let stack: TestStack;
  let table: ReturnType<typeof tableReader>;
  let cognito: ReturnType<typeof cognitoClient>;
  let alice: Persona;
  let bob: Persona;
  /** Alice's second device, signed in on its own. */
  let aliceLaptopToken: string;
  let alicePhone: TestSocket;
  let aliceLaptop: TestSocket;
  let bobSocket: TestSocket;
  let phoneClosed: Promise<{ code: number; reason: string }>;
  let laptopClosed: Promise<{ code: number; reason: string }>;

  const signIn = async (persona: Persona) => {
    const auth = await cognito.send(
      new InitiateAuthCommand({
        ClientId: stack.endpoints.userPoolClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: persona.email, PASSWORD: persona.password },
      }),
    );
    return auth.AuthenticationResult?.AccessToken as string;
  };

  beforeAll(async () => {
    stack = await startTestStack();
    table = tableReader(stack);
    cognito = cognitoClient(stack);
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    aliceLaptopToken = await signIn(alice);
    alicePhone = await connect(stack.endpoints.webSocketUrl, alice.accessToken);
    aliceLaptop = await connect(stack.endpoints.webSocketUrl, aliceLaptopToken, { via: 'protocol' });
    bobSocket = await connect(stack.endpoints.webSocketUrl, bob.accessToken);
    phoneClosed = alicePhone.closed();
    laptopClosed = aliceLaptop.closed();

    const response = await rawRequest(stack, alice, 'POST', '/me/sign-out');
    expect(response.status).toBe(204);
  });

  afterAll(async () => {
    await bobSocket?.close();
    table?.destroy();
    cognito?.destroy();
    await stack?.stop();
  });

  it("closes every open socket of the user, the other device's included", async () => {
    await expect(phoneClosed).resolves.toMatchObject({ code: 1000 });
    await expect(laptopClosed).resolves.toMatchObject({ code: 1000 });
  });

  it('refuses a new WebSocket with a token issued before the sign-out, with 401', async () => {
    for (const token of [alice.accessToken, aliceLaptopToken]) {
      await expect(connect(stack.endpoints.webSocketUrl, token)).rejects.toMatchObject({ status: 401 });
    }
    // Refused by the authorizer itself, before `$connect` (which would refuse it too).
    const refusals = stack.logs.filter((log) => log.line.includes('Connection refused'));
    expect(refusals.filter((log) => log.line.includes('session has ended'))).toHaveLength(2);
  });

  it('refuses a change over HTTP with such a token, with 401 SESSION_ENDED', async () => {
    const response = await rawRequest(stack, alice, 'PATCH', '/me', { displayName: 'Mallory' });

    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 401, code: 'SESSION_ENDED' });
    expect((await apiFor(stack, bob).getUser({ params: { userId: alice.userId } })).displayName).not.toBe(
      'Mallory',
    );
  });

  it('lets no session renew its tokens: every refresh token is revoked', async () => {
    await expect(
      cognito.send(
        new InitiateAuthCommand({
          ClientId: stack.endpoints.userPoolClientId,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: alice.refreshToken },
        }),
      ),
    ).rejects.toThrow();
  });

  it('lets the user sign in again and use the new session at once', async () => {
    const fresh = await signIn(alice);

    const socket = await connect(stack.endpoints.webSocketUrl, fresh);
    const renamed = await apiFor(stack, { accessToken: fresh }).updateMe({ body: { displayName: 'Alice' } });

    expect(renamed.displayName).toBe('Alice');
    await socket.close();
  });

  it("leaves other users' sockets open and their tokens working", async () => {
    expect(bobSocket.ws.readyState).toBe(bobSocket.ws.OPEN);
    const again = await connect(stack.endpoints.webSocketUrl, bob.accessToken);
    await again.close();
    const renamed = await apiFor(stack, bob).updateMe({ body: { displayName: 'Bob' } });
    expect(renamed.displayName).toBe('Bob');
  });

  it('issues access and id tokens that last one hour, as the deployed user pool does', () => {
    for (const token of [bob.accessToken, bob.idToken]) {
      const claims = claimsOf(token);
      expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
    }
  });
});
