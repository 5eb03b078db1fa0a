import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { PASSWORD_POLICY } from '../topology';
import { LOCAL_CREDENTIALS, LOCAL_HOST } from './listen';
import { Mailbox } from './mailbox';

export interface LocalCognito {
  readonly endpoint: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  /** `iss` of its tokens. Its signing key is public: never trust it outside the local stage. */
  readonly issuer: string;
  readonly jwksUri: string;
  readonly mailbox: Mailbox;
  stop(): Promise<void>;
}

const POOL_NAME = 'parley-local';
const CLIENT_NAME = 'parley-web';
const READY_TIMEOUT_IN_MS = 20_000;

/**
 * Cognito stand-in: cognito-local as a child process (it keeps its state in
 * its working directory). The verification codes it would email are read off
 * its output into the local mailbox.
 */
export async function startCognito(options: {
  dataDir: string;
  port: number;
  region: string;
}): Promise<LocalCognito> {
  mkdirSync(options.dataDir, { recursive: true });
  const port = options.port === 0 ? await freePort() : options.port;
  const entry = createRequire(import.meta.url).resolve('cognito-local/lib/bin/start.js');
  const child = spawn(process.execPath, [entry], {
    cwd: options.dataDir,
    env: { ...process.env, HOST: LOCAL_HOST, PORT: String(port), NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const endpoint = `http://${LOCAL_HOST}:${port}`;
  let poolId: string | undefined;
  const mailbox = new Mailbox((to) => (poolId ? storedCode(options.dataDir, poolId, to) : undefined));
  try {
    await waitUntilReady(child, mailbox);
    const ids = await ensurePool(endpoint, options.region);
    poolId = ids.userPoolId;
    const issuer = `${endpoint}/${ids.userPoolId}`;
    return {
      endpoint,
      ...ids,
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      mailbox,
      stop: () => stopChild(child),
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** The unconfirmed sign-up code cognito-local keeps in its user store, for an email. */
function storedCode(dataDir: string, userPoolId: string, to: string) {
  try {
    const store = JSON.parse(readFileSync(join(dataDir, '.cognito', 'db', `${userPoolId}.json`), 'utf8')) as {
      Users?: Record<
        string,
        { Username: string; ConfirmationCode?: string; Attributes?: { Name: string; Value: string }[] }
      >;
    };
    for (const user of Object.values(store.Users ?? {})) {
      const email = user.Attributes?.find((attribute) => attribute.Name === 'email')?.Value;
      if (email?.toLowerCase() === to && user.ConfirmationCode) {
        return { to: email, username: user.Username, code: user.ConfirmationCode, reason: 'SignUp' };
      }
    }
  } catch {
    // Not written yet, or caught mid-write: the next look will do.
  }
  return undefined;
}

function waitUntilReady(child: ChildProcess, mailbox: Mailbox): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('Cognito stand-in did not start in time')),
      READY_TIMEOUT_IN_MS,
    );
    const errors: string[] = [];
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Cognito stand-in exited with code ${code}: ${errors.join('\n').slice(-2000)}`));
    });
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => errors.push(line));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      mailbox.readLine(line);
      if (line.includes('Cognito Local running on')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

async function ensurePool(endpoint: string, region: string) {
  const client = new CognitoIdentityProviderClient({ endpoint, region, credentials: LOCAL_CREDENTIALS });
  try {
    const pools = await client.send(new ListUserPoolsCommand({ MaxResults: 60 }));
    let userPoolId = pools.UserPools?.find((pool) => pool.Name === POOL_NAME)?.Id;
    if (!userPoolId) {
      const created = await client.send(
        new CreateUserPoolCommand({
          PoolName: POOL_NAME,
          UsernameAttributes: ['email'],
          AutoVerifiedAttributes: ['email'],
          Policies: {
            PasswordPolicy: {
              MinimumLength: PASSWORD_POLICY.minLength,
              RequireLowercase: PASSWORD_POLICY.requireLowercase,
              RequireUppercase: PASSWORD_POLICY.requireUppercase,
              RequireNumbers: PASSWORD_POLICY.requireDigits,
              RequireSymbols: PASSWORD_POLICY.requireSymbols,
            },
          },
        }),
      );
      userPoolId = created.UserPool?.Id as string;
    }
    const clients = await client.send(
      new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }),
    );
    let userPoolClientId = clients.UserPoolClients?.find((c) => c.ClientName === CLIENT_NAME)?.ClientId;
    if (!userPoolClientId) {
      const created = await client.send(
        new CreateUserPoolClientCommand({
          UserPoolId: userPoolId,
          ClientName: CLIENT_NAME,
          ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        }),
      );
      userPoolClientId = created.UserPoolClient?.ClientId as string;
    }
    return { userPoolId, userPoolClientId };
  } finally {
    client.destroy();
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A port free right now on loopback (the child binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, LOCAL_HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
