import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import { passwordProblems } from '../../shared/protocol/password';
import { TOKEN_VALIDITY } from '../topology';
import { AttributeCodeGuard } from './cognito-attribute-codes';
import { PAUSE_IN_MS, SoftwareTokenGuard } from './cognito-mfa';
import { readBody } from './gateway/wire';
import { close, LOCAL_HOST, listen } from './listen';

/** A user as the stand-in keeps it in its store. */
export interface StoredUser {
  readonly Username: string;
  readonly UserStatus?: string;
  readonly ConfirmationCode?: string;
  readonly RefreshTokens?: readonly string[];
  readonly Attributes?: ReadonlyArray<{ readonly Name: string; readonly Value: string }>;
  /** A new email waiting for its code (the pool verifies it before the change counts). */
  readonly UnverifiedAttributeChanges?: ReadonlyArray<{ readonly Name: string; readonly Value: string }>;
  /** The code sent to verify an attribute, until it is entered. */
  readonly AttributeVerificationCode?: string;
  /** The authenticator app's secret (base32), once associated; `Verified` once a code of it was checked. */
  readonly SoftwareTokenMfaConfiguration?: { readonly Secret?: string; readonly Verified?: boolean };
}

export interface CognitoFrontOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Where cognito-local itself listens (asked at each call: the stand-in may move to another port at start). */
  readonly upstream: () => string;
  /** The claims of a valid access token of the pool; rejects any other token. */
  readonly verifyAccessToken: (token: string) => Promise<Record<string, unknown>>;
  /** The pool's app client (the stand-in revokes a refresh token through it). */
  readonly clientId: () => string | undefined;
  /** Reads the pool's users from the stand-in's store: by username, or by email when `username` is one. */
  readonly findUser: (username: string) => StoredUser | undefined;
  /** Delivers a code as the identity provider would have emailed it. */
  readonly deliver: (mail: { to: string; username: string; code: string; reason: string }) => void;
  /** Epoch ms, for the age of emailed codes. @default Date.now */
  readonly now?: () => number;
}

export interface LocalCognitoFront {
  readonly url: string;
  stop(): Promise<void>;
}

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const MAX_BODY_IN_BYTES = 64 * 1024;
const AMZ_JSON = 'application/x-amz-json-1.1';
const STORE_READ_ATTEMPTS = 40;
const STORE_READ_PAUSE_IN_MS = 25;

/**
 * cognito-local 5.3 answers `GlobalSignOut` and `ResendConfirmationCode`
 * with a 500 "unsupported", and lacks `AdminUserGlobalSignOut`; the web
 * client and the functions call them. This front sits on the stand-in's
 * public port, answers those the way Cognito does, through the
 * stand-in's own API and store, and passes every other request (CORS
 * preflights included: the stand-in allows any origin) through unchanged.
 *
 * - `GlobalSignOut` verifies the access token and revokes every refresh
 *   token of its user (`RevokeToken` on the stand-in), so a refresh fails
 *   afterwards as on AWS. Access tokens stay valid until they expire, as
 *   they do at API Gateway's JWT authorizer.
 * - `AdminUserGlobalSignOut` does the same for a user named by username or
 *   email (`UserNotFoundException` for an unknown one). Like every call
 *   here it is not signed: the stand-in checks no IAM.
 * - `InitiateAuth` goes to the stand-in, which answers a wrong password with
 *   `InvalidPasswordException` (the error of a password too weak to set).
 *   Cognito answers `NotAuthorizedException`, "Incorrect username or
 *   password.", and so does this front: a client branching on the type
 *   would otherwise tell a person at sign-in that their password is weak.
 * - `ResendConfirmationCode` delivers the user's pending code again to the
 *   dev mailbox. Cognito would issue a fresh one; the stand-in has no call
 *   to make one, and the pending code still confirms the account.
 * - `SignUp` and `ForgotPassword` go to the stand-in; the code each stores
 *   reaches the dev mailbox before the caller has the answer.
 * - The second factor (`cognito-mfa.ts`): a sign-in that asks for an
 *   authenticator code gets a `Session` bound to its user, and
 *   `RespondToAuthChallenge` and `VerifySoftwareToken` check the code here
 *   (RFC 6238, no code used twice, wrong codes limited) before the stand-in
 *   sees them. A wrong code at enrolment is `EnableSoftwareTokenMFAException`,
 *   a reused one `ExpiredCodeException`, as Cognito answers.
 * - `ChangePassword` answers a wrong current password with
 *   `NotAuthorizedException` (the stand-in says `InvalidPasswordException`),
 *   refuses a new one the policy does not allow (the stand-in takes any),
 *   and after five wrong ones in a row answers `LimitExceededException`.
 * - Changing the email (the pool keeps the old one until the new one is
 *   verified): `UpdateUserAttributes` refuses an address that is not one
 *   (`InvalidParameterException`) or that another account uses
 *   (`AliasExistsException`), both of which the stand-in took, and
 *   `VerifyUserAttribute` refuses the new email if another account took it
 *   meanwhile. The code each of `UpdateUserAttributes` and
 *   `GetUserAttributeVerificationCode` stores reaches the dev mailbox,
 *   addressed to the new email, before the caller has the answer. Codes
 *   expire after a day, and five wrong ones in a row answer
 *   `LimitExceededException` (`cognito-attribute-codes.ts`); the stand-in's
 *   never expired and cost nothing. Delivery destinations are masked.
 * - Every call made with an access token has it verified first: the
 *   stand-in only decodes it, so a forged token would act for anyone.
 */
export async function startCognitoFront(options: CognitoFrontOptions): Promise<LocalCognitoFront> {
  const mfa = new SoftwareTokenGuard(TOKEN_VALIDITY.authSessionMinutes);
  const wrongPasswords = new Map<string, number>();
  const attributeCodes = new AttributeCodeGuard(options.now);
  const operations: Record<string, (input: Record<string, unknown>) => Promise<Answer>> = {
    GlobalSignOut: globalSignOut,
    AdminUserGlobalSignOut: adminUserGlobalSignOut,
    ResendConfirmationCode: resendConfirmationCode,
    InitiateAuth: initiateAuth,
    RespondToAuthChallenge: respondToAuthChallenge,
    SignUp: (input) => sendingCode('SignUp', input),
    ForgotPassword: (input) => sendingCode('ForgotPassword', input),
    VerifySoftwareToken: signed(verifySoftwareToken),
    ChangePassword: signed(changePassword),
    UpdateUserAttributes: signed(updateUserAttributes),
    GetUserAttributeVerificationCode: signed(getUserAttributeVerificationCode),
    VerifyUserAttribute: signed(verifyUserAttribute),
  };
  for (const operation of SIGNED_PASS_THROUGH) {
    operations[operation] = signed((input) => callUpstream(operation, input));
  }

  const server = createServer((request, response) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX)
      ? operations[target.slice(TARGET_PREFIX.length)]
      : undefined;
    if (request.method !== 'POST' || !operation) return pass(request, response);
    void answer(request, response, operation).catch(() =>
      reply(response, { status: 500, body: { __type: 'InternalErrorException', message: 'Internal error' } }),
    );
  });
  const port = await listen(server, options.port);
  return { url: `http://${LOCAL_HOST}:${port}`, stop: () => close(server) };

  async function answer(
    request: IncomingMessage,
    response: ServerResponse,
    operation: (input: Record<string, unknown>) => Promise<Answer>,
  ): Promise<void> {
    const body = await readBody(request, MAX_BODY_IN_BYTES);
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body?.toString('utf8') ?? '') as Record<string, unknown>;
    } catch {
      return reply(response, refusal('SerializationException', 'The request body is not JSON'));
    }
    reply(response, await operation(input));
  }

  async function globalSignOut(input: Record<string, unknown>): Promise<Answer> {
    let claims: Record<string, unknown>;
    try {
      claims = await options.verifyAccessToken(String(input.AccessToken ?? ''));
    } catch {
      return refusal('NotAuthorizedException', 'Invalid Access Token');
    }
    await revokeRefreshTokens(options.findUser(String(claims.username)), claims.client_id);
    return { status: 200, body: {} };
  }

  async function adminUserGlobalSignOut(input: Record<string, unknown>): Promise<Answer> {
    const user = options.findUser(String(input.Username ?? ''));
    if (!user) return refusal('UserNotFoundException', 'User does not exist.');
    await revokeRefreshTokens(user, options.clientId());
    return { status: 200, body: {} };
  }

  async function revokeRefreshTokens(user: StoredUser | undefined, clientId: unknown): Promise<void> {
    for (const token of user?.RefreshTokens ?? []) {
      await callUpstream('RevokeToken', { ClientId: clientId, Token: token });
    }
  }

  async function resendConfirmationCode(input: Record<string, unknown>): Promise<Answer> {
    const user = options.findUser(String(input.Username ?? ''));
    const email = user?.Attributes?.find((attribute) => attribute.Name === 'email')?.Value;
    if (user?.UserStatus === 'CONFIRMED')
      return refusal('InvalidParameterException', 'User is already confirmed.');
    // The deployed app client hides whether a user exists: an unknown one gets the same answer.
    if (user && email && user.ConfirmationCode) {
      options.deliver({
        to: email,
        username: user.Username,
        code: user.ConfirmationCode,
        reason: 'ResendConfirmationCode',
      });
    }
    return {
      status: 200,
      body: {
        CodeDeliveryDetails: {
          AttributeName: 'email',
          DeliveryMedium: 'EMAIL',
          Destination: maskEmail(email ?? String(input.Username ?? '')),
        },
      },
    };
  }

  /**
   * The stand-in stores the code before it answers, and prints it in a box
   * on its output, which a busy machine may hand over seconds later. The
   * mailbox gets it from the store before the caller gets the answer, so
   * whoever waits for the mail finds it there.
   */
  async function sendingCode(operation: string, input: Record<string, unknown>): Promise<Answer> {
    const answer = await callUpstream(operation, input);
    if (answer.status !== 200) return answer;
    // The stand-in saves its store before it answers (one save at a time,
    // each renamed over the file: patches/stormdb+0.5.2.patch); a busy disk
    // may still show the save a moment late, so a read that finds nobody
    // looks again.
    let user = options.findUser(String(input.Username ?? ''));
    for (let attempt = 1; !user?.ConfirmationCode && attempt < STORE_READ_ATTEMPTS; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, STORE_READ_PAUSE_IN_MS));
      user = options.findUser(String(input.Username ?? ''));
    }
    const email = user?.Attributes?.find((attribute) => attribute.Name === 'email')?.Value;
    if (user && email && user.ConfirmationCode) {
      options.deliver({ to: email, username: user.Username, code: user.ConfirmationCode, reason: operation });
    }
    return answer;
  }

  async function initiateAuth(input: Record<string, unknown>): Promise<Answer> {
    const answer = await callUpstream('InitiateAuth', input);
    if (answer.status !== 200 && typeOf(answer).endsWith('InvalidPasswordException'))
      return refusal('NotAuthorizedException', 'Incorrect username or password.');
    const body = answer.body as { ChallengeName?: string; ChallengeParameters?: Record<string, string> };
    const username = body.ChallengeParameters?.USER_ID_FOR_SRP;
    if (answer.status === 200 && body.ChallengeName === 'SOFTWARE_TOKEN_MFA' && username) {
      return { status: 200, body: { ...body, Session: mfa.open(username) } };
    }
    return answer;
  }

  /** The second step of a sign-in: the code from the authenticator app, for the session the password opened. */
  async function respondToAuthChallenge(input: Record<string, unknown>): Promise<Answer> {
    if (input.ChallengeName !== 'SOFTWARE_TOKEN_MFA') return callUpstream('RespondToAuthChallenge', input);
    const responses = (input.ChallengeResponses ?? {}) as Record<string, unknown>;
    const user = options.findUser(String(responses.USERNAME ?? ''));
    const session = String(input.Session ?? '');
    const secret = user?.SoftwareTokenMfaConfiguration?.Secret;
    if (!user || !secret || !mfa.isOpen(session, user.Username))
      return refusal('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    const result = mfa.answer(
      session,
      user.Username,
      secret,
      String(responses.SOFTWARE_TOKEN_MFA_CODE ?? ''),
    );
    if (result !== 'accepted') return codeRefusal(result, user.Username, 'CodeMismatchException');
    return callUpstream('RespondToAuthChallenge', input);
  }

  /** Enrolment: the first code of a newly associated authenticator app. */
  async function verifySoftwareToken(input: Record<string, unknown>, claims: Claims): Promise<Answer> {
    const user = options.findUser(String(claims.username));
    const secret = user?.SoftwareTokenMfaConfiguration?.Secret;
    if (!user || !secret) return callUpstream('VerifySoftwareToken', input);
    const result = mfa.check(user.Username, secret, String(input.UserCode ?? ''));
    if (result !== 'accepted') return codeRefusal(result, user.Username, 'EnableSoftwareTokenMFAException');
    return callUpstream('VerifySoftwareToken', input);
  }

  function codeRefusal(result: 'wrong' | 'reused' | 'paused', username: string, wrong: string): Answer {
    if (result === 'reused')
      return refusal('ExpiredCodeException', 'Your software token has already been used once.');
    if (result === 'paused') {
      const minutes = Math.ceil(
        ((mfa.pausedUntil(username) ?? Date.now() + PAUSE_IN_MS) - Date.now()) / 60_000,
      );
      return refusal(
        'TooManyFailedAttemptsException',
        `Too many failed attempts. Try again in ${minutes} minutes.`,
      );
    }
    return refusal(
      wrong,
      wrong === 'CodeMismatchException' ? 'Invalid code received for user' : 'Code mismatch',
    );
  }

  async function changePassword(input: Record<string, unknown>, claims: Claims): Promise<Answer> {
    const username = String(claims.username);
    if ((wrongPasswords.get(username) ?? 0) >= WRONG_PASSWORDS_BEFORE_LIMIT)
      return refusal('LimitExceededException', 'Attempt limit exceeded, please try after some time.');
    const problems = passwordProblems(String(input.ProposedPassword ?? ''));
    if (problems.length > 0)
      return refusal(
        'InvalidPasswordException',
        `Password does not conform to policy: it needs ${problems.join(', ')}`,
      );
    const answer = await callUpstream('ChangePassword', input);
    if (answer.status !== 200 && typeOf(answer).endsWith('InvalidPasswordException')) {
      wrongPasswords.set(username, (wrongPasswords.get(username) ?? 0) + 1);
      return refusal('NotAuthorizedException', 'Incorrect username or password.');
    }
    if (answer.status === 200) wrongPasswords.delete(username);
    return answer;
  }

  /**
   * A new email: refused when it is no address or another account's; otherwise held back by the pool
   * until verified, and its code mailed to it.
   */
  async function updateUserAttributes(input: Record<string, unknown>, claims: Claims): Promise<Answer> {
    const username = String(claims.username);
    const email = attributeValue(input.UserAttributes, 'email');
    if (email !== undefined) {
      if (!EMAIL_PATTERN.test(email))
        return refusal('InvalidParameterException', 'Invalid email address format.');
      if (heldByAnother(email, username)) return aliasExists();
    }
    const before = options.findUser(username)?.AttributeVerificationCode;
    const answer = await callUpstream('UpdateUserAttributes', input);
    if (answer.status !== 200) return answer;
    const delivered = await deliverAttributeCode(username, before, 'UpdateUserAttributes');
    const list = (answer.body as { CodeDeliveryDetailsList?: unknown[] }).CodeDeliveryDetailsList ?? [];
    return {
      status: 200,
      body: { CodeDeliveryDetailsList: delivered ? [deliveryTo(delivered)] : list },
    };
  }

  /** A new code for the pending email (or the current one when none is pending), mailed to it. */
  async function getUserAttributeVerificationCode(
    input: Record<string, unknown>,
    claims: Claims,
  ): Promise<Answer> {
    const username = String(claims.username);
    const before = options.findUser(username)?.AttributeVerificationCode;
    const answer = await callUpstream('GetUserAttributeVerificationCode', input);
    if (answer.status !== 200) return answer;
    const delivered = await deliverAttributeCode(username, before, 'GetUserAttributeVerificationCode');
    return { status: 200, body: delivered ? { CodeDeliveryDetails: deliveryTo(delivered) } : {} };
  }

  /** The emailed code: the pending email becomes the account's, unless another account took it meanwhile. */
  async function verifyUserAttribute(input: Record<string, unknown>, claims: Claims): Promise<Answer> {
    const username = String(claims.username);
    const state = attributeCodes.state(username);
    if (state === 'limited')
      return refusal('LimitExceededException', 'Attempt limit exceeded, please try after some time.');
    if (state === 'expired')
      return refusal('ExpiredCodeException', 'Invalid code provided, please request a code again.');
    const pending = attributeValue(options.findUser(username)?.UnverifiedAttributeChanges, 'email');
    if (input.AttributeName === 'email' && pending !== undefined && heldByAnother(pending, username))
      return aliasExists();
    const answer = await callUpstream('VerifyUserAttribute', input);
    if (answer.status === 200) attributeCodes.verified(username);
    else if (typeOf(answer).endsWith('CodeMismatchException')) {
      attributeCodes.wrong(username);
      return refusal('CodeMismatchException', 'Invalid verification code provided, please try again.');
    }
    return answer;
  }

  /** Whether an account other than `username`'s signs in with `email`. */
  function heldByAnother(email: string, username: string): boolean {
    const holder = options.findUser(email);
    return holder !== undefined && holder.Username !== username;
  }

  /**
   * Mails the code the stand-in stored in place of `before` to the address it verifies, before the
   * caller has the answer (as `sendingCode`: the store may show the save a moment late).
   */
  async function deliverAttributeCode(
    username: string,
    before: string | undefined,
    reason: string,
  ): Promise<string | undefined> {
    let user = options.findUser(username);
    for (
      let attempt = 1;
      (!user?.AttributeVerificationCode || user.AttributeVerificationCode === before) &&
      attempt < STORE_READ_ATTEMPTS;
      attempt++
    ) {
      await new Promise((resolve) => setTimeout(resolve, STORE_READ_PAUSE_IN_MS));
      user = options.findUser(username);
    }
    const code = user?.AttributeVerificationCode;
    const to =
      attributeValue(user?.UnverifiedAttributeChanges, 'email') ?? attributeValue(user?.Attributes, 'email');
    if (!user || !code || !to) return undefined;
    attributeCodes.sent(username);
    options.deliver({ to, username: user.Username, code, reason });
    return to;
  }

  /** An operation made with the caller's access token, refused unless the token is one the pool issued. */
  function signed(
    operation: (input: Record<string, unknown>, claims: Claims) => Promise<Answer>,
  ): (input: Record<string, unknown>) => Promise<Answer> {
    return async (input) => {
      let claims: Claims;
      try {
        claims = await options.verifyAccessToken(String(input.AccessToken ?? ''));
      } catch {
        return refusal('NotAuthorizedException', 'Invalid Access Token');
      }
      return operation(input, claims);
    };
  }

  async function callUpstream(operation: string, input: unknown): Promise<Answer> {
    const response = await fetch(options.upstream(), {
      method: 'POST',
      headers: { 'content-type': AMZ_JSON, 'x-amz-target': `${TARGET_PREFIX}${operation}` },
      body: JSON.stringify(input),
    });
    const text = await response.text();
    let body: unknown = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { __type: 'InternalErrorException', message: 'The stand-in answered no JSON' };
    }
    return { status: response.status, body };
  }

  function pass(request: IncomingMessage, response: ServerResponse): void {
    const upstream = new URL(options.upstream());
    const proxied = forward(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    proxied.on('error', () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    request.pipe(proxied);
  }
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

type Claims = Record<string, unknown>;

/** Calls made with an access token that the stand-in answers well once the token is checked. */
const SIGNED_PASS_THROUGH = ['AssociateSoftwareToken', 'SetUserMFAPreference', 'GetUser', 'DeleteUser'];

/** What Cognito takes for an email address, near enough: one `@`, something on each side, no spaces. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function attributeValue(attributes: unknown, name: string): string | undefined {
  if (!Array.isArray(attributes)) return undefined;
  const value = (attributes as Array<{ Name?: unknown; Value?: unknown }>).find(
    (attribute) => attribute.Name === name,
  )?.Value;
  return typeof value === 'string' ? value : undefined;
}

/** As Cognito answers for an email another account signs in with. */
function aliasExists(): Answer {
  return refusal('AliasExistsException', 'An account with the given email already exists.');
}

function deliveryTo(email: string) {
  return { AttributeName: 'email', DeliveryMedium: 'EMAIL', Destination: maskEmail(email) };
}

/** Wrong current passwords in a row at `ChangePassword` before the front stops checking them. */
const WRONG_PASSWORDS_BEFORE_LIMIT = 5;

function typeOf(answer: Answer): string {
  return (answer.body as { __type?: string } | undefined)?.__type ?? '';
}

function refusal(type: string, message: string): Answer {
  return { status: 400, body: { __type: type, message } };
}

function reply(response: ServerResponse, answer: Answer): void {
  response.writeHead(answer.status, {
    'content-type': AMZ_JSON,
    // As the stand-in answers: any origin may call, bearer tokens ride in the body.
    'access-control-allow-origin': '*',
    ...(answer.status === 200 ? {} : { 'x-amzn-errortype': (answer.body as { __type: string }).__type }),
  });
  response.end(JSON.stringify(answer.body));
}

/** `alice@example.com` → `a***@e***`, as Cognito masks a delivery destination. */
function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain.slice(0, 1)}***`;
}
