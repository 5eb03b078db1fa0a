import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type Caps, capsWith } from '../functions/caps';
import type { RateLimit, RateLimitedAction } from '../functions/ports/rate-limiter';
import { rateLimitsWith } from '../functions/rate-limits';

/** What differs between stages. Everything else comes from `topology.ts`. */
export interface StageConfig {
  /** Stateful resources are retained and protected from deletion; CORS has no localhost default. */
  readonly productionLike: boolean;
  /** Browser origins the HTTP API's CORS allows beside the stage's own web client. */
  readonly webOrigins: readonly string[];
  /** How long function and access logs are kept. */
  readonly logRetentionDays: RetentionDays;
  /** Whether the realtime stack sets API Gateway's account-wide CloudWatch role (needed for WebSocket access logs). */
  readonly apiGatewayAccountRole: boolean;
  /** Per-user allowances the functions enforce: the defaults with the stage's overrides. */
  readonly rateLimits: Readonly<Record<RateLimitedAction, RateLimit>>;
  /** Per-user caps the functions enforce: the defaults with the stage's overrides. */
  readonly caps: Caps;
  /**
   * The contact Web Push requests name (VAPID `sub`, RFC 8292): a `mailto:` or `https:` URL where the push
   * services (Google, Mozilla, Apple) can reach the stage's operators. Set it before launch.
   */
  readonly pushContact: string;
  /**
   * A label of the stage's current VAPID key pair: a new value makes a new pair at the next deploy
   * (docs/operations.md, "Rotating the VAPID key"). Unset: the pair made at the first deploy stays.
   */
  readonly vapidKeyRotation?: string;
  /** Addresses the stage's alarm topic emails (each confirms its subscription once); none subscribes no one. */
  readonly alarmEmails: readonly string[];
  /** The stage's monthly AWS Budgets amount in US dollars, warned of at 80% forecast and 100% actual. */
  readonly monthlyBudgetUsd: number;
  /** How long AWS Backup keeps each daily backup of the table. */
  readonly backupRetentionDays: number;
  /**
   * A backup vault in another account or region that each daily backup is copied to.
   * @default none: backups stay in the stage's own vault
   */
  readonly backupCopyVaultArn?: string;
  /**
   * The table the functions use, when it is not the one the data stack made: a table restored from a
   * backup or to a point in time (docs/operations.md, "Backups and restore").
   * @default the data stack's table
   */
  readonly tableName?: string;
  /**
   * The stage's own domain (`chat.example.com`): the site is served there, the APIs at `api.` and `ws.`
   * under it. Chosen before launch: the site's origin owns each browser's keys (README, "Deploy a stage").
   * @default none: the site and APIs keep their AWS domains
   */
  readonly domain?: string;
  /**
   * How Cognito sends its email: through SES from this address and verified identity. Production-like
   * stages must have one (Cognito's own sender stops at 50 emails a day); dev keeps Cognito's sender.
   * @default Cognito's sender (dev only)
   */
  readonly email?: SesEmail;
  /**
   * The Route 53 zone `domain` is in: its records are then made by the stacks. Without one, the operator
   * adds the records (README, "Deploy a stage").
   * @default none
   */
  readonly hostedZone?: HostedZoneRef;
  /**
   * The share of requests traced with X-Ray beyond the first each second (0 to 1): the stage's sampling
   * rule (`infra/constructs/trace-sampling.ts`). X-Ray bills each trace recorded.
   */
  readonly traceSampling: number;
}

/** A Route 53 hosted zone named by id and name, so synthesis needs no lookup. */
export interface HostedZoneRef {
  readonly id: string;
  readonly name: string;
}

/** Cognito's email through SES. */
export interface SesEmail {
  /** The sender's address, e.g. `no-reply@chat.example.com`. */
  readonly fromAddress: string;
  /** The SES identity verified for it: its exact domain, or the address itself. */
  readonly identity: string;
  /**
   * An SES configuration set, for sending events and a dedicated IP pool.
   * @default none
   */
  readonly configurationSet?: string;
}

/** CDK context keys a stage reads (`cdk synth -c key=value`). */
export const StageContext = {
  stage: 'stage',
  productionLike: 'productionLike',
  webOrigins: 'webOrigins',
  logRetentionDays: 'logRetentionDays',
  apiGatewayAccountRole: 'apiGatewayAccountRole',
  rateLimits: 'rateLimits',
  caps: 'caps',
  pushContact: 'pushContact',
  vapidKeyRotation: 'vapidKeyRotation',
  alarmEmail: 'alarmEmail',
  monthlyBudgetUsd: 'monthlyBudgetUsd',
  backupCopyVaultArn: 'backupCopyVaultArn',
  tableName: 'tableName',
  domain: 'domain',
  sesFromAddress: 'sesFromAddress',
  sesIdentity: 'sesIdentity',
  sesConfigurationSet: 'sesConfigurationSet',
  hostedZoneId: 'hostedZoneId',
  hostedZoneName: 'hostedZoneName',
  traceSampling: 'traceSampling',
} as const;

/** The push contact of a stage that names none: a placeholder in a reserved domain, to be replaced. */
export const DEFAULT_PUSH_CONTACT = 'mailto:operators@parley.invalid';

/**
 * A month's budget when the context names none: a small stage with a few users runs well under it
 * (docs/operations.md), so crossing it means a leak or abuse, not growth.
 */
export const DEFAULT_MONTHLY_BUDGET_USD = 50;
/** Traced beyond the first request each second: all of a dev stage's few, a twentieth of production's. */
const DEV_TRACE_SAMPLING = 1;
const PRODUCTION_TRACE_SAMPLING = 0.05;

/** Reserved for the local stack (`infra/local`), whose stack names and outputs use it. */
const LOCAL_STAGE_NAME = 'local';
const STAGE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,22}[a-z0-9]$|^[a-z]$/;

/** The local web client's origins, served by the dev server. */
const LOCAL_WEB_ORIGINS = ['http://localhost:3000', 'http://127.0.0.1:3000'];

/** Enough to debug last week's incident in a dev stage without paying to keep noise. */
const DEV_LOG_RETENTION = RetentionDays.ONE_WEEK;
/** Logs hold user and conversation ids: kept long enough for an investigation, not longer. */
const PRODUCTION_LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * Daily backups kept in production-like stages: five weeks, so a fault noticed a month late (a bad
 * migration, a deleting bug) still has a clean copy; PITR covers the same 35 days to the second.
 */
export const PRODUCTION_BACKUP_RETENTION_IN_DAYS = 35;
/** A dev stage's data is test data: a week of backups is enough to rehearse a restore. */
export const DEV_BACKUP_RETENTION_IN_DAYS = 7;

/** Thrown when a stage name or its context is unusable; stops synth before any stack is built. */
export class StageConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StageConfigError';
  }
}

/**
 * Checks a stage name: it becomes part of stack names, the WebSocket stage
 * name and resource tags, so it is kept short and DNS-like.
 *
 * @example
 * assertStageName('dev'); // ok
 * assertStageName('Dev'); // throws StageConfigError
 */
export function assertStageName(stage: string): void {
  if (!STAGE_NAME_PATTERN.test(stage)) {
    throw new StageConfigError(
      `Invalid stage name '${stage}': use 1-24 lowercase letters, digits and hyphens, ` +
        'starting with a letter and not ending with a hyphen (e.g. -c stage=dev)',
    );
  }
  if (stage === LOCAL_STAGE_NAME) {
    throw new StageConfigError(
      `The stage name '${LOCAL_STAGE_NAME}' is reserved for the local stack (npm start); pick another`,
    );
  }
}

/** Stages named like production are treated as production whatever the context says. */
export function isProductionStageName(stage: string): boolean {
  return stage === 'prod' || stage === 'production' || stage.startsWith('prod-');
}

/**
 * Resolves a stage's settings from its name and CDK context.
 *
 * Context values from the CLI arrive as strings (`-c productionLike=true`),
 * from tests as typed values; both are accepted.
 *
 * @example
 * const config = stageConfig('dev', { webOrigins: 'https://chat.example.com' });
 */
export function stageConfig(stage: string, context: Readonly<Record<string, unknown>> = {}): StageConfig {
  assertStageName(stage);
  const productionLike =
    isProductionStageName(stage) || readBoolean(context, StageContext.productionLike, false);
  const webOrigins =
    readOrigins(context, StageContext.webOrigins) ?? (productionLike ? [] : [...LOCAL_WEB_ORIGINS]);
  const logRetentionDays =
    readRetention(context, StageContext.logRetentionDays) ??
    (productionLike ? PRODUCTION_LOG_RETENTION : DEV_LOG_RETENTION);
  const apiGatewayAccountRole = readBoolean(context, StageContext.apiGatewayAccountRole, true);
  const rateLimits = readRateLimits(context, StageContext.rateLimits);
  const caps = readCaps(context, StageContext.caps);
  const pushContact = readPushContact(context, StageContext.pushContact);
  const vapidKeyRotation = readLabel(context, StageContext.vapidKeyRotation);
  const alarmEmails = readEmails(context, StageContext.alarmEmail);
  const monthlyBudgetUsd = readBudget(context, StageContext.monthlyBudgetUsd);
  const domain = readDomain(context, StageContext.domain);
  const traceSampling =
    readFraction(context, StageContext.traceSampling) ??
    (productionLike ? PRODUCTION_TRACE_SAMPLING : DEV_TRACE_SAMPLING);
  return {
    productionLike,
    webOrigins,
    logRetentionDays,
    apiGatewayAccountRole,
    rateLimits,
    caps,
    pushContact,
    ...(vapidKeyRotation === undefined ? {} : { vapidKeyRotation }),
    alarmEmails,
    monthlyBudgetUsd,
    backupRetentionDays: productionLike ? PRODUCTION_BACKUP_RETENTION_IN_DAYS : DEV_BACKUP_RETENTION_IN_DAYS,
    ...optional('backupCopyVaultArn', readBackupVaultArn(context, StageContext.backupCopyVaultArn)),
    ...optional('tableName', readTableName(context, StageContext.tableName)),
    ...optional('domain', domain),
    ...optional('email', readEmail(context, productionLike, domain)),
    ...optional('hostedZone', readHostedZone(context, domain)),
    traceSampling,
  };
}

/** One address: no spaces, one `@`, a dot in the domain. SNS refuses anything looser at deploy time, too late. */
const ALARM_EMAIL_PATTERN = /^[^@\s,]+@[^@\s,]+\.[^@\s,.]+$/;

function readEmails(context: Readonly<Record<string, unknown>>, key: string): string[] {
  const value = context[key];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : String(value).split(',');
  const emails = list.map((email) => String(email).trim()).filter((email) => email !== '');
  for (const email of emails) {
    if (!ALARM_EMAIL_PATTERN.test(email)) {
      throw new StageConfigError(
        `Context ${key} holds '${email}', which is not an email address; give one or a comma-separated list, ` +
          'like -c alarmEmail=ops@example.com,oncall@example.com',
      );
    }
  }
  return [...new Set(emails)];
}

function readBudget(context: Readonly<Record<string, unknown>>, key: string): number {
  const value = context[key];
  if (value === undefined) return DEFAULT_MONTHLY_BUDGET_USD;
  const text = String(value).trim();
  const amount = Number(text);
  // AWS Budgets takes a positive amount with at most two decimals.
  if (!/^\d+(\.\d{1,2})?$/.test(text) || amount <= 0) {
    throw new StageConfigError(
      `Context ${key} must be a positive amount in US dollars with at most two decimals, like 50 or 12.5, got '${String(value)}'`,
    );
  }
  return amount;
}

/** Both keys or neither, with a domain inside the zone. */
function readHostedZone(
  context: Readonly<Record<string, unknown>>,
  domain: string | undefined,
): HostedZoneRef | undefined {
  const { hostedZoneId, hostedZoneName } = StageContext;
  const id = context[hostedZoneId];
  const name = context[hostedZoneName];
  if (id === undefined && name === undefined) return undefined;
  if (typeof id !== 'string' || !/^Z[A-Z0-9]{1,31}$/.test(id)) {
    throw new StageConfigError(
      `Context ${hostedZoneId} must be a Route 53 hosted zone id, like Z0123456789ABCDEFGHIJ, given with ${hostedZoneName}; got '${String(id)}'`,
    );
  }
  if (typeof name !== 'string' || !DOMAIN_PATTERN.test(name)) {
    throw new StageConfigError(
      `Context ${hostedZoneName} must be the zone's domain name, like example.com, given with ${hostedZoneId}; got '${String(name)}'`,
    );
  }
  if (domain === undefined || !(domain === name || domain.endsWith(`.${name}`))) {
    throw new StageConfigError(
      `Context ${hostedZoneName} '${name}' must hold -c ${StageContext.domain} (the zone's name or a parent of it), got domain '${String(domain)}'`,
    );
  }
  return { id, name };
}

/** The local part of the address a stage with a domain and no `sesFromAddress` sends from. */
export const DEFAULT_SENDER_LOCAL_PART = 'no-reply';

/** A DNS name of two labels or more: letters, digits and inner hyphens, lower case. */
const DOMAIN_PATTERN = /^(?=.{4,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const EMAIL_PATTERN = /^[^@\s]+@([^@\s]+)$/;

function readDomain(context: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = context[key];
  if (value === undefined) return undefined;
  if (typeof value === 'string' && DOMAIN_PATTERN.test(value)) return value;
  throw new StageConfigError(
    `Context ${key} must be a lower-case domain name, like chat.example.com (no scheme, no path), got '${String(value)}'`,
  );
}

/**
 * A production-like stage sends through SES: from `sesFromAddress`, or from `no-reply@{domain}`; with
 * neither, synthesis stops rather than launch a stage whose sign-ups stop after 50 emails a day. A dev
 * stage sends through SES only when told to: an SES account in its sandbox mails verified addresses only.
 */
function readEmail(
  context: Readonly<Record<string, unknown>>,
  productionLike: boolean,
  domain: string | undefined,
): SesEmail | undefined {
  const { sesFromAddress, sesIdentity, sesConfigurationSet } = StageContext;
  const from = context[sesFromAddress];
  const identity = context[sesIdentity];
  const configurationSet = context[sesConfigurationSet];
  if (from !== undefined && (typeof from !== 'string' || !EMAIL_PATTERN.test(from))) {
    throw new StageConfigError(
      `Context ${sesFromAddress} must be an email address, like no-reply@chat.example.com, got '${String(from)}'`,
    );
  }
  if (
    identity !== undefined &&
    (typeof identity !== 'string' || !(DOMAIN_PATTERN.test(identity) || EMAIL_PATTERN.test(identity)))
  ) {
    throw new StageConfigError(
      `Context ${sesIdentity} must be the SES identity's domain or address, like chat.example.com, got '${String(identity)}'`,
    );
  }
  if (
    configurationSet !== undefined &&
    (typeof configurationSet !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(configurationSet))
  ) {
    throw new StageConfigError(
      `Context ${sesConfigurationSet} must be an SES configuration set name (letters, digits, _ and -), got '${String(configurationSet)}'`,
    );
  }
  if (from === undefined && (identity !== undefined || configurationSet !== undefined)) {
    throw new StageConfigError(
      `Context ${sesIdentity} and ${sesConfigurationSet} need ${sesFromAddress}, the address to send from`,
    );
  }
  const withSet = configurationSet === undefined ? {} : { configurationSet: configurationSet as string };
  if (typeof from === 'string') {
    const fromDomain = EMAIL_PATTERN.exec(from)?.[1] as string;
    // Cognito's sender is authorized by the identity it names: the address itself or its exact domain.
    if (identity !== undefined && identity !== from && identity !== fromDomain) {
      throw new StageConfigError(
        `Context ${sesIdentity} must be ${sesFromAddress}'s domain (${fromDomain}) or the address itself, got '${String(identity)}'`,
      );
    }
    return { fromAddress: from, identity: (identity as string | undefined) ?? fromDomain, ...withSet };
  }
  if (!productionLike) return undefined;
  if (domain !== undefined)
    return { fromAddress: `${DEFAULT_SENDER_LOCAL_PART}@${domain}`, identity: domain };
  throw new StageConfigError(
    `A production-like stage sends its sign-up and password emails through SES (Cognito's own sender stops after 50 a day): ` +
      `set -c ${StageContext.domain}=chat.example.com to send as ${DEFAULT_SENDER_LOCAL_PART}@chat.example.com, ` +
      `or -c ${sesFromAddress}=no-reply@example.com (with -c ${sesIdentity}=no-reply@example.com when SES verified the address, not the domain)`,
  );
}

/** `{ [key]: value }` when there is a value, `{}` otherwise: optional fields stay absent, not undefined. */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function readBackupVaultArn(context: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = context[key];
  if (value === undefined) return undefined;
  if (
    typeof value === 'string' &&
    /^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[\w.-]{2,50}$/.test(value)
  ) {
    return value;
  }
  throw new StageConfigError(
    `Context ${key} must be a backup vault ARN, like arn:aws:backup:eu-west-1:123456789012:backup-vault:parley-copies, got '${String(value)}'`,
  );
}

function readTableName(context: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = context[key];
  if (value === undefined) return undefined;
  // DynamoDB's own rule for table names.
  if (typeof value === 'string' && /^[A-Za-z0-9_.-]{3,255}$/.test(value)) return value;
  throw new StageConfigError(
    `Context ${key} must be a DynamoDB table name (3-255 letters, digits, _ . -), like parley-prod-restored, got '${String(value)}'`,
  );
}

function readCaps(context: Readonly<Record<string, unknown>>, key: string): Caps {
  const value = context[key];
  try {
    const overrides = value === undefined ? {} : typeof value === 'string' ? JSON.parse(value) : value;
    return capsWith(overrides as Partial<Caps>);
  } catch (error) {
    throw new StageConfigError(
      `Context ${key} must be JSON like {"groupsPerUser":500,"devicesPerUser":10}, got '${String(value)}'`,
      { cause: error },
    );
  }
}

function readRateLimits(context: Readonly<Record<string, unknown>>, key: string) {
  const value = context[key];
  try {
    const overrides = value === undefined ? {} : typeof value === 'string' ? JSON.parse(value) : value;
    return rateLimitsWith(overrides as Partial<Record<RateLimitedAction, RateLimit>>);
  } catch (error) {
    throw new StageConfigError(
      `Context ${key} must be JSON like {"send":{"limit":120,"windowSeconds":60}}, got '${String(value)}'`,
      { cause: error },
    );
  }
}

function readPushContact(context: Readonly<Record<string, unknown>>, key: string): string {
  const value = context[key];
  if (value === undefined) return DEFAULT_PUSH_CONTACT;
  if (typeof value === 'string' && /^(mailto:[^@\s]+@[^@\s]+|https:\/\/\S+)$/.test(value)) return value;
  throw new StageConfigError(
    `Context ${key} must be a mailto: or https: URL, like mailto:ops@example.com, got '${String(value)}'`,
  );
}

function readLabel(context: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = context[key];
  if (value === undefined) return undefined;
  if (typeof value === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(value)) return value;
  throw new StageConfigError(
    `Context ${key} must be a label of up to 64 letters, digits, dots, hyphens or underscores, like 2026-12, got '${String(value)}'`,
  );
}

function readFraction(context: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = context[key];
  if (value === undefined) return undefined;
  const fraction =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : Number.NaN;
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new StageConfigError(
      `Context ${key} must be a fraction from 0 to 1, like 0.05, got '${String(value)}'`,
    );
  }
  return fraction;
}

function readBoolean(context: Readonly<Record<string, unknown>>, key: string, fallback: boolean): boolean {
  const value = context[key];
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new StageConfigError(`Context ${key} must be true or false, got '${String(value)}'`);
}

function readOrigins(context: Readonly<Record<string, unknown>>, key: string): string[] | undefined {
  const value = context[key];
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : String(value).split(',');
  const origins = list.map((origin) => String(origin).trim()).filter((origin) => origin !== '');
  for (const origin of origins) {
    // An origin is scheme://host[:port] exactly: a path never matches a browser's Origin, and a
    // wildcard would let any look-alike site call the API with a user's token.
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin || origin.includes('*')) {
      throw new StageConfigError(
        `Context ${key} holds '${origin}', which is not an origin like https://chat.example.com`,
      );
    }
  }
  return origins;
}

function readRetention(context: Readonly<Record<string, unknown>>, key: string): RetentionDays | undefined {
  const value = context[key];
  if (value === undefined) return undefined;
  const days = Number(value);
  const allowed = Object.values(RetentionDays).filter((entry): entry is number => typeof entry === 'number');
  if (!allowed.includes(days) || days === RetentionDays.INFINITE) {
    throw new StageConfigError(
      `Context ${key} must be one of CloudWatch's retention periods (${allowed.filter((d) => d !== RetentionDays.INFINITE).join(', ')}), got '${String(value)}'`,
    );
  }
  return days as RetentionDays;
}
