import type { IncomingHttpHeaders } from 'node:http';
import {
  type Credential,
  parseAmzDate,
  parseCredential,
  querySignature,
  sign,
  signaturesMatch,
  signingKey,
} from './sigv4';

/** Why S3 refuses a request: its status and the `Code`, `Message` and extra elements of its XML error. */
export interface S3Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, string | number>>;
}

/** The only keys S3 knows here: the local credentials. */
export interface S3Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The longest a presigned URL may live: seven days, as S3 allows. */
export const MAX_PRESIGNED_EXPIRES_IN_SECONDS = 7 * 24 * 60 * 60;

/** S3's XML error body. */
export function s3ErrorXml(refusal: S3Refusal, requestId: string): string {
  const details = Object.entries(refusal.details ?? {})
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${refusal.code}</Code><Message>${escapeXml(refusal.message)}</Message>${details}` +
    `<RequestId>${requestId}</RequestId><HostId>parley-local</HostId></Error>`
  );
}

/**
 * Why S3 would refuse a presigned request (one signed in its query string), or undefined when its
 * signature is the local key's for this region and it has not expired. S3 checks the URL's own
 * lifetime (`X-Amz-Date` + `X-Amz-Expires`), then the signature over method, path, query and the
 * signed headers with an unsigned payload.
 */
export function presignedRefusal(
  request: { method: string; url: string; headers: IncomingHttpHeaders },
  options: { readonly region: string; readonly keys: S3Keys; readonly now: number },
): S3Refusal | undefined {
  const queryAt = request.url.indexOf('?');
  const path = queryAt < 0 ? request.url : request.url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : request.url.slice(queryAt + 1);
  let params: URLSearchParams;
  try {
    // URLSearchParams reads `+` as a space; SigV4 clients encode spaces as %20 and `+` as %2B.
    params = new URLSearchParams(query.replaceAll('+', '%2B'));
  } catch {
    return malformedQuery('the query is not valid percent-encoding');
  }
  const algorithm = params.get('X-Amz-Algorithm');
  const credentialText = params.get('X-Amz-Credential');
  const amzDate = params.get('X-Amz-Date');
  const expires = params.get('X-Amz-Expires');
  const signedHeaders = params.get('X-Amz-SignedHeaders');
  const provided = params.get('X-Amz-Signature') ?? '';
  if (algorithm !== 'AWS4-HMAC-SHA256') {
    return malformedQuery('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  }
  if (!credentialText || !amzDate || !expires || !signedHeaders) {
    return malformedQuery(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const credential = parseCredential(credentialText);
  if (!credential) return malformedQuery('Error parsing the X-Amz-Credential parameter');
  const scopeRefusal = credentialRefusal(credential, options, 'X-Amz-Credential', malformedQuery);
  if (scopeRefusal) return scopeRefusal;
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined)
    return malformedQuery("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (amzDate.slice(0, 8) !== credential.date) {
    return malformedQuery(
      `Error parsing the X-Amz-Credential parameter; the date '${credential.date}' does not match X-Amz-Date`,
    );
  }
  const lifetime = /^\d+$/.test(expires) ? Number(expires) : Number.NaN;
  if (!Number.isSafeInteger(lifetime)) return malformedQuery('X-Amz-Expires should be a number');
  if (lifetime > MAX_PRESIGNED_EXPIRES_IN_SECONDS) {
    return malformedQuery('X-Amz-Expires must be less than a week (in seconds) that is; 604800 seconds');
  }
  if (options.now > signedAt + lifetime * 1000) {
    return {
      status: 403,
      code: 'AccessDenied',
      message: 'Request has expired',
      details: {
        'X-Amz-Expires': expires,
        Expires: new Date(signedAt + lifetime * 1000).toISOString(),
        ServerTime: new Date(options.now).toISOString(),
      },
    };
  }
  const headerNames = signedHeaders.split(';');
  if (!headerNames.includes('host')) {
    return malformedQuery('X-Amz-SignedHeaders must include host');
  }
  let expected: ReturnType<typeof querySignature>;
  try {
    expected = querySignature(
      { method: request.method, path, query, headers: request.headers },
      { secretAccessKey: options.keys.secretAccessKey, credential, amzDate, signedHeaders: headerNames },
    );
  } catch {
    return malformedQuery('the path or query is not valid percent-encoding');
  }
  if (!signaturesMatch(expected.signature, provided)) {
    return signatureMismatch(
      credential.accessKeyId,
      provided,
      expected.stringToSign,
      expected.canonicalRequest,
    );
  }
  return undefined;
}

/** The field of a POST form, by lower-case name (S3 reads form field names case-insensitively). */
export type PostFields = ReadonlyMap<string, { readonly name: string; readonly value: string }>;

/** What a POST policy lets the form store. */
export interface PostGrant {
  readonly key: string;
  readonly minSize: number;
  readonly maxSize: number;
}

type PolicyCondition =
  | {
      readonly kind: 'eq' | 'starts-with';
      readonly field: string;
      readonly value: string;
      readonly text: string;
    }
  | { readonly kind: 'content-length-range'; readonly min: number; readonly max: number };

/**
 * Checks a browser POST form (every field before its file) as S3 does: SigV4 fields naming the local
 * key, the signature of the base64 policy under the day's signing key, a policy not expired, every
 * `eq` and `starts-with` condition met, and no field the policy does not name. The file's size is
 * checked against the grant's range once it is read ({@link sizeRefusal}).
 */
export function checkPostForm(
  fields: PostFields,
  options: {
    readonly bucket: string;
    readonly region: string;
    readonly keys: S3Keys;
    readonly now: number;
    /** The largest object the store takes, when the policy names no larger limit. */
    readonly maxObjectSize: number;
  },
): { readonly refusal: S3Refusal } | { readonly grant: PostGrant } {
  const field = (name: string) => fields.get(name)?.value;
  const policy = field('policy');
  // Without a policy the upload is anonymous, and a private bucket takes none.
  if (policy === undefined)
    return { refusal: { status: 403, code: 'AccessDenied', message: 'Access Denied' } };
  for (const required of ['key', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature']) {
    if (field(required) === undefined) {
      return {
        refusal: invalidArgument(
          `Bucket POST must contain a field named '${required}'.  If it is specified, please check the order of the fields.`,
          required,
        ),
      };
    }
  }
  if (field('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') {
    return {
      refusal: invalidArgument(
        'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
        'x-amz-algorithm',
        field('x-amz-algorithm'),
      ),
    };
  }
  const credential = parseCredential(field('x-amz-credential') as string);
  if (!credential) {
    return {
      refusal: invalidArgument(
        'Error parsing the X-Amz-Credential parameter',
        'x-amz-credential',
        field('x-amz-credential'),
      ),
    };
  }
  const scopeRefusal = credentialRefusal(credential, options, 'x-amz-credential', (message) =>
    invalidArgument(message, 'x-amz-credential', field('x-amz-credential')),
  );
  if (scopeRefusal) return { refusal: scopeRefusal };
  const provided = field('x-amz-signature') as string;
  const expected = sign(signingKey(options.keys.secretAccessKey, credential), policy);
  if (!signaturesMatch(expected, provided)) {
    return { refusal: signatureMismatch(credential.accessKeyId, provided, policy) };
  }

  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(policy, 'base64').toString('utf8'));
  } catch {
    return { refusal: invalidPolicy('Invalid Policy: Invalid JSON.') };
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { refusal: invalidPolicy('Invalid Policy: Invalid JSON.') };
  }
  const { expiration, conditions } = document as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string')
    return { refusal: invalidPolicy('Invalid Policy: Policy missing expiration.') };
  const expiresAt = Date.parse(expiration);
  if (Number.isNaN(expiresAt)) {
    return { refusal: invalidPolicy(`Invalid Policy: Invalid 'expiration' value: '${expiration}'`) };
  }
  if (!Array.isArray(conditions))
    return { refusal: invalidPolicy('Invalid Policy: Policy missing conditions.') };
  const parsed: PolicyCondition[] = [];
  for (const condition of conditions) {
    const one = parseCondition(condition);
    if (typeof one === 'string') return { refusal: invalidPolicy(`Invalid Policy: ${one}`) };
    parsed.push(one);
  }
  if (expiresAt <= options.now) return { refusal: policyDenied('Policy expired.') };

  let minSize = 0;
  let maxSize = options.maxObjectSize;
  const named = new Set<string>();
  for (const condition of parsed) {
    if (condition.kind === 'content-length-range') {
      minSize = Math.max(minSize, condition.min);
      maxSize = Math.min(maxSize, condition.max);
      continue;
    }
    named.add(condition.field);
    const actual = condition.field === 'bucket' ? options.bucket : (field(condition.field) ?? '');
    if (!conditionHolds(condition, actual)) {
      return { refusal: policyDenied(`Policy Condition failed: ${condition.text}`) };
    }
  }
  const extra = [...fields.values()]
    .filter(({ name }) => {
      const lower = name.toLowerCase();
      const exempt = ['file', 'policy', 'x-amz-signature'].includes(lower) || lower.startsWith('x-ignore-');
      return !exempt && !named.has(lower);
    })
    .map(({ name }) => name);
  if (extra.length > 0) return { refusal: policyDenied(`Extra input fields: ${extra.join(', ')}`) };
  return { grant: { key: field('key') as string, minSize, maxSize } };
}

/** S3's answer to a file outside the policy's `content-length-range`, or undefined within it. */
export function sizeRefusal(grant: PostGrant, size: number): S3Refusal | undefined {
  if (size > grant.maxSize) {
    return {
      status: 400,
      code: 'EntityTooLarge',
      message: 'Your proposed upload exceeds the maximum allowed size',
      details: { ProposedSize: size, MaxSizeAllowed: grant.maxSize },
    };
  }
  if (size < grant.minSize) {
    return {
      status: 400,
      code: 'EntityTooSmall',
      message: 'Your proposed upload is smaller than the minimum allowed size',
      details: { ProposedSize: size, MinSizeAllowed: grant.minSize },
    };
  }
  return undefined;
}

function parseCondition(condition: unknown): PolicyCondition | string {
  if (Array.isArray(condition)) {
    const [operator, subject, value] = condition as unknown[];
    const op = typeof operator === 'string' ? operator.toLowerCase() : '';
    if (op === 'content-length-range' && condition.length === 3) {
      const min = Number(subject);
      const max = Number(value);
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min) {
        return `Invalid content-length-range: ${JSON.stringify(condition)}`;
      }
      return { kind: 'content-length-range', min, max };
    }
    if ((op === 'eq' || op === 'starts-with') && condition.length === 3) {
      if (typeof subject !== 'string' || !subject.startsWith('$') || typeof value !== 'string') {
        return `Invalid Condition: ${JSON.stringify(condition)}`;
      }
      return {
        kind: op,
        field: subject.slice(1).toLowerCase(),
        value,
        text: `["${op}", "${subject}", "${value}"]`,
      };
    }
    return `Invalid Condition: ${JSON.stringify(condition)}`;
  }
  if (typeof condition === 'object' && condition !== null) {
    const entries = Object.entries(condition);
    const [name, value] = entries[0] ?? [];
    if (entries.length !== 1 || typeof name !== 'string' || typeof value !== 'string') {
      return `Invalid Simple-Condition: ${JSON.stringify(condition)}`;
    }
    return { kind: 'eq', field: name.toLowerCase(), value, text: `["eq", "$${name}", "${value}"]` };
  }
  return `Invalid Condition: ${JSON.stringify(condition)}`;
}

function conditionHolds(
  condition: Extract<PolicyCondition, { kind: 'eq' | 'starts-with' }>,
  actual: string,
): boolean {
  if (condition.kind === 'eq') return actual === condition.value;
  // A Content-Type may list several types; each must start with the prefix.
  if (condition.field === 'content-type') {
    return actual.split(',').every((type) => type.trim().startsWith(condition.value));
  }
  return actual.startsWith(condition.value);
}

function credentialRefusal(
  credential: Credential,
  options: { readonly region: string; readonly keys: S3Keys; readonly now: number },
  parameter: string,
  malformed: (message: string) => S3Refusal,
): S3Refusal | undefined {
  if (credential.accessKeyId !== options.keys.accessKeyId) {
    return {
      status: 403,
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
      details: { AWSAccessKeyId: credential.accessKeyId },
    };
  }
  if (credential.region !== options.region) {
    return malformed(
      `Error parsing the ${parameter} parameter; the region '${credential.region}' is wrong; expecting '${options.region}'`,
    );
  }
  if (credential.service !== 's3') {
    return malformed(
      `Error parsing the ${parameter} parameter; incorrect service '${credential.service}'. This endpoint belongs to 's3'.`,
    );
  }
  return undefined;
}

function signatureMismatch(
  accessKeyId: string,
  provided: string,
  stringToSign: string,
  canonicalRequest?: string,
): S3Refusal {
  return {
    status: 403,
    code: 'SignatureDoesNotMatch',
    message:
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    details: {
      AWSAccessKeyId: accessKeyId,
      StringToSign: stringToSign,
      SignatureProvided: provided,
      ...(canonicalRequest !== undefined ? { CanonicalRequest: canonicalRequest } : {}),
    },
  };
}

function malformedQuery(message: string): S3Refusal {
  return { status: 400, code: 'AuthorizationQueryParametersError', message };
}

function invalidArgument(message: string, name: string, value?: string): S3Refusal {
  return {
    status: 400,
    code: 'InvalidArgument',
    message,
    details: { ArgumentName: name, ...(value !== undefined ? { ArgumentValue: value } : {}) },
  };
}

function invalidPolicy(message: string): S3Refusal {
  return { status: 400, code: 'InvalidPolicyDocument', message };
}

function policyDenied(reason: string): S3Refusal {
  return { status: 403, code: 'AccessDenied', message: `Invalid according to Policy: ${reason}` };
}

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
