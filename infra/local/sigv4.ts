import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

// Signature Version 4 as the stand-ins check it: the API Gateway stand-in checks the shape of
// header-signed requests, the S3 stand-in the signatures of presigned URLs and POST policies.

/** How far a request's `x-amz-date` may stray from the gateway's clock, as AWS allows. */
export const MAX_CLOCK_SKEW_IN_MS = 5 * 60 * 1000;

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export interface SignatureRefusal {
  readonly status: 403;
  readonly errorType: string;
  readonly message: string;
}

/**
 * Why a request to an IAM-authorised endpoint (`@connections`) would be refused before it is
 * served, or undefined when it is signed as AWS requires: Signature Version 4 for `execute-api` in
 * this region, dated within five minutes, signing `host` and `x-amz-date`. Any access key is
 * accepted and the signature itself is not checked: there is no IAM here, only the shape a real
 * endpoint insists on, so a client that forgets to sign fails here as it would on AWS.
 */
export function signatureRefusal(
  headers: IncomingHttpHeaders,
  region: string,
  now: number,
): SignatureRefusal | undefined {
  const authorization = headers.authorization;
  if (!authorization) return refuse('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const match = AUTHORIZATION.exec(authorization);
  if (!match) {
    return refuse(
      'IncompleteSignatureException',
      'Authorization header requires Credential, SignedHeaders and Signature parameters of AWS4-HMAC-SHA256',
    );
  }
  const [, , scopeDate, scopeRegion, service, signedHeaders] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (service !== 'execute-api' || scopeRegion !== region) {
    return refuse(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region and service: ${region}/execute-api`,
    );
  }
  const signed = signedHeaders.split(';');
  if (!signed.includes('host') || !signed.includes('x-amz-date')) {
    return refuse('IncompleteSignatureException', 'SignedHeaders must include host and x-amz-date');
  }
  const amzDate = String(headers['x-amz-date'] ?? '');
  const at = parseAmzDate(amzDate);
  if (at === undefined)
    return refuse('IncompleteSignatureException', 'Missing or malformed X-Amz-Date header');
  if (amzDate.slice(0, 8) !== scopeDate) {
    return refuse('InvalidSignatureException', 'Date in Credential scope does not match X-Amz-Date');
  }
  if (Math.abs(now - at) > MAX_CLOCK_SKEW_IN_MS) {
    return refuse(
      'InvalidSignatureException',
      'Signature expired: X-Amz-Date is more than 5 minutes from now',
    );
  }
  return undefined;
}

function refuse(errorType: string, message: string): SignatureRefusal {
  return { status: 403, errorType, message };
}

/** An `x-amz-date` (`20261204T120000Z`) in milliseconds since the epoch, or undefined when malformed. */
export function parseAmzDate(value: string): number | undefined {
  const date = AMZ_DATE.exec(value);
  if (!date) return undefined;
  const [, year, month, day, hour, minute, second] = date.map(Number) as number[];
  const at = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  // Date.UTC rolls 20261332 over into the next year; AWS refuses it.
  const rolled = new Date(at);
  return rolled.getUTCMonth() === (month as number) - 1 && rolled.getUTCDate() === day ? at : undefined;
}

/** The parts of a credential, `{access key}/{yyyymmdd}/{region}/{service}/aws4_request`. */
export interface Credential {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  /** Everything after the access key: what a signature is scoped to. */
  readonly scope: string;
}

const CREDENTIAL = /^([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request$/;

export function parseCredential(value: string): Credential | undefined {
  const match = CREDENTIAL.exec(value);
  if (!match) return undefined;
  const [, accessKeyId, date, region, service] = match as unknown as [string, string, string, string, string];
  return { accessKeyId, date, region, service, scope: `${date}/${region}/${service}/aws4_request` };
}

/** The key a secret derives for one day, region and service. */
export function signingKey(secretAccessKey: string, credential: Credential): Buffer {
  let key = hmac(`AWS4${secretAccessKey}`, credential.date);
  for (const part of [credential.region, credential.service, 'aws4_request']) key = hmac(key, part);
  return key;
}

/** Hex HMAC-SHA256 of `data` under a signing key: a request's (or a POST policy's) signature. */
export function sign(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex');
}

/** Compares two hex signatures in constant time. */
export function signaturesMatch(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A request signed in its query string (a presigned URL), as the server received it. */
export interface QuerySignedRequest {
  readonly method: string;
  /** The path as sent, percent-encoded. */
  readonly path: string;
  /** The query string as sent, without the `?`. */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
}

export interface QuerySignature {
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  readonly signature: string;
}

/**
 * The signature a presigned request should carry: the canonical request over the method, the path
 * (each segment encoded once, as S3 wants), the query without `X-Amz-Signature`, the signed headers
 * and an unsigned payload. Throws a `URIError` on a path or query that is not valid percent-encoding.
 */
export function querySignature(
  request: QuerySignedRequest,
  options: {
    readonly secretAccessKey: string;
    readonly credential: Credential;
    readonly amzDate: string;
    readonly signedHeaders: readonly string[];
  },
): QuerySignature {
  const path = request.path
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join('/');
  const query = request.query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      const name = decodeURIComponent(at < 0 ? pair : pair.slice(0, at));
      const value = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1));
      return [uriEncode(name), uriEncode(value)] as const;
    })
    .filter(([name]) => name !== 'X-Amz-Signature')
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const headers = options.signedHeaders
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalRequest = [
    request.method,
    path,
    query,
    headers,
    options.signedHeaders.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    options.amzDate,
    options.credential.scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  const signature = sign(signingKey(options.secretAccessKey, options.credential), stringToSign);
  return { canonicalRequest, stringToSign, signature };
}

/** AWS's URI encoding: RFC 3986's unreserved characters as they are, every other UTF-8 byte as %XX. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
