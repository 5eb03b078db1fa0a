import { UnauthorizedError } from '../../errors';
import type { TokenVerifier, VerifiedIdentity } from '../../ports/token-verifier';

/** Accepts exactly the tokens it was given, each standing for one identity. */
export class InMemoryTokenVerifier implements TokenVerifier {
  private readonly identities = new Map<string, VerifiedIdentity>();

  constructor(tokens: Readonly<Record<string, VerifiedIdentity>> = {}) {
    for (const [token, identity] of Object.entries(tokens)) this.issue(token, identity);
  }

  /** Makes `token` valid for `identity`. */
  issue(token: string, identity: VerifiedIdentity): void {
    this.identities.set(token, { ...identity });
  }

  /** Makes `token` invalid from now on, as expiry or revocation would. */
  revoke(token: string): void {
    this.identities.delete(token);
  }

  async verify(token: string): Promise<VerifiedIdentity> {
    const identity = this.identities.get(token);
    if (!identity) throw new UnauthorizedError('Invalid access token');
    return identity;
  }
}
