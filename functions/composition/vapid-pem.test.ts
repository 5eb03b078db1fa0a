import { createECDH, createPrivateKey, randomBytes } from 'node:crypto';
import asn1 from 'asn1.js';
import { describe, expect, it } from 'vitest';
import { define } from './vapid-pem';

/** The builder `asn1.js` calls a definition with (untyped there). */
interface Builder {
  seq(): { obj(...fields: unknown[]): void };
  key(name: string): {
    int(): unknown;
    octstr(): unknown;
    explicit(tag: number): { objid(): { optional(): unknown }; bitstr(): { optional(): unknown } };
  };
}

/** `web-push`'s own definition (src/vapid-helper.js), with the real `asn1.js`. */
const Real = asn1.define('ECPrivateKey', function (this: Builder) {
  this.seq().obj(
    this.key('version').int(),
    this.key('privateKey').octstr(),
    this.key('parameters').explicit(0).objid().optional(),
    this.key('publicKey').explicit(1).bitstr().optional(),
  );
});
const CURVE = [1, 2, 840, 10045, 3, 1, 7];

describe('the VAPID key PEM written without asn1.js', () => {
  it('is what asn1.js writes for web-push, for keys of every shape', () => {
    for (let n = 0; n < 20; n += 1) {
      const privateKey = createECDH('prime256v1');
      privateKey.generateKeys();
      const value = { version: 1, privateKey: privateKey.getPrivateKey(), parameters: CURVE };
      const options = { label: 'EC PRIVATE KEY' };
      const ours = define('ECPrivateKey').encode(value, 'pem', options);
      const real = Real.encode(value, 'pem', options);
      // Node adds the public key (optional in SEC 1); both name the same private key.
      const d = (pem: string) => createPrivateKey(pem).export({ format: 'jwk' }).d;
      expect(d(ours)).toBe(d(real));
      expect(ours).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n[\s\S]+\n-----END EC PRIVATE KEY-----$/);
    }
  });

  it('refuses anything but web-push’s one structure', () => {
    const value = { version: 1, privateKey: randomBytes(32), parameters: CURVE };
    expect(() => define('Certificate').encode(value, 'pem', { label: 'EC PRIVATE KEY' })).toThrow();
    expect(() => define('ECPrivateKey').encode(value, 'der', { label: 'EC PRIVATE KEY' })).toThrow();
    expect(() =>
      define('ECPrivateKey').encode({ ...value, parameters: [1, 3, 132, 0, 34] }, 'pem', {
        label: 'EC PRIVATE KEY',
      }),
    ).toThrow();
  });
});
