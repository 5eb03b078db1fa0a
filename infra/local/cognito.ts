import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  type CreateUserPoolClientCommandInput,
  CreateUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  SetUserPoolMfaConfigCommand,
  UpdateUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import {
  ATTRIBUTES_VERIFIED_BEFORE_UPDATE,
  MFA_CONFIGURATION,
  PASSWORD_POLICY,
  TOKEN_VALIDITY,
} from '../topology';
import { type StoredUser, startCognitoFront } from './cognito-front';
import { LOCAL_CREDENTIALS, LOCAL_HOST } from './listen';
import { Mailbox } from './mailbox';

export interface LocalCognito {
  /** Where SDK clients and the browser call it (the front that fills cognito-local's gaps). */
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
/** Starts of the stand-in, each on a port found free, before giving up. */
const START_ATTEMPTS = 3;

/**
 * Cognito stand-in: cognito-local as a child process (it keeps its state in
 * its working directory) on an inner port, behind a front on the public one
 * that answers the calls it lacks (`cognito-front.ts`). The verification
 * codes it would email are read off its output into the local mailbox.
 */
export async function startCognito(options: {
  dataDir: string;
  port: number;
  region: string;
  /** Epoch ms, for the age of emailed codes. @default Date.now */
  now?: () => number;
  /** The port for each start of the stand-in itself. @default one free right now */
  innerPort?: () => Promise<number>;
}): Promise<LocalCognito> {
  mkdirSync(options.dataDir, { recursive: true });
  let inner = '';
  let poolId: string | undefined;
  let clientId: string | undefined;
  let verifier: ReturnType<typeof accessTokenVerifier> | undefined;
  const users = () => (poolId ? readUsers(options.dataDir, poolId) : []);
  const mailbox = new Mailbox((to) => storedCode(users(), to));
  const front = await startCognitoFront({
    port: options.port,
    upstream: () => inner,
    verifyAccessToken: async (token) => {
      if (!verifier) throw new Error('The user pool is not ready');
      return (await verifier.verify(token)) as Record<string, unknown>;
    },
    clientId: () => clientId,
    findUser: (username) => findUser(users(), username),
    deliver: (mail) => mailbox.deliver(mail),
    ...(options.now ? { now: options.now } : {}),
  });
  // Tokens name the front as their issuer, as Cognito's name the endpoint clients call.
  issueTokensAs(options.dataDir, front.url);
  verifyAttributesBeforeUpdate(options.dataDir);
  let child: ChildProcess | undefined;
  const stop = async () => {
    await front.stop();
    if (child) await stopChild(child);
  };
  try {
    // The stand-in binds a port found free a moment before: another process may take it first, and the
    // stand-in then exits at once. It is started again on another port.
    for (let attempt = 1; ; attempt += 1) {
      const innerPort = await (options.innerPort ?? freePort)();
      inner = `http://${LOCAL_HOST}:${innerPort}`;
      child = spawnStandIn(options.dataDir, innerPort);
      try {
        await waitUntilReady(child, mailbox);
        break;
      } catch (error) {
        await stopChild(child);
        if (!(error instanceof StandInExitedError) || attempt >= START_ATTEMPTS) throw error;
      }
    }
    const ids = await ensurePool(front.url, options.region);
    poolId = ids.userPoolId;
    clientId = ids.userPoolClientId;
    const issuer = `${front.url}/${ids.userPoolId}`;
    const jwksUri = `${issuer}/.well-known/jwks.json`;
    verifier = accessTokenVerifier(issuer, jwksUri);
    return { endpoint: front.url, ...ids, issuer, jwksUri, mailbox, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** cognito-local reads its token issuer from `.cognito/config.json` in its working directory. */
function issueTokensAs(dataDir: string, issuerDomain: string): void {
  const file = join(dataDir, '.cognito', 'config.json');
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // First start: no configuration yet.
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ ...config, TokenConfig: { IssuerDomain: issuerDomain } }, null, 2)}\n`,
  );
}

/**
 * A pool kept from before it held changed emails back until verified gets the setting as deployed.
 * cognito-local takes `UserAttributeUpdateSettings` only at `CreateUserPool` (its `UpdateUserPool`
 * leaves it as it was) and reads a pool's settings once, at its start: so the setting is written into
 * the pool's store here, before the stand-in starts.
 */
function verifyAttributesBeforeUpdate(dataDir: string): void {
  const directory = join(dataDir, '.cognito', 'db');
  let files: string[];
  try {
    files = readdirSync(directory).filter((name) => name.endsWith('.json') && name !== 'clients.json');
  } catch {
    return; // First start: the pool is created with the setting.
  }
  for (const name of files) {
    const file = join(directory, name);
    let store: { Options?: Record<string, unknown> };
    try {
      store = JSON.parse(readFileSync(file, 'utf8')) as typeof store;
    } catch {
      continue;
    }
    const { Options: pool } = store;
    if (pool?.Name !== POOL_NAME) continue;
    const settings = { AttributesRequireVerificationBeforeUpdate: [...ATTRIBUTES_VERIFIED_BEFORE_UPDATE] };
    if (JSON.stringify(pool.UserAttributeUpdateSettings) === JSON.stringify(settings)) continue;
    // Renamed into place, as the stand-in saves its own store (patches/stormdb+0.5.2.patch).
    writeFileSync(
      `${file}.tmp`,
      JSON.stringify({ ...store, Options: { ...pool, UserAttributeUpdateSettings: settings } }),
    );
    renameSync(`${file}.tmp`, file);
  }
}

/** Access tokens of the pool, checked as the functions check them (over plain HTTP: the stand-in's only). */
function accessTokenVerifier(issuer: string, jwksUri: string) {
  return JwtRsaVerifier.create(
    {
      issuer,
      jwksUri,
      audience: null,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== 'access') throw new Error('Not an access token');
      },
    },
    {
      jwksCache: new SimpleJwksCache({
        fetcher: { fetch: async (uri: string) => (await fetch(uri)).arrayBuffer() },
      }),
    },
  );
}

/** The pool's users as cognito-local keeps them; empty while its store is not written or caught mid-write. */
function readUsers(dataDir: string, userPoolId: string): StoredUser[] {
  try {
    const store = JSON.parse(readFileSync(join(dataDir, '.cognito', 'db', `${userPoolId}.json`), 'utf8')) as {
      Users?: Record<string, StoredUser>;
    };
    return Object.values(store.Users ?? {});
  } catch {
    return [];
  }
}

function emailOf(user: StoredUser): string | undefined {
  return user.Attributes?.find((attribute) => attribute.Name === 'email')?.Value;
}

/** A user by username, or by email (the pool signs in with email). */
function findUser(users: readonly StoredUser[], username: string): StoredUser | undefined {
  const wanted = username.toLowerCase();
  return users.find((user) => user.Username === username || emailOf(user)?.toLowerCase() === wanted);
}

/**
 * A code cognito-local keeps in its user store for an email: an unconfirmed sign-up's, or the one that
 * verifies a new email waiting for it.
 */
function storedCode(users: readonly StoredUser[], to: string) {
  for (const user of users) {
    const email = emailOf(user);
    if (email?.toLowerCase() === to && user.ConfirmationCode) {
      return { to: email, username: user.Username, code: user.ConfirmationCode, reason: 'SignUp' };
    }
    const pending = user.UnverifiedAttributeChanges?.find((attribute) => attribute.Name === 'email')?.Value;
    if (pending?.toLowerCase() === to && user.AttributeVerificationCode) {
      return {
        to: pending,
        username: user.Username,
        code: user.AttributeVerificationCode,
        reason: 'UpdateUserAttributes',
      };
    }
  }
  return undefined;
}

/** cognito-local as a child process on `port`, keeping its state in `dataDir`. */
function spawnStandIn(dataDir: string, port: number): ChildProcess {
  const entry = createRequire(import.meta.url).resolve('cognito-local/lib/bin/start.js');
  return spawn(process.execPath, [entry], {
    cwd: dataDir,
    env: { ...process.env, HOST: LOCAL_HOST, PORT: String(port), NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The stand-in stopped before it was ready: it says why on its output (a port taken, most often). */
class StandInExitedError extends Error {}

function waitUntilReady(child: ChildProcess, mailbox: Mailbox): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('Cognito stand-in did not start in time')),
      READY_TIMEOUT_IN_MS,
    );
    // Both streams: the stand-in logs why it stopped on its standard output.
    const said: string[] = [];
    let ready = false;
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new StandInExitedError(`Cognito stand-in exited with code ${code}: ${said.join('\n').slice(-2000)}`),
      );
    });
    const heard = (line: string) => {
      if (!ready) said.push(line);
    };
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', heard);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      heard(line);
      mailbox.readLine(line);
      if (line.includes('Cognito Local running on')) {
        ready = true;
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
          // As deployed: a new email counts once the code sent to it is entered.
          UserAttributeUpdateSettings: {
            AttributesRequireVerificationBeforeUpdate: [...ATTRIBUTES_VERIFIED_BEFORE_UPDATE],
          },
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
    // As deployed: two-step sign-in with an authenticator app, offered to each user.
    await client.send(
      new SetUserPoolMfaConfigCommand({
        UserPoolId: userPoolId,
        MfaConfiguration: MFA_CONFIGURATION,
        SoftwareTokenMfaConfiguration: { Enabled: true },
      }),
    );
    const clients = await client.send(
      new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }),
    );
    let userPoolClientId = clients.UserPoolClients?.find((c) => c.ClientName === CLIENT_NAME)?.ClientId;
    // As deployed (the stand-in's own default is 24 h for access and id tokens).
    const settings = {
      ClientName: CLIENT_NAME,
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AccessTokenValidity: TOKEN_VALIDITY.accessTokenMinutes,
      IdTokenValidity: TOKEN_VALIDITY.idTokenMinutes,
      RefreshTokenValidity: TOKEN_VALIDITY.refreshTokenDays,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
    } satisfies Omit<CreateUserPoolClientCommandInput, 'UserPoolId'>;
    if (!userPoolClientId) {
      const created = await client.send(
        new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ...settings }),
      );
      userPoolClientId = created.UserPoolClient?.ClientId as string;
    } else {
      // A data directory kept from before the lifetimes were set: bring its client in line.
      await client.send(
        new UpdateUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: userPoolClientId, ...settings }),
      );
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
