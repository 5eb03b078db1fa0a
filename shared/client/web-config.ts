import * as z from 'zod';
import type { StageEndpoints } from './stage';

/** http(s) URLs, loopback hosts included (`z.httpUrl` wants a domain name). */
const httpUrl = () => z.url({ protocol: /^https?$/ });

/**
 * Where the web client finds its stage: served beside the app as
 * `/config.json` (by CloudFront from the stage's bucket, locally by the dev
 * server), read at start, never baked into the bundle. One build serves
 * every stage.
 */
export const WebConfigSchema = z.object({
  /** The stage's name: `dev`, `prod`, or `local` for `npm start`. */
  stage: z.string().min(1),
  /** AWS region of the stage. */
  region: z.string().min(1),
  /** The Cognito user pool users sign in to. */
  userPoolId: z.string().min(1),
  /** The user pool's app client for the web (no secret). */
  userPoolClientId: z.string().min(1),
  /** Where the browser calls Cognito's identity provider API (SignUp, InitiateAuth, …). */
  cognitoEndpoint: httpUrl(),
  /** The HTTP API's root URL, without a trailing slash. */
  httpApiUrl: httpUrl(),
  /** The WebSocket API's URL (`wss://` on AWS). */
  webSocketUrl: z.url({ protocol: /^wss?$/ }),
  /** Local stage only: the dev mailbox page, where sign-up codes arrive. */
  mailboxUrl: httpUrl().optional(),
});
export type WebConfig = z.infer<typeof WebConfigSchema>;

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
  extra: { readonly stage: string; readonly mailboxUrl?: string },
): WebConfig {
  return WebConfigSchema.parse({
    stage: extra.stage,
    region: endpoints.region,
    userPoolId: endpoints.userPoolId,
    userPoolClientId: endpoints.userPoolClientId,
    cognitoEndpoint: endpoints.cognitoEndpoint ?? cognitoEndpointFor(endpoints.region),
    httpApiUrl: endpoints.httpApiUrl,
    webSocketUrl: endpoints.webSocketUrl,
    ...(extra.mailboxUrl ? { mailboxUrl: extra.mailboxUrl } : {}),
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
  const parsed = WebConfigSchema.safeParse(body);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
    throw new WebConfigError(`${WEB_CONFIG_PATH} is not a valid configuration (${fields})`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
