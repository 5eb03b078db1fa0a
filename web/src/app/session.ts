import { type CognitoClient, CognitoError, type CognitoTokens, type MfaChallenge } from '../auth/cognito';

const STORAGE_KEY = 'parley.session';

/** The server ended this session: its refresh token no longer works. */
export class SessionEndedError extends Error {
  constructor() {
    super('This session has ended. Sign in again.');
    this.name = 'SessionEndedError';
  }
}
/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_IN_MS = 60_000;

interface Stored {
  readonly email: string;
  readonly refreshToken: string;
}

/**
 * The signed-in user's tokens. The refresh token is kept in `localStorage`, so a reload stays signed in; the
 * access and id tokens live in memory only and are refreshed shortly before they expire.
 */
export class Session {
  private tokens: CognitoTokens;
  private refreshing: Promise<void> | undefined;
  private currentEmail: string;

  private constructor(
    /** The user pool, for the account's own settings (password, email, two-step sign-in). */
    readonly cognito: CognitoClient,
    email: string,
    tokens: CognitoTokens,
    private readonly refreshToken: string,
  ) {
    this.currentEmail = email;
    this.tokens = tokens;
  }

  /** The email the account signs in with: for signing in again to prove it is the person. */
  get email(): string {
    return this.currentEmail;
  }

  /** The account's email changed (its code was entered): this session and the next visit sign in with it. */
  changeEmail(email: string): void {
    this.currentEmail = email;
    // Only a session still kept: one forgotten at sign-out stays forgotten.
    if (localStorage.getItem(STORAGE_KEY) === null) return;
    localStorage.setItem(
      STORAGE_KEY,
      JSON.stringify({ email, refreshToken: this.refreshToken } satisfies Stored),
    );
  }

  /**
   * Signs in with a password: the session, or the second step when the account asks for a code from an
   * authenticator app (`completeSignIn` with the code).
   */
  static async signIn(
    cognito: CognitoClient,
    email: string,
    password: string,
  ): Promise<Session | MfaChallenge> {
    const result = await cognito.signIn(email, password);
    return 'session' in result ? result : Session.start(cognito, email, result);
  }

  /** The second step of a sign-in: the code from the authenticator app. */
  static async completeSignIn(
    cognito: CognitoClient,
    email: string,
    challenge: MfaChallenge,
    code: string,
  ): Promise<Session> {
    return Session.start(cognito, email, await cognito.answerMfa(challenge, code));
  }

  private static start(cognito: CognitoClient, email: string, tokens: CognitoTokens): Session {
    if (tokens.refreshToken === undefined)
      throw new CognitoError('NoRefreshToken', 'Sign-in did not complete.');
    localStorage.setItem(
      STORAGE_KEY,
      JSON.stringify({ email, refreshToken: tokens.refreshToken } satisfies Stored),
    );
    return new Session(cognito, email, tokens, tokens.refreshToken);
  }

  /** The session kept from an earlier visit, refreshed; `undefined` when there is none or it has ended. */
  static async resume(cognito: CognitoClient): Promise<Session | undefined> {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (raw === null) return undefined;
    let stored: Stored;
    try {
      stored = JSON.parse(raw) as Stored;
    } catch {
      localStorage.removeItem(STORAGE_KEY);
      return undefined;
    }
    try {
      const tokens = await cognito.refresh(stored.refreshToken);
      return new Session(cognito, stored.email, tokens, stored.refreshToken);
    } catch (error) {
      // Signed out elsewhere, or the refresh token expired: sign in again. A network failure keeps it.
      if (error instanceof CognitoError && error.exception !== 'NetworkError')
        localStorage.removeItem(STORAGE_KEY);
      if (error instanceof CognitoError && error.exception === 'NetworkError') throw error;
      return undefined;
    }
  }

  /** The user id (the token's `sub`). */
  get userId(): string {
    return claimsOf(this.tokens.accessToken).sub as string;
  }

  /**
   * A valid access token, refreshed first when it is about to expire, or when `fresh` is asked for (the
   * server refused the one held). Throws `SessionEndedError` when the server ended the session (a sign-out
   * everywhere, or this browser's refresh token revoked): sign in again.
   */
  async accessToken(options: { fresh?: boolean } = {}): Promise<string> {
    if (options.fresh || Date.now() > this.tokens.expiresAt - REFRESH_MARGIN_IN_MS) {
      this.refreshing ??= this.cognito
        .refresh(this.refreshToken)
        .then((tokens) => {
          this.tokens = tokens;
        })
        .finally(() => {
          this.refreshing = undefined;
        });
      try {
        await this.refreshing;
      } catch (error) {
        if (error instanceof CognitoError && error.exception === 'NotAuthorizedException') {
          localStorage.removeItem(STORAGE_KEY);
          throw new SessionEndedError();
        }
        throw error;
      }
    }
    return this.tokens.accessToken;
  }

  /** Forgets the session here only: the server ended it already (`POST /me/sign-out`). */
  forget(): void {
    localStorage.removeItem(STORAGE_KEY);
  }

  /**
   * Forgets the session here and ends it on the server: this browser's refresh token stops working, or,
   * `everywhere`, every refresh token of the user (each of their browsers and apps must sign in again).
   */
  async signOut(options: { everywhere?: boolean } = {}): Promise<void> {
    localStorage.removeItem(STORAGE_KEY);
    try {
      if (options.everywhere) await this.cognito.globalSignOut(await this.accessToken());
      else await this.cognito.revokeToken(this.refreshToken);
    } catch {
      // Already ended, or offline: the local session is gone either way.
    }
  }
}

function claimsOf(jwt: string): Record<string, unknown> {
  const payload = jwt.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(json) as Record<string, unknown>;
}
