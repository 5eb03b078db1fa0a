/** The part of `asn1.js` (no types of its own) that `vapid-pem.test.ts` compares against. */
declare module 'asn1.js' {
  interface Encoder {
    encode(value: unknown, format: 'pem' | 'der', options?: { label?: string }): string;
  }
  const asn1: { define(name: string, body: (this: never) => void): Encoder };
  export default asn1;
}
