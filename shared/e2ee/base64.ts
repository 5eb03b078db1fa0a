/** Base64 for bytes, in browsers and Node alike (no `Buffer`). */

const CHUNK = 0x8000;

/** @example toBase64(new Uint8Array([104, 105])) // 'aGk=' */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** Throws a `DOMException` (`InvalidCharacterError`) on anything that is not base64. */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
