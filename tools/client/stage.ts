import { readFileSync } from 'node:fs';
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { type StackOutputs, StackOutputsSchema, type StageEndpoints } from '../../shared/client/stage';

/** The local stage's name, and where `npm start` writes its outputs. */
export const LOCAL_STAGE_NAME = 'local';
export const LOCAL_OUTPUTS_FILE = '.local/outputs.json';
/** The local stage's output naming its dev mailbox page (the codes are at the same URL with `.json`). */
export const MAILBOX_URL_OUTPUT = 'MailboxUrl';

/**
 * Where a stage's outputs are by default: `cdk deploy --outputs-file outputs-NAME.json` for a deployed
 * stage, `.local/outputs.json` for the local one.
 */
export function defaultOutputsFile(stage: string): string {
  return stage === LOCAL_STAGE_NAME ? LOCAL_OUTPUTS_FILE : `outputs-${stage}.json`;
}

/** Reads and checks a stage's outputs file; the error names the file. */
export function readStageOutputs(file: string): StackOutputs {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the outputs file ${file}: is the stage deployed (or started)?`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = StackOutputsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file} is not an outputs file (stack → output → value)`);
  return parsed.data;
}

/** An output by name, from whichever stack declares it. */
export function findOutput(outputs: StackOutputs, name: string): string | undefined {
  for (const stack of Object.values(outputs)) if (stack[name] !== undefined) return stack[name];
  return undefined;
}

/**
 * A Cognito client for the stage: the stand-in's endpoint (with its dummy credentials) locally, the
 * caller's own credentials on AWS.
 */
export function cognitoClientFor(stage: StageEndpoints): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    region: stage.region,
    ...(stage.cognitoEndpoint
      ? { endpoint: stage.cognitoEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
}

export interface SignedIn {
  /** The `sub` of the access token. */
  readonly userId: string;
  readonly accessToken: string;
}

/** Signs in with email and password (`USER_PASSWORD_AUTH`), as the web client does. */
export async function signIn(
  cognito: CognitoIdentityProviderClient,
  stage: StageEndpoints,
  email: string,
  password: string,
): Promise<SignedIn> {
  const result = await cognito.send(
    new InitiateAuthCommand({
      ClientId: stage.userPoolClientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: email, PASSWORD: password },
    }),
  );
  const accessToken = result.AuthenticationResult?.AccessToken;
  if (accessToken === undefined) {
    throw new Error(`Sign-in of ${email} returned no access token (challenge ${result.ChallengeName})`);
  }
  return { userId: subjectOf(accessToken), accessToken };
}

/** The `sub` claim of a JWT, unverified: the server checks the token, this only reads who it names. */
export function subjectOf(token: string): string {
  const payload = token.split('.')[1];
  const claims =
    payload === undefined ? {} : (JSON.parse(Buffer.from(payload, 'base64url').toString()) as object);
  if (!('sub' in claims) || typeof claims.sub !== 'string') throw new Error('The token names no subject');
  return claims.sub;
}

const MAILBOX_POLL_INTERVAL_IN_MS = 250;

/**
 * The latest code the local stage's mailbox (`MailboxUrl`, its `.json` beside) holds for an address,
 * looking again until one comes or `timeoutMs` passes.
 */
export async function mailboxCode(mailboxUrl: string, email: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Asking for one address makes the mailbox look in the stand-in's store too, not only at its log.
    const response = await fetch(`${mailboxUrl}.json?to=${encodeURIComponent(email)}`);
    if (!response.ok) throw new Error(`The mailbox answered ${response.status}`);
    const mails = (await response.json()) as Array<{ to?: unknown; code?: unknown }>;
    const mail = mails.findLast(
      (m) => typeof m.to === 'string' && m.to.toLowerCase() === email.toLowerCase(),
    );
    if (typeof mail?.code === 'string') return mail.code;
    if (Date.now() > deadline)
      throw new Error(`No code for ${email} in the local mailbox in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, MAILBOX_POLL_INTERVAL_IN_MS));
  }
}
