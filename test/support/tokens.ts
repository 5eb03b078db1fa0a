import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Hand-made JWTs for the refusal tests. The local identity provider's signing
 * key ships with it (which is why its tokens are never trusted outside the
 * local stage), so a test can mint a correctly signed but expired token.
 */
const localKeyPem = (): string => {
  const path = createRequire(import.meta.url).resolve('cognito-local/lib/keys/cognitoLocal.private.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { pem: string }).pem;
};

function encode(part: object): string {
  return Buffer.from(JSON.stringify(part)).toString('base64url');
}

function signJwt(payload: Record<string, unknown>, privateKeyPem: string): string {
  const header = { alg: 'RS256', typ: 'JWT', kid: 'CognitoLocal' };
  const input = `${encode(header)}.${encode(payload)}`;
  const signature = sign('RSA-SHA256', Buffer.from(input), createPrivateKey(privateKeyPem)).toString(
    'base64url',
  );
  return `${input}.${signature}`;
}

/** Claims of an access token as the stage's identity provider issues them. */
export function accessClaims(options: {
  issuer: string;
  clientId: string;
  userId: string;
  expiresInSeconds: number;
}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: options.userId,
    username: options.userId,
    client_id: options.clientId,
    token_use: 'access',
    iss: options.issuer,
    iat: now - 3600,
    auth_time: now - 3600,
    exp: now + options.expiresInSeconds,
    jti: 'test',
    scope: 'aws.cognito.signin.user.admin',
  };
}

/** Signed with the real local key: valid except for what the claims say. */
export function signWithLocalKey(claims: Record<string, unknown>): string {
  return signJwt(claims, localKeyPem());
}

/** Signed with a key nobody published, under the real key's id: a forgery. */
export function forge(claims: Record<string, unknown>): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return signJwt(claims, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}
