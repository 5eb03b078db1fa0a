/**
 * The bytes of `parts`, one after another, in a new array (in browsers and Node alike: no `Buffer`).
 *
 * @example
 * concatBytes(Uint8Array.of(1), Uint8Array.of(2, 3)) // Uint8Array [1, 2, 3]
 */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
