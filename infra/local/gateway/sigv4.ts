import type { IncomingHttpHeaders } from 'node:http';

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
  const date = AMZ_DATE.exec(String(headers['x-amz-date'] ?? ''));
  if (!date) return refuse('IncompleteSignatureException', 'Missing or malformed X-Amz-Date header');
  const [, year, month, day, hour, minute, second] = date.map(Number) as number[];
  const at = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  if (`${date[1]}${date[2]}${date[3]}` !== scopeDate) {
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
