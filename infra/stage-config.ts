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
   * The share of requests traced with X-Ray beyond the first each second (0 to 1): the stage's sampling
   * rule (`infra/constructs/trace-sampling.ts`). X-Ray bills each trace recorded.
   */
  readonly traceSampling: number;
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
  traceSampling: 'traceSampling',
} as const;

/** The push contact of a stage that names none: a placeholder in a reserved domain, to be replaced. */
export const DEFAULT_PUSH_CONTACT = 'mailto:operators@parley.invalid';

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
    traceSampling,
  };
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
