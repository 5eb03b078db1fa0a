import { JwtTokenVerifier } from '../adapters/cognito/jwt-token-verifier';
import type { authorizeConnection } from '../chat/connection/authorize-connection';
import { Env, loadConfig } from '../config';
import { sessionMarks } from './dynamodb';

/**
 * The `$connect` authorizer verifies tokens against the issuer's public keys (no SDK client for that),
 * and reads the user's sign-out mark: one strongly consistent read per connection attempt.
 */
export function buildAuthorizerDeps(): Parameters<typeof authorizeConnection>[0] {
  const config = loadConfig([Env.JwtIssuer, Env.JwksUri, Env.UserPoolClientId]);
  return {
    tokens: new JwtTokenVerifier({
      issuer: config.JWT_ISSUER,
      jwksUri: config.JWKS_URI,
      clientId: config.USER_POOL_CLIENT_ID,
    }),
    connections: sessionMarks(),
  };
}
