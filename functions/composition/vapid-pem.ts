/**
 * Stands in for `asn1.js` in function bundles (an esbuild alias, `infra/bundling.ts`). The `web-push`
 * library uses it for one thing: to wrap a VAPID private key (32 bytes of P-256) as an `EC PRIVATE KEY`
 * PEM (SEC 1) before signing the VAPID token. Node's crypto writes that same PEM, so the general ASN.1
 * library and its big-number code (about 20 KiB gzip) stay out of the push sender. A test checks that
 * both write the same PEM. Unbundled code (tests, tools) keeps the real module.
 */
import { createECDH, createPrivateKey } from 'node:crypto';

/** The P-256 curve's object identifier, the only one `web-push` names. */
const PRIME256V1 = '1.2.840.10045.3.1.7';

interface EcPrivateKey {
  readonly version: number;
  readonly privateKey: Uint8Array;
  readonly parameters: readonly number[];
}

/** What `asn1.define('ECPrivateKey', …)` gives `web-push`: an encoder of its one structure, as PEM. */
export function define(name: string) {
  return {
    encode(value: EcPrivateKey, format: string, options: { label?: string } = {}): string {
      if (name !== 'ECPrivateKey' || format !== 'pem' || options.label !== 'EC PRIVATE KEY') {
        throw new Error(`Only the EC private key PEM of web-push is written here, not ${name} as ${format}`);
      }
      if (value.version !== 1 || value.parameters.join('.') !== PRIME256V1) {
        throw new Error('Only version 1 P-256 private keys are written here');
      }
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(Buffer.from(value.privateKey));
      const point = ecdh.getPublicKey();
      const key = createPrivateKey({
        key: {
          kty: 'EC',
          crv: 'P-256',
          d: Buffer.from(value.privateKey).toString('base64url'),
          x: point.subarray(1, 33).toString('base64url'),
          y: point.subarray(33, 65).toString('base64url'),
        },
        format: 'jwk',
      });
      return String(key.export({ type: 'sec1', format: 'pem' })).trim();
    },
  };
}

export default { define };
