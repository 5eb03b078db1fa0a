/**
 * A QR code as one SVG path, so it renders under the strict CSP (no inline style, no data: image) and
 * scales crisply. The encoder (`qrcode-generator`, 11 KB gzip) is imported on first use: only someone who
 * opens a safety number, or sets up an authenticator app, downloads it.
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
export function safetyNumberQr(safetyNumber: string): Promise<QrPath> {
  return qrOf(safetyNumber.replace(/\D/g, ''), 'Numeric');
}

/**
 * The QR code of a link an app reads, such as an authenticator's `otpauth://` address, in byte mode with
 * error correction level M.
 */
export function linkQr(link: string): Promise<QrPath> {
  return qrOf(link, 'Byte');
}

async function qrOf(data: string, mode: 'Numeric' | 'Byte'): Promise<QrPath> {
  const { default: qrcode } = await import('qrcode-generator');
  const code = qrcode(0, 'M');
  code.addData(data, mode);
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
