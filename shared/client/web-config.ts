import type { StageEndpoints } from './stage';

/**
 * Where the web client finds its stage: served beside the app as
 * `/config.json` (by CloudFront from the stage's bucket, locally by the dev
 * server), read at start, never baked into the bundle. One build serves
 * every stage.
 */
export interface WebConfig {
  /** The stage's name: `dev`, `prod`, or `local` for `npm start`. */
  readonly stage: string;
  /** AWS region of the stage. */
  readonly region: string;
  /** The Cognito user pool users sign in to. */
  readonly userPoolId: string;
  /** The user pool's app client for the web (no secret). */
  readonly userPoolClientId: string;
  /** Where the browser calls Cognito's identity provider API (SignUp, InitiateAuth, …). */
  readonly cognitoEndpoint: string;
  /** The HTTP API's root URL, without a trailing slash. */
  readonly httpApiUrl: string;
  /** The WebSocket API's URL (`wss://` on AWS). */
  readonly webSocketUrl: string;
  /** Local stage only: the dev mailbox page, where sign-up codes arrive. */
  readonly mailboxUrl?: string;
  /**
   * The stage's VAPID public key (RFC 8292): an uncompressed P-256 point, URL-safe base64 without padding.
   * Browsers subscribe to Web Push with it. Absent where the stage sends no pushes.
   */
  readonly vapidPublicKey?: string;
}

/** Any text, a URL whose protocol matches, or a P-256 public key (65 bytes, URL-safe base64: 87 characters). */
type Kind = 'text' | 'p256Key' | RegExp;

/**
 * What each field must be. Checked by hand rather than with the project's zod schemas: this check is all
 * the first screen validates, and zod would be most of its bytes (the chat's own chunk loads zod later).
 */
const FIELDS: Record<keyof WebConfig, { readonly kind: Kind; readonly optional?: true }> = {
  stage: { kind: 'text' },
  region: { kind: 'text' },
  userPoolId: { kind: 'text' },
  userPoolClientId: { kind: 'text' },
  // http(s) URLs, loopback hosts included.
  cognitoEndpoint: { kind: /^https?:$/ },
  httpApiUrl: { kind: /^https?:$/ },
  webSocketUrl: { kind: /^wss?:$/ },
  mailboxUrl: { kind: /^https?:$/, optional: true },
  vapidPublicKey: { kind: 'p256Key', optional: true },
};

/** The fields of a web configuration, in order. */
export const WEB_CONFIG_FIELDS = Object.keys(FIELDS) as ReadonlyArray<keyof WebConfig>;

function isValid(value: unknown, kind: Kind): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  if (kind === 'text') return true;
  // 0x04 (uncompressed) then the x coordinate: `B`, then one of `A`–`P` for x's top four bits.
  if (kind === 'p256Key') return /^B[A-P][A-Za-z0-9_-]{85}$/.test(value);
  try {
    return kind.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

/**
 * The configuration in `value`, or `WebConfigError` naming every missing or malformed field. Fields it
 * does not know are left out.
 */
export function parseWebConfig(value: unknown): WebConfig {
  const record =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  const config: Record<string, string> = {};
  const invalid: string[] = [];
  for (const key of WEB_CONFIG_FIELDS) {
    const field = FIELDS[key];
    const found = record[key];
    if (found === undefined && field.optional) continue;
    if (isValid(found, field.kind)) config[key] = found;
    else invalid.push(key);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid.unshift('(root)');
  if (invalid.length > 0) {
    throw new WebConfigError(`${WEB_CONFIG_PATH} is not a valid configuration (${invalid.join(', ')})`);
  }
  return config as unknown as WebConfig;
}

/** Where the web client reads its configuration, relative to its origin. */
export const WEB_CONFIG_PATH = '/config.json';

/** Thrown when `/config.json` cannot be fetched or does not hold a valid configuration. */
export class WebConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebConfigError';
  }
}

/**
 * Cognito's identity provider endpoint in a region: the URL the browser
 * POSTs its `X-Amz-Target` calls to. `urlSuffix` differs in the China
 * partitions (`amazonaws.com.cn`).
 *
 * @example
 * cognitoEndpointFor('eu-west-1'); // 'https://cognito-idp.eu-west-1.amazonaws.com/'
 */
export function cognitoEndpointFor(region: string, urlSuffix = 'amazonaws.com'): string {
  return `https://cognito-idp.${region}.${urlSuffix}/`;
}

/**
 * A web configuration from a stage's endpoints, as read from its outputs
 * (`stageEndpoints`). On AWS the Cognito endpoint is the region's; the local
 * stage names its stand-in's.
 *
 * @example
 * const config = webConfigOf(stageEndpoints(outputs), { stage: 'local', mailboxUrl: 'http://127.0.0.1:3000/mailbox' });
 */
export function webConfigOf(
  endpoints: StageEndpoints,
  extra: { readonly stage: string; readonly mailboxUrl?: string; readonly vapidPublicKey?: string },
): WebConfig {
  return parseWebConfig({
    stage: extra.stage,
    region: endpoints.region,
    userPoolId: endpoints.userPoolId,
    userPoolClientId: endpoints.userPoolClientId,
    cognitoEndpoint: endpoints.cognitoEndpoint ?? cognitoEndpointFor(endpoints.region),
    httpApiUrl: endpoints.httpApiUrl,
    webSocketUrl: endpoints.webSocketUrl,
    ...(extra.mailboxUrl ? { mailboxUrl: extra.mailboxUrl } : {}),
    ...(extra.vapidPublicKey ? { vapidPublicKey: extra.vapidPublicKey } : {}),
  });
}

/**
 * Fetches and validates the stage's configuration from the page's origin.
 * Never cached by the browser: a redeployed stage's new endpoints apply at
 * the next load.
 *
 * @example
 * const config = await loadWebConfig();
 * new WebSocket(config.webSocketUrl, ['parley', accessToken]);
 */
export async function loadWebConfig(
  fetchImpl: typeof fetch = (input, init) => fetch(input, init),
): Promise<WebConfig> {
  let response: Response;
  try {
    response = await fetchImpl(WEB_CONFIG_PATH, {
      cache: 'no-store',
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    throw new WebConfigError(`Could not fetch ${WEB_CONFIG_PATH}`, { cause: error });
  }
  if (!response.ok) throw new WebConfigError(`${WEB_CONFIG_PATH} answered ${response.status}`);
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new WebConfigError(`${WEB_CONFIG_PATH} is not JSON`, { cause: error });
  }
  return parseWebConfig(body);
}
