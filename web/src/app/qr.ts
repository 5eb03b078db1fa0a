/**
 * A QR code as one SVG path, so it renders under the strict CSP (no inline style, no data: image) and
 * scales crisply. The encoder (`qrcode-generator`, 11 KB gzip) is imported on first use: only someone who
 * opens a safety number downloads it.
 */

/** A QR code's dark modules as an SVG path over a `size` × `size` grid, quiet zone included. */
export interface QrPath {
  readonly size: number;
  readonly path: string;
}

/** Modules of white border a reader needs around the code (ISO/IEC 18004 asks for four). */
const QUIET_ZONE_IN_MODULES = 4;

/**
 * The QR code of a safety number: its 60 digits in numeric mode (version 2, 25 × 25 modules, with error
 * correction level M), which any camera app reads back as the digits.
 *
 * @example
 * const { size, path } = await safetyNumberQr('12345 67890 …');
 */
export async function safetyNumberQr(safetyNumber: string): Promise<QrPath> {
  const digits = safetyNumber.replace(/\D/g, '');
  const { default: qrcode } = await import('qrcode-generator');
  const code = qrcode(0, 'M');
  code.addData(digits, 'Numeric');
  code.make();
  const count = code.getModuleCount();
  let path = '';
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (code.isDark(row, col)) {
        path += `M${col + QUIET_ZONE_IN_MODULES} ${row + QUIET_ZONE_IN_MODULES}h1v1h-1z`;
      }
    }
  }
  return { size: count + 2 * QUIET_ZONE_IN_MODULES, path };
}
