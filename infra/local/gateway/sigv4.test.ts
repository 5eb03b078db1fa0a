import { describe, expect, it } from 'vitest';
import { MAX_CLOCK_SKEW_IN_MS, signatureRefusal } from './sigv4';

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
