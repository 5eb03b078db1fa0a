/**
 * Browser entry of the attachment benchmark: `attachments.ts` bundles this file for Chromium and calls
 * `runAttachmentCipherBench` through `page.evaluate`; the same scenario runs in Node there.
 */
import { type CipherSamples, measureCipher } from './attachment-cipher-scenario';

declare global {
  var runAttachmentCipherBench: (sizeInBytes: number, runs: number) => Promise<CipherSamples>;
}

globalThis.runAttachmentCipherBench = measureCipher;
