import { describe, expect, it } from 'vitest';
import {
  type Credential,
  MAX_CLOCK_SKEW_IN_MS,
  parseAmzDate,
  parseCredential,
  querySignature,
  signatureRefusal,
} from './sigv4';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const DATE = '20261204T120000Z';
const authorization = (scope = '20261204/eu-west-1/execute-api', signed = 'host;x-amz-date') =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${scope}/aws4_request, SignedHeaders=${signed}, Signature=${'a'.repeat(64)}`;

describe('signatureRefusal', () => {
  it('accepts a request signed for execute-api in this region, with any key', () => {
    expect(
      signatureRefusal({ authorization: authorization(), 'x-amz-date': DATE }, 'eu-west-1', NOW),
    ).toBeUndefined();
  });

  it.each([
    ['no signature', {}, 'MissingAuthenticationTokenException'],
    ['a bearer token', { authorization: 'Bearer abc', 'x-amz-date': DATE }, 'IncompleteSignatureException'],
    [
      'another service',
      { authorization: authorization('20261204/eu-west-1/s3'), 'x-amz-date': DATE },
      'InvalidSignatureException',
    ],
    [
      'another region',
      { authorization: authorization('20261204/us-east-1/execute-api'), 'x-amz-date': DATE },
      'InvalidSignatureException',
    ],
    ['no x-amz-date', { authorization: authorization() }, 'IncompleteSignatureException'],
    [
      'x-amz-date not signed',
      { authorization: authorization(undefined, 'host'), 'x-amz-date': DATE },
      'IncompleteSignatureException',
    ],
    [
      'a scope of another day',
      { authorization: authorization('20261203/eu-west-1/execute-api'), 'x-amz-date': DATE },
      'InvalidSignatureException',
    ],
  ])('refuses %s with 403', (_, headers, errorType) => {
    expect(signatureRefusal(headers, 'eu-west-1', NOW)).toMatchObject({ status: 403, errorType });
  });

  it('refuses a request dated more than five minutes away, either way', () => {
    const headers = { authorization: authorization(), 'x-amz-date': DATE };
    expect(signatureRefusal(headers, 'eu-west-1', NOW + MAX_CLOCK_SKEW_IN_MS)).toBeUndefined();
    expect(signatureRefusal(headers, 'eu-west-1', NOW + MAX_CLOCK_SKEW_IN_MS + 1000)).toMatchObject({
      errorType: 'InvalidSignatureException',
    });
    expect(signatureRefusal(headers, 'eu-west-1', NOW - MAX_CLOCK_SKEW_IN_MS - 1000)).toMatchObject({
      errorType: 'InvalidSignatureException',
    });
  });
});

describe('querySignature', () => {
  // The presigned GET of S3's documentation ("Authenticating Requests: Using Query Parameters").
  const query =
    'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host';
  const sign = (path: string, extraQuery = '') =>
    querySignature(
      {
        method: 'GET',
        path,
        query: `${query}${extraQuery}`,
        headers: { host: 'examplebucket.s3.amazonaws.com' },
      },
      {
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        credential: parseCredential('AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request') as Credential,
        amzDate: '20130524T000000Z',
        signedHeaders: ['host'],
      },
    ).signature;

  it("computes AWS's documented signature, whatever the signature parameter already says", () => {
    const documented = 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    expect(sign('/test.txt')).toBe(documented);
    expect(sign('/test.txt', `&X-Amz-Signature=${'0'.repeat(64)}`)).toBe(documented);
  });

  it('covers the path and every other parameter', () => {
    expect(sign('/test2.txt')).not.toBe(sign('/test.txt'));
    expect(sign('/test.txt', '&x-id=GetObject')).not.toBe(sign('/test.txt'));
  });
});

describe('parseAmzDate', () => {
  it('reads a basic ISO 8601 UTC time and refuses anything else', () => {
    expect(parseAmzDate(DATE)).toBe(NOW);
    expect(parseAmzDate('20261332T120000Z')).toBeUndefined();
    expect(parseAmzDate('20261301T120000Z')).toBeUndefined();
    expect(parseAmzDate('2026-12-04T12:00:00Z')).toBeUndefined();
  });
});
