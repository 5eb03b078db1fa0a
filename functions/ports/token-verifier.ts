/** What a verified access token says about its bearer. */
export interface VerifiedIdentity {
  readonly userId: string;
  readonly username: string;
  /** When the token was issued (its `iat`), epoch seconds: a sign-out everywhere ends older tokens. */
  readonly issuedAt: number;
}

export interface TokenVerifier {
  /** Throws `UnauthorizedError` for a missing, malformed, forged, expired or foreign token. */
  verify(token: string): Promise<VerifiedIdentity>;
}
