/**
 * The web client's security headers, one definition for both places that
 * serve it: CloudFront's response headers policy (`constructs/web-hosting.ts`)
 * and the local dev server (`local/dev-server.ts`). Only the origins the app
 * may connect to differ between them.
 *
 * Plain data only: no CDK import, so the local stack reads it without loading CDK.
 */

/** Two years, as the HSTS preload list asks; subdomains included. */
export const HSTS_MAX_AGE_IN_SECONDS = 2 * 365 * 24 * 60 * 60;

/**
 * Header values beside the CSP. Each matches a setting CloudFront's response
 * headers policy offers, except Permissions-Policy, which it sends as a custom header.
 */
export const SECURITY_HEADER_VALUES = {
  contentTypeOptions: 'nosniff',
  frameOptions: 'DENY',
  referrerPolicy: 'no-referrer',
  /**
   * A chat needs none of these but the microphone, for voice notes, and that for the site itself only:
   * no frame of any origin gets it, and an injected frame or script gets none of the others either.
   */
  permissionsPolicy: [
    'accelerometer=()',
    'camera=()',
    'display-capture=()',
    'geolocation=()',
    'gyroscope=()',
    'hid=()',
    'magnetometer=()',
    'microphone=(self)',
    'midi=()',
    'payment=()',
    'serial=()',
    'usb=()',
  ].join(', '),
} as const;

export interface WebHeaderOptions {
  /**
   * Origins the app may reach beside its own (fetch and WebSocket): the
   * stage's HTTP API, WebSocket API and Cognito endpoint. Deploy-time tokens are fine.
   */
  readonly connectSources: readonly string[];
  /** Send Strict-Transport-Security: HTTPS sites only (the local stack is plain HTTP on loopback). */
  readonly strictTransportSecurity: boolean;
}

/**
 * The Content-Security-Policy: the app's own scripts, styles, images and
 * fonts only, nothing inline, no frames of it anywhere, and network access
 * to its own origin and the stage's endpoints. Images and media may also be
 * `blob:` URLs: attachments are decrypted in the page into blobs it shows.
 *
 * @example
 * contentSecurityPolicy(['https://api.example.com']);
 * // "default-src 'self'; script-src 'self'; … connect-src 'self' https://api.example.com; …"
 */
export function contentSecurityPolicy(connectSources: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    ['connect-src', "'self'", ...connectSources].join(' '),
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** `Strict-Transport-Security`'s value. */
export function strictTransportSecurity(): string {
  return `max-age=${HSTS_MAX_AGE_IN_SECONDS}; includeSubDomains`;
}

/**
 * Every security header of a response of the web client, by lower-case name.
 *
 * @example
 * response.writeHead(200, { ...webSecurityHeaders({ connectSources, strictTransportSecurity: false }), 'content-type': 'text/html' });
 */
export function webSecurityHeaders(options: WebHeaderOptions): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(options.connectSources),
    ...(options.strictTransportSecurity ? { 'strict-transport-security': strictTransportSecurity() } : {}),
    'x-content-type-options': SECURITY_HEADER_VALUES.contentTypeOptions,
    'x-frame-options': SECURITY_HEADER_VALUES.frameOptions,
    'referrer-policy': SECURITY_HEADER_VALUES.referrerPolicy,
    'permissions-policy': SECURITY_HEADER_VALUES.permissionsPolicy,
  };
}

/**
 * What a deployed stage's app connects to: any API Gateway API and Cognito
 * in the stage's region. Wildcards rather than the stage's own API ids,
 * because the API stacks are built after the site's distribution (their
 * CORS names its domain) and the distribution's headers cannot name what
 * comes later without a dependency cycle. Scripts still come only from the
 * site itself, so the wildcard widens where a script already running could
 * send data, not what may run.
 *
 * @example
 * awsConnectSources('eu-west-1', 'amazonaws.com', ['parley-dev-blobs-123456789012-eu-west-1']);
 * // ['https://*.execute-api.eu-west-1.amazonaws.com', 'wss://*.execute-api.eu-west-1.amazonaws.com',
 * //  'https://cognito-idp.eu-west-1.amazonaws.com', 'https://parley-dev-blobs-123456789012-eu-west-1.s3.eu-west-1.amazonaws.com']
 */
export function awsConnectSources(
  region: string,
  urlSuffix = 'amazonaws.com',
  buckets: readonly string[] = [],
): string[] {
  return [
    `https://*.execute-api.${region}.${urlSuffix}`,
    `wss://*.execute-api.${region}.${urlSuffix}`,
    `https://cognito-idp.${region}.${urlSuffix}`,
    // Attachments: uploaded with presigned forms to, and downloaded from, the stage's own bucket.
    ...buckets.map((bucket) => `https://${bucket}.s3.${region}.${urlSuffix}`),
  ];
}

/**
 * The origins of a set of endpoint URLs, deduplicated: what the local
 * stack's app connects to.
 *
 * @example
 * originsOf(['http://127.0.0.1:3002', 'ws://127.0.0.1:3001/local']); // ['http://127.0.0.1:3002', 'ws://127.0.0.1:3001']
 */
export function originsOf(urls: readonly string[]): string[] {
  return [...new Set(urls.map((url) => new URL(url).origin))];
}
