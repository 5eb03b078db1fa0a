import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Persona, signUp } from '../support/personas';
import { connect } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { tableReader } from '../support/table';
import { accessClaims, forge, signWithLocalKey } from '../support/tokens';

/** Only a valid, current access token of this stage's app client opens a connection or calls the HTTP API. */
describe('authentication', () => {
  let stack: TestStack;
  let table: ReturnType<typeof tableReader>;
  let carol: Persona;
  let claims: (overrides: {
    expiresInSeconds?: number;
    clientId?: string;
    issuer?: string;
  }) => Record<string, unknown>;

  beforeAll(async () => {
    stack = await startTestStack();
    table = tableReader(stack);
    carol = await signUp(stack, 'carol');
    const issuer = `${stack.resources.cognitoEndpoint}/${stack.endpoints.userPoolId}`;
    claims = (overrides) =>
      accessClaims({
        issuer: overrides.issuer ?? issuer,
        clientId: overrides.clientId ?? stack.endpoints.userPoolClientId,
        userId: carol.userId,
        expiresInSeconds: overrides.expiresInSeconds ?? 3600,
      });
  });

  afterAll(async () => {
    table?.destroy();
    await stack?.stop();
  });

  const refusals: Array<[string, () => string | undefined]> = [
    ['no token', () => undefined],
    ['a malformed token', () => 'not-a-jwt'],
    ['an expired token', () => signWithLocalKey(claims({ expiresInSeconds: -60 }))],
    ['a forged token', () => forge(claims({}))],
    ['a token of another app client', () => signWithLocalKey(claims({ clientId: 'someone-else' }))],
    ['a token of another issuer', () => signWithLocalKey(claims({ issuer: 'https://issuer.invalid/pool' }))],
    ['an id token instead of an access token', () => carol.idToken],
  ];

  for (const via of ['query', 'protocol'] as const) {
    for (const [name, token] of refusals) {
      it(`refuses a WebSocket with ${name} (token in ${via}) with 401 and stores no connection`, async () => {
        const attempt = connect(stack.endpoints.webSocketUrl, token(), { via });
        await expect(attempt).rejects.toMatchObject({ status: 401 });
        expect(await table.connections(carol.userId)).toEqual([]);
        expect(stack.webSocket.connectionIds()).toEqual([]);
      });
    }
  }

  it('accepts a correctly signed current token minted with the same claims (the refusals are not blanket)', async () => {
    const socket = await connect(stack.endpoints.webSocketUrl, signWithLocalKey(claims({})));
    expect(await table.connections(carol.userId)).toHaveLength(1);
    await socket.close();
  });

  for (const [name, token] of refusals) {
    it(`answers GET /me with ${name} with 401`, async () => {
      const value = token();
      const response = await fetch(`${stack.endpoints.httpApiUrl}/me`, {
        headers: value ? { authorization: `Bearer ${value}` } : {},
      });
      expect(response.status).toBe(401);
      // API Gateway's JWT authorizer lets an id token through (its `aud` is the client); the function refuses it.
      if (name.startsWith('an id token')) {
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(await response.json()).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
      }
    });
  }

  it('answers an unknown HTTP route with 404', async () => {
    const response = await fetch(`${stack.endpoints.httpApiUrl}/nope`, {
      headers: { authorization: `Bearer ${carol.accessToken}` },
    });
    expect(response.status).toBe(404);
  });

  it('answers CORS preflights for the web origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.endpoints.httpApiUrl}/me`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    const web = stack.outputs['Parley-local-Http']?.WebUrl as string;
    const allowed = await preflight(web);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(web);
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
