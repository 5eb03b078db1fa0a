import { JwtTokenVerifier } from '../adapters/cognito/jwt-token-verifier';
import { Env, loadConfig } from '../config';
import type { TokenVerifier } from '../ports/token-verifier';

/** The `$connect` authorizer verifies tokens against the issuer's public keys: no SDK client at all. */
export function buildAuthorizerDeps(): { tokens: TokenVerifier } {
  const config = loadConfig([Env.JwtIssuer, Env.JwksUri, Env.UserPoolClientId]);
  return {
    tokens: new JwtTokenVerifier({
      issuer: config.JWT_ISSUER,
      jwksUri: config.JWKS_URI,
      clientId: config.USER_POOL_CLIENT_ID,
    }),
  };
}
