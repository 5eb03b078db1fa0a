import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import { readBody } from './gateway/wire';
import { close, LOCAL_HOST, listen } from './listen';

/** A user as the stand-in keeps it in its store. */
export interface StoredUser {
  readonly Username: string;
  readonly UserStatus?: string;
  readonly ConfirmationCode?: string;
  readonly RefreshTokens?: readonly string[];
  readonly Attributes?: ReadonlyArray<{ readonly Name: string; readonly Value: string }>;
}

export interface CognitoFrontOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Where cognito-local itself listens. */
  readonly upstream: string;
  /** The claims of a valid access token of the pool; rejects any other token. */
  readonly verifyAccessToken: (token: string) => Promise<Record<string, unknown>>;
  /** The pool's app client (the stand-in revokes a refresh token through it). */
  readonly clientId: () => string | undefined;
  /** Reads the pool's users from the stand-in's store: by username, or by email when `username` is one. */
  readonly findUser: (username: string) => StoredUser | undefined;
  /** Delivers a code as the identity provider would have emailed it. */
  readonly deliver: (mail: { to: string; username: string; code: string; reason: string }) => void;
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
 */
export async function startCognitoFront(options: CognitoFrontOptions): Promise<LocalCognitoFront> {
  const operations: Record<string, (input: Record<string, unknown>) => Promise<Answer>> = {
    GlobalSignOut: globalSignOut,
    AdminUserGlobalSignOut: adminUserGlobalSignOut,
    ResendConfirmationCode: resendConfirmationCode,
    InitiateAuth: initiateAuth,
    SignUp: (input) => sendingCode('SignUp', input),
    ForgotPassword: (input) => sendingCode('ForgotPassword', input),
  };

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
    const type = (answer.body as { __type?: string } | undefined)?.__type ?? '';
    if (answer.status !== 200 && type.endsWith('InvalidPasswordException'))
      return refusal('NotAuthorizedException', 'Incorrect username or password.');
    return answer;
  }

  async function callUpstream(operation: string, input: unknown): Promise<Answer> {
    const response = await fetch(options.upstream, {
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
    const upstream = new URL(options.upstream);
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
