/**
 * The Cognito user pool calls the browser makes, as plain JSON requests (the SDK would add hundreds of
 * kilobytes for a dozen calls). Errors carry Cognito's exception name, mapped to words a person understands.
 */

export interface CognitoTokens {
  readonly accessToken: string;
  readonly idToken: string;
  /** Absent on a refresh: the refresh token stays the same. */
  readonly refreshToken?: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/**
 * A sign-in whose password was right and that now needs the code from the person's authenticator app
 * (`answerMfa`). The session lasts a few minutes and a few wrong codes.
 */
export interface MfaChallenge {
  readonly username: string;
  readonly session: string;
}

/** What the account's settings show: its email and whether sign-in asks for an authenticator code. */
export interface AccountSecurity {
  readonly email: string;
  readonly twoStep: boolean;
}

/** The words of a refusal that differ in a flow from the sign-in screen's. */
type Words = Readonly<Record<string, string>>;

/** Codes from an authenticator app: at sign-in, at enrolment, at turning it off. */
const AUTHENTICATOR_WORDS: Words = {
  CodeMismatchException: 'That code is not right. Enter the code your authenticator app shows now.',
  EnableSoftwareTokenMFAException: 'That code is not right. Enter the code your authenticator app shows now.',
  ExpiredCodeException: 'That code was used already. Wait for the next one in your authenticator app.',
  TooManyFailedAttemptsException: 'Too many wrong codes. Wait 15 minutes, then try again.',
};

/** Changing the email: a new address, then the code sent to it. */
const NEW_EMAIL_WORDS: Words = {
  AliasExistsException: 'Another account uses that email. Choose another.',
  InvalidParameterException: 'That is not an email address. Check it and try again.',
  CodeDeliveryFailureException: 'We could not send an email to that address. Check it and try again.',
  CodeMismatchException: 'That code is not right. Enter the code in the newest email we sent you.',
  ExpiredCodeException: 'That code has expired or was used already. Send a new code and enter that one.',
  LimitExceededException: 'Too many wrong codes or new codes. Wait 15 minutes, then try again.',
};

/** A refused Cognito call; `message` is written for people, `name` is Cognito's exception. */
export class CognitoError extends Error {
  constructor(
    readonly exception: string,
    message: string,
  ) {
    super(message);
    this.name = 'CognitoError';
  }
}

const FRIENDLY: Record<string, string> = {
  CodeMismatchException: 'That code is not right. Check the email and try again.',
  ExpiredCodeException: 'That code has expired. Ask for a new one.',
  InvalidPasswordException:
    'Choose a stronger password: at least 12 characters with upper and lower case letters, a digit and a symbol.',
  NotAuthorizedException: 'Wrong email or password.',
  UserNotFoundException: 'Wrong email or password.',
  UsernameExistsException: 'An account with this email already exists. Sign in instead.',
  UserNotConfirmedException: 'Confirm your email first: enter the code we sent you.',
  LimitExceededException: 'Too many attempts. Wait a few minutes and try again.',
  TooManyRequestsException: 'Too many attempts. Wait a minute and try again.',
  TooManyFailedAttemptsException: 'Too many failed attempts. Wait a few minutes and try again.',
  InvalidParameterException: 'Check what you entered: something is missing or not valid.',
};

/**
 * Refusals of `ForgotPassword` that would tell whether an account exists (no such user, or one whose email
 * was never confirmed): answered as a sent code.
 */
const SILENT_ON_FORGOT = new Set([
  'UserNotFoundException',
  'InvalidParameterException',
  'NotAuthorizedException',
]);

export class CognitoClient {
  constructor(
    private readonly endpoint: string,
    private readonly clientId: string,
  ) {}

  signUp(email: string, password: string): Promise<void> {
    return this.call('SignUp', {
      ClientId: this.clientId,
      Username: email,
      Password: password,
      UserAttributes: [{ Name: 'email', Value: email }],
    }).then(() => undefined);
  }

  confirmSignUp(email: string, code: string): Promise<void> {
    return this.call('ConfirmSignUp', {
      ClientId: this.clientId,
      Username: email,
      ConfirmationCode: code,
    }).then(() => undefined);
  }

  resendCode(email: string): Promise<void> {
    return this.call('ResendConfirmationCode', { ClientId: this.clientId, Username: email }).then(
      () => undefined,
    );
  }

  /**
   * Asks for a code to set a new password, sent to the account's email. Answers the same whether or not
   * an account uses `email` (as the user pool does with `PreventUserExistenceErrors`): a stranger learns
   * nothing from it. Only a refusal that is about the caller (too many attempts, no connection) is said.
   */
  async forgotPassword(email: string): Promise<void> {
    try {
      await this.call('ForgotPassword', { ClientId: this.clientId, Username: email });
    } catch (error) {
      if (error instanceof CognitoError && SILENT_ON_FORGOT.has(error.exception)) return;
      throw error;
    }
  }

  /** Sets a new password with the emailed code. */
  confirmForgotPassword(email: string, code: string, password: string): Promise<void> {
    return this.call('ConfirmForgotPassword', {
      ClientId: this.clientId,
      Username: email,
      ConfirmationCode: code,
      Password: password,
    }).then(() => undefined);
  }

  /** Tokens, or the second step when the account asks for a code from an authenticator app. */
  async signIn(email: string, password: string): Promise<CognitoTokens | MfaChallenge> {
    const answer = await this.call('InitiateAuth', {
      ClientId: this.clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: email, PASSWORD: password },
    });
    const parameters = answer.ChallengeParameters as Record<string, string> | undefined;
    if (answer.ChallengeName === 'SOFTWARE_TOKEN_MFA' && typeof answer.Session === 'string')
      return { username: parameters?.USER_ID_FOR_SRP ?? email, session: answer.Session };
    return tokensOf(answer);
  }

  /** The second step of a sign-in: the six digits the authenticator app shows. */
  async answerMfa(challenge: MfaChallenge, code: string): Promise<CognitoTokens> {
    return tokensOf(
      await this.call(
        'RespondToAuthChallenge',
        {
          ClientId: this.clientId,
          ChallengeName: 'SOFTWARE_TOKEN_MFA',
          Session: challenge.session,
          ChallengeResponses: { USERNAME: challenge.username, SOFTWARE_TOKEN_MFA_CODE: code },
        },
        AUTHENTICATOR_WORDS,
      ),
    );
  }

  /** The account's email and whether its sign-in asks for an authenticator code. */
  async accountSecurity(accessToken: string): Promise<AccountSecurity> {
    const user = await this.call('GetUser', { AccessToken: accessToken });
    const attributes = (user.UserAttributes ?? []) as Array<{ Name: string; Value: string }>;
    return {
      email: attributes.find((attribute) => attribute.Name === 'email')?.Value ?? '',
      twoStep: ((user.UserMFASettingList ?? []) as string[]).includes('SOFTWARE_TOKEN_MFA'),
    };
  }

  /** A new authenticator secret (base32) for the account; turned on once a code of it is verified. */
  async associateAuthenticator(accessToken: string): Promise<string> {
    const answer = await this.call('AssociateSoftwareToken', { AccessToken: accessToken });
    return String(answer.SecretCode);
  }

  /** Checks a first code of the new authenticator, then asks for it at every sign-in. */
  async turnOnAuthenticator(accessToken: string, code: string): Promise<void> {
    await this.call(
      'VerifySoftwareToken',
      { AccessToken: accessToken, UserCode: code, FriendlyDeviceName: 'Authenticator app' },
      AUTHENTICATOR_WORDS,
    );
    await this.setAuthenticator(accessToken, true);
  }

  /** Stops asking for an authenticator code at sign-in (the caller has just signed in again with one). */
  async turnOffAuthenticator(accessToken: string): Promise<void> {
    await this.setAuthenticator(accessToken, false);
  }

  /** Sets a new password in place of the current one. */
  async changePassword(accessToken: string, current: string, proposed: string): Promise<void> {
    await this.call(
      'ChangePassword',
      { AccessToken: accessToken, PreviousPassword: current, ProposedPassword: proposed },
      { NotAuthorizedException: 'Your current password is not right.' },
    );
  }

  /**
   * Asks for `email` to become the account's. The user pool sends a code there and keeps the current email,
   * for signing in too, until the code is entered (`confirmEmailChange`).
   */
  async requestEmailChange(accessToken: string, email: string): Promise<void> {
    await this.call(
      'UpdateUserAttributes',
      { AccessToken: accessToken, UserAttributes: [{ Name: 'email', Value: email }] },
      NEW_EMAIL_WORDS,
    );
  }

  /** Sends a new code to the email asked for; the one before stops working. */
  async resendEmailCode(accessToken: string): Promise<void> {
    await this.call(
      'GetUserAttributeVerificationCode',
      { AccessToken: accessToken, AttributeName: 'email' },
      NEW_EMAIL_WORDS,
    );
  }

  /** The code sent to the new email: from now on it is the account's, and the old one signs in no more. */
  async confirmEmailChange(accessToken: string, code: string): Promise<void> {
    await this.call(
      'VerifyUserAttribute',
      { AccessToken: accessToken, AttributeName: 'email', Code: code },
      NEW_EMAIL_WORDS,
    );
  }

  private async setAuthenticator(accessToken: string, enabled: boolean): Promise<void> {
    await this.call('SetUserMFAPreference', {
      AccessToken: accessToken,
      SoftwareTokenMfaSettings: { Enabled: enabled, PreferredMfa: enabled },
    });
  }

  async refresh(refreshToken: string): Promise<CognitoTokens> {
    return tokensOf(
      await this.call('InitiateAuth', {
        ClientId: this.clientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: refreshToken },
      }),
    );
  }

  /** Ends one session on the server: this refresh token, and the tokens it issued, stop working. */
  async revokeToken(refreshToken: string): Promise<void> {
    await this.call('RevokeToken', { Token: refreshToken, ClientId: this.clientId });
  }

  /** Ends every session of the user on the server: their refresh tokens stop working. */
  async globalSignOut(accessToken: string): Promise<void> {
    await this.call('GlobalSignOut', { AccessToken: accessToken });
  }

  private async call(operation: string, body: unknown, words: Words = {}): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
        },
        body: JSON.stringify(body),
      });
    } catch {
      throw new CognitoError('NetworkError', 'Cannot reach the sign-in service. Check your connection.');
    }
    const payload = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.ok) return payload;
    const exception =
      String(payload.__type ?? payload.code ?? 'UnknownError')
        .split('#')
        .pop() ?? 'UnknownError';
    throw new CognitoError(
      exception,
      words[exception] ?? FRIENDLY[exception] ?? 'Something went wrong. Try again in a moment.',
    );
  }
}

function tokensOf(payload: Record<string, unknown>): CognitoTokens {
  const result = payload.AuthenticationResult as
    | { AccessToken: string; IdToken: string; RefreshToken?: string; ExpiresIn: number }
    | undefined;
  if (result === undefined)
    throw new CognitoError('ChallengeRequired', 'This sign-in needs a step Parley does not support.');
  return {
    accessToken: result.AccessToken,
    idToken: result.IdToken,
    ...(result.RefreshToken === undefined ? {} : { refreshToken: result.RefreshToken }),
    expiresAt: Date.now() + result.ExpiresIn * 1000,
  };
}
