import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { UnauthorizedError } from '../../errors';
import type { TokenVerifier, VerifiedIdentity } from '../../ports/token-verifier';

export interface JwtTokenVerifierOptions {
  readonly issuer: string;
  readonly jwksUri: string;
  /** The app client tokens must be issued to. */
  readonly clientId: string;
}

/** How long a JWKS download may take before the connection is refused. */
const JWKS_FETCH_TIMEOUT_IN_MS = 3000;

/**
 * Verifies Cognito access tokens: signature against the issuer's JWKS,
 * `iss`, `exp`, `token_use = access` and `client_id`. One code path for AWS
 * and the local stage: only the issuer and JWKS URI differ.
 */
export class JwtTokenVerifier implements TokenVerifier {
  private readonly verifier;

  constructor(options: JwtTokenVerifierOptions) {
    // The library's default fetcher refuses http:, which the local identity provider speaks.
    const jwksCache = new SimpleJwksCache({
      fetcher: {
        fetch: async (uri: string) => {
          const response = await fetch(uri, { signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_IN_MS) });
          if (!response.ok) throw new Error(`JWKS download failed with status ${response.status}`);
          return response.arrayBuffer();
        },
      },
    });
    this.verifier = JwtRsaVerifier.create(
      {
        issuer: options.issuer,
        jwksUri: options.jwksUri,
        audience: null,
        customJwtCheck: ({ payload }) => {
          if (payload.token_use !== 'access') throw new Error('Not an access token');
          if (payload.client_id !== options.clientId) throw new Error('Token issued to another client');
        },
      },
      { jwksCache },
    );
  }

  async verify(token: string): Promise<VerifiedIdentity> {
    try {
      const payload = await this.verifier.verify(token);
      if (
        typeof payload.sub !== 'string' ||
        typeof payload.username !== 'string' ||
        typeof payload.iat !== 'number'
      ) {
        throw new Error('Token lacks sub, username or iat');
      }
      return { userId: payload.sub, username: payload.username, issuedAt: payload.iat };
    } catch (error) {
      throw new UnauthorizedError('Invalid access token', { cause: error });
    }
  }
}
