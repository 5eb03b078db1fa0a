import { randomUUID } from 'node:crypto';
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminSetUserPasswordCommand,
  type CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { OUTPUTS } from '../../infra/topology';
import { type ApiClient, createApiClient } from '../../shared/client/api-client';
import { type StackOutputs, type StageEndpoints, stageEndpoints } from '../../shared/client/stage';
import { parseWebConfig, WEB_CONFIG_PATH } from '../../shared/client/web-config';
import { encodeMessagePayload, parseMessagePayload } from '../../shared/e2ee/attachment-payload';
import { type E2eeDevice, openE2eeDevice } from '../client/e2ee-device';
import { connect, postOverSocket } from '../client/socket';
import { cognitoClientFor, findOutput, MAILBOX_URL_OUTPUT, mailboxCode, signIn } from '../client/stage';

/** A step that takes longer has failed: a broken stage shows which step broke, not a hang. */
export const STEP_TIMEOUT_IN_MS = 15_000;
/** The checks together (cleanup has its own step timeouts on top). */
export const OVERALL_TIMEOUT_IN_MS = 90_000;
const POLL_INTERVAL_IN_MS = 50;

export interface SmokeOptions {
  /** The stage's name, for the report. */
  readonly stage: string;
  /** The stage's outputs, as `cdk deploy --outputs-file` writes them. */
  readonly outputs: StackOutputs;
  /**
   * How the test accounts are made: signed up and confirmed with the mailed code (the local stage, whose
   * mailbox the outputs name), or by `AdminCreateUser` with the caller's credentials (a deployed stage).
   * @default 'sign-up' where the outputs name a local Cognito endpoint, else 'admin'
   */
  readonly accounts?: 'sign-up' | 'admin';
  /** Where each line of the report goes. @default console.log */
  readonly print?: (line: string) => void;
  /** @default STEP_TIMEOUT_IN_MS */
  readonly stepTimeoutMs?: number;
  /** @default OVERALL_TIMEOUT_IN_MS */
  readonly overallTimeoutMs?: number;
}

export interface SmokeStepResult {
  readonly name: string;
  readonly outcome: 'passed' | 'failed' | 'skipped';
  readonly ms: number;
  /** Why it failed, or why it was skipped. */
  readonly detail?: string;
}

/** A test account the run made (and removed). */
export interface SmokeAccount {
  readonly email: string;
  /** Once signed in. */
  readonly userId?: string;
}

export interface SmokeResult {
  readonly ok: boolean;
  /** The first step that failed. */
  readonly failedStep?: string;
  readonly steps: readonly SmokeStepResult[];
  readonly accounts: readonly SmokeAccount[];
}

/** Thrown by a step that ran past its time. */
export class StepTimeoutError extends Error {
  constructor(step: string, ms: number) {
    super(`${step} took longer than ${ms} ms`);
    this.name = 'StepTimeoutError';
  }
}

interface TestAccount {
  readonly name: string;
  readonly email: string;
  readonly password: string;
  /** Asked for (its request may still be under way when its step timed out): cleanup must remove it. */
  requested: boolean;
  /** Known to be in the user pool. */
  inPool: boolean;
  userId?: string;
  accessToken?: string;
  api?: ApiClient;
}

type SignedInAccount = TestAccount & { userId: string; accessToken: string; api: ApiClient };

/**
 * The smoke test of a stage: two fresh accounts befriend each other, each registers an MLS device, one
 * opens a direct conversation, adds the other's device (commit + Welcome) and sends an encrypted message
 * over its WebSocket; the other decrypts the push and finds the same text. Also `GET /me` and the site's
 * `/config.json`. Both accounts are deleted at the end whatever happened (`DELETE /me`, and on failure
 * `AdminDeleteUser`). Every step is printed with its time; never throws.
 *
 * On a deployed stage the accounts are made with `AdminCreateUser` (no email is sent) under the caller's
 * AWS credentials; on the local stage they sign up and confirm with the code from the local mailbox.
 *
 * @example
 * const result = await runSmoke({ stage: 'dev', outputs: readStageOutputs('outputs-dev.json') });
 * process.exitCode = result.ok ? 0 : 1;
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const stepTimeoutMs = options.stepTimeoutMs ?? STEP_TIMEOUT_IN_MS;
  const overallTimeoutMs = options.overallTimeoutMs ?? OVERALL_TIMEOUT_IN_MS;
  const started = Date.now();
  const deadline = started + overallTimeoutMs;
  const steps: SmokeStepResult[] = [];
  const run = randomUUID().slice(0, 8);
  const accounts = [testAccount(run, 'a'), testAccount(run, 'b')] as const;
  const devices: E2eeDevice[] = [];
  let cognito: CognitoIdentityProviderClient | undefined;

  const record = (result: SmokeStepResult) => {
    steps.push(result);
    const at = new Date().toISOString().slice(11, 23);
    const outcome = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' }[result.outcome];
    const detail = result.detail === undefined ? '' : `  ${result.detail}`;
    print(`${at}  ${outcome}  ${result.name.padEnd(44)} ${String(result.ms).padStart(6)} ms${detail}`);
  };

  /**
   * Runs a step within its time; a failure is recorded and rethrown, so later steps do not run. Cleanup
   * steps get their own time even when the run's is up.
   */
  const step = async <T>(
    name: string,
    work: (limitMs: number) => Promise<T>,
    kind: 'check' | 'cleanup' = 'check',
  ) => {
    const start = Date.now();
    const limit = kind === 'cleanup' ? stepTimeoutMs : Math.min(stepTimeoutMs, deadline - start);
    try {
      if (limit <= 0) throw new Error(`the ${overallTimeoutMs / 1000} s for the whole run are up`);
      const value = await withTimeout(work(limit), limit, name);
      record({ name, outcome: 'passed', ms: Date.now() - start });
      return value;
    } catch (error) {
      record({ name, outcome: 'failed', ms: Date.now() - start, detail: messageOf(error) });
      throw error;
    }
  };

  print(`Smoke test of stage ${options.stage}`);
  let stage: StageEndpoints | undefined;
  try {
    const endpoints = await step('read the outputs', async () => stageEndpoints(options.outputs));
    stage = endpoints;
    const pool = cognitoClientFor(endpoints);
    cognito = pool;
    const signUp = (options.accounts ?? (endpoints.cognitoEndpoint ? 'sign-up' : 'admin')) === 'sign-up';
    print(`Test accounts: ${accounts.map((account) => account.email).join(', ')}`);
    await step(
      signUp ? 'create two users (sign-up, mailbox code)' : 'create two users (AdminCreateUser)',
      () =>
        Promise.all(
          accounts.map((account) =>
            signUp
              ? signUpLocally(pool, endpoints, options.outputs, account)
              : createInPool(pool, endpoints, account),
          ),
        ),
    );
    const [alice, bob] = await step('sign in (USER_PASSWORD_AUTH)', () =>
      Promise.all([signInAccount(pool, endpoints, accounts[0]), signInAccount(pool, endpoints, accounts[1])]),
    );
    await step('GET /me', () =>
      Promise.all(
        [alice, bob].map(async (account) => {
          const me = await account.api.getMe();
          if (me.userId !== account.userId || me.email !== account.email) {
            throw new Error(
              `GET /me named ${me.userId} <${me.email}>, not ${account.userId} <${account.email}>`,
            );
          }
        }),
      ),
    );
    await step('befriend (request, accept)', async () => {
      await alice.api.sendFriendRequest({ body: { userId: bob.userId } });
      await bob.api.acceptFriendRequest({ params: { userId: alice.userId } });
    });
    const [sender, receiver] = await step('register devices with key packages', async () => {
      const sending: E2eeDevice = await openE2eeDevice(endpoints.httpApiUrl, alice, 'smoke', {
        // As the web client while connected: the message goes over the socket, answered by an `ack`.
        postMessage: postOverSocket(() => sending.socket),
      });
      devices.push(sending);
      const receiving = await openE2eeDevice(endpoints.httpApiUrl, bob, 'smoke');
      devices.push(receiving);
      return [sending, receiving] as const;
    });
    await step('connect WebSockets', async () => {
      for (const device of [sender, receiver]) {
        device.listen(await connect(endpoints.webSocketUrl, device.user.accessToken));
      }
    });
    const conversationId = await step(
      'create a direct conversation',
      async () =>
        (await alice.api.createConversation({ body: { kind: 'direct', userId: bob.userId } })).conversationId,
    );
    // The first device to act founds the group and adds the other's device by a commit; the other joins from
    // the Welcome pushed to it. The receiving device may be first: it reconciles on the conversation's push.
    await step('MLS group of both devices (commit, pushed Welcome)', async (limitMs) => {
      await sender.client.reconcile(conversationId);
      await until(
        async () => {
          const [ours, theirs] = await Promise.all(
            [sender, receiver].map(async (device) => ({
              members: (await device.client.members(conversationId)).length,
              epoch: await device.client.epoch(conversationId),
            })),
          );
          return ours?.members === 2 && theirs?.members === 2 && ours.epoch === theirs.epoch;
        },
        () => `the two devices are not in one group; ${errorsOf(sender)}; ${errorsOf(receiver)}`,
        limitMs,
      );
    });
    const text = `Smoke ${run} ✓ ${new Date().toISOString()}`;
    const ack = await step('send an encrypted message over the WebSocket', async () => {
      const payload = encodeMessagePayload({ text });
      if (payload === undefined) throw new Error('the text makes no message payload');
      return sender.client.send(conversationId, payload);
    });
    await step('receive the push and decrypt it', async (limitMs) => {
      const received = () =>
        receiver.events.find((e) => e.conversationId === conversationId && e.seq === ack.seq);
      await until(
        async () => received() !== undefined,
        () => `message ${ack.seq} did not reach the other device; ${errorsOf(receiver)}`,
        limitMs,
      );
      const event = received();
      if (event?.kind !== 'message') throw new Error(`message ${ack.seq} arrived as ${event?.kind}`);
      const decrypted = parseMessagePayload(event.plaintext)?.text;
      if (decrypted !== text) throw new Error(`decrypted "${decrypted}", sent "${text}"`);
    });
    const webUrl = findOutput(options.outputs, OUTPUTS.web.webUrl);
    if (webUrl === undefined) {
      record({
        name: `site serves ${WEB_CONFIG_PATH}`,
        outcome: 'skipped',
        ms: 0,
        detail: `the outputs name no ${OUTPUTS.web.webUrl}`,
      });
    } else {
      await step(`site serves ${WEB_CONFIG_PATH}`, () => checkSiteConfig(webUrl, endpoints));
    }
  } catch {
    // Recorded by the step that failed; the cleanup below runs all the same.
  } finally {
    if (devices.length > 0) {
      await step(
        'close WebSockets',
        () => Promise.all(devices.map((device) => device.close())),
        'cleanup',
      ).catch(() => undefined);
    }
    const made = accounts.filter((account) => account.requested);
    if (made.length > 0) {
      await step(
        'delete the test accounts (DELETE /me)',
        (limitMs) => deleteAccounts(made, cognito, stage, limitMs),
        'cleanup',
      ).catch(() => undefined);
    }
    cognito?.destroy();
  }
  const failed = steps.find((s) => s.outcome === 'failed');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  print(
    failed === undefined
      ? `Smoke test of stage ${options.stage} passed in ${seconds} s`
      : `Smoke test of stage ${options.stage} FAILED at step "${failed.name}" (${seconds} s)`,
  );
  return {
    ok: failed === undefined,
    ...(failed === undefined ? {} : { failedStep: failed.name }),
    steps,
    accounts: accounts
      .filter((a) => a.inPool)
      .map((a) => ({ email: a.email, ...(a.userId === undefined ? {} : { userId: a.userId }) })),
  };
}

/** A fresh account's name, address and password; the password meets the user pool's policy. */
function testAccount(run: string, suffix: string): TestAccount {
  return {
    name: `smoke-${run}-${suffix}`,
    email: `smoke-${run}-${suffix}@example.com`,
    password: `Smoke-${randomUUID()}-Aa1!`,
    requested: false,
    inPool: false,
  };
}

/** Rejects with {@link StepTimeoutError} when `work` takes longer than `ms`. */
function withTimeout<T>(work: Promise<T>, ms: number, step: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepTimeoutError(step, ms)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Waits until `check` holds, looking every {@link POLL_INTERVAL_IN_MS}; just before the step's time is up
 * it fails with what `explain` says, which tells more than a bare timeout.
 */
async function until(check: () => Promise<boolean>, explain: () => string, limitMs: number): Promise<void> {
  const giveUpAt = Date.now() + limitMs - 2 * POLL_INTERVAL_IN_MS;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(explain());
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_IN_MS));
  }
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Node's fetch hides the reason (ECONNREFUSED, …) in its cause.
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}${cause}`;
}

function errorsOf(device: E2eeDevice): string {
  const errors = device.errors.length === 0 ? 'none' : device.errors.map(messageOf).join('; ');
  return `errors on ${device.name}: ${errors}`;
}

/** The local stage: signs up as a person does and confirms with the code from the local mailbox. */
async function signUpLocally(
  cognito: CognitoIdentityProviderClient,
  stage: StageEndpoints,
  outputs: StackOutputs,
  account: TestAccount,
): Promise<void> {
  const mailboxUrl = findOutput(outputs, MAILBOX_URL_OUTPUT);
  if (mailboxUrl === undefined) throw new Error(`the local outputs name no ${MAILBOX_URL_OUTPUT}`);
  account.requested = true;
  await cognito.send(
    new SignUpCommand({
      ClientId: stage.userPoolClientId,
      Username: account.email,
      Password: account.password,
      UserAttributes: [{ Name: 'email', Value: account.email }],
    }),
  );
  account.inPool = true;
  const code = await mailboxCode(mailboxUrl, account.email);
  await cognito.send(
    new ConfirmSignUpCommand({
      ClientId: stage.userPoolClientId,
      Username: account.email,
      ConfirmationCode: code,
    }),
  );
}

/**
 * A deployed stage: makes the account with the caller's credentials, confirmed and with a permanent
 * password, so no email is sent and no code is needed.
 */
async function createInPool(
  cognito: CognitoIdentityProviderClient,
  stage: StageEndpoints,
  account: TestAccount,
): Promise<void> {
  account.requested = true;
  await cognito.send(
    new AdminCreateUserCommand({
      UserPoolId: stage.userPoolId,
      Username: account.email,
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: account.email },
        { Name: 'email_verified', Value: 'true' },
      ],
    }),
  );
  account.inPool = true;
  await cognito.send(
    new AdminSetUserPasswordCommand({
      UserPoolId: stage.userPoolId,
      Username: account.email,
      Password: account.password,
      Permanent: true,
    }),
  );
}

async function signInAccount(
  cognito: CognitoIdentityProviderClient,
  stage: StageEndpoints,
  account: TestAccount,
): Promise<SignedInAccount> {
  const { userId, accessToken } = await signIn(cognito, stage, account.email, account.password);
  account.userId = userId;
  account.accessToken = accessToken;
  account.api = createApiClient({ baseUrl: stage.httpApiUrl, accessToken: () => accessToken });
  return account as SignedInAccount;
}

/** The site's configuration must be there and point at this stage's APIs and user pool. */
async function checkSiteConfig(webUrl: string, stage: StageEndpoints): Promise<void> {
  const url = new URL(WEB_CONFIG_PATH, webUrl);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const config = parseWebConfig(await response.json());
  for (const key of ['httpApiUrl', 'webSocketUrl', 'userPoolId', 'userPoolClientId'] as const) {
    if (config[key] !== stage[key]) {
      throw new Error(`${url} has ${key} ${config[key]}, the outputs ${stage[key]}`);
    }
  }
}

/**
 * Deletes each account through the product (`DELETE /me`, which a fresh sign-in allows), and from the user
 * pool directly where that fails or the account never signed in. A failed `DELETE /me` still fails the step.
 */
async function deleteAccounts(
  accounts: readonly TestAccount[],
  cognito: CognitoIdentityProviderClient | undefined,
  stage: StageEndpoints | undefined,
  limitMs: number,
): Promise<void> {
  const failures: string[] = [];
  await Promise.all(
    accounts.map(async (account) => {
      if (account.api !== undefined) {
        try {
          // Half the step at most: a hanging API must leave time for the fallback.
          await withTimeout(account.api.deleteMe(), limitMs / 2, 'DELETE /me');
          return;
        } catch (error) {
          failures.push(`DELETE /me for ${account.email}: ${messageOf(error)}`);
        }
      }
      if (cognito === undefined || stage === undefined) return;
      try {
        await cognito.send(
          new AdminDeleteUserCommand({ UserPoolId: stage.userPoolId, Username: account.email }),
        );
        if (account.api !== undefined) failures.push(`${account.email} removed from the user pool instead`);
      } catch (error) {
        failures.push(`AdminDeleteUser ${account.email}: ${messageOf(error)}`);
      }
    }),
  );
  if (failures.length > 0) throw new Error(failures.join('; '));
}
