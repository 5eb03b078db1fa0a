import { describe, expect, it } from 'vitest';
import { safetyNumberQr } from './qr';

const NUMBER = '12345 67890 13579 24680 11223 34455 66778 89900 10293 84756 56473 82910';

/** The dark modules a path draws, as "row,col" in the code's own grid (quiet zone taken off). */
function darkModules(path: string): Set<string> {
  const dark = new Set<string>();
  for (const [, x, y] of path.matchAll(/M(\d+) (\d+)h1v1h-1z/g))
    dark.add(`${Number(y) - 4},${Number(x) - 4}`);
  return dark;
}

describe('safetyNumberQr', () => {
  it('draws a version 2 code with its three finder patterns inside a quiet zone', async () => {
    const { size, path } = await safetyNumberQr(NUMBER);
    const dark = darkModules(path);

    // Version 2 is 25 modules a side; four modules of quiet zone on each side.
    expect(size).toBe(25 + 8);
    for (const [top, left] of [
      [0, 0],
      [0, 18],
      [18, 0],
    ] as const) {
      // A finder pattern: a dark 7 × 7 ring, a light ring inside it, a dark 3 × 3 centre.
      for (let i = 0; i < 7; i++) {
        expect(dark.has(`${top},${left + i}`)).toBe(true);
        expect(dark.has(`${top + 6},${left + i}`)).toBe(true);
      }
      expect(dark.has(`${top + 1},${left + 1}`)).toBe(false);
      expect(dark.has(`${top + 3},${left + 3}`)).toBe(true);
    }
    expect([...dark].every((cell) => cell.split(',').every((n) => Number(n) >= 0 && Number(n) < 25))).toBe(
      true,
    );
  });

  it('encodes the digits alone, so grouping does not change the code, and another number gives another code', async () => {
    const grouped = await safetyNumberQr(NUMBER);
    const plain = await safetyNumberQr(NUMBER.replace(/ /g, ''));
    const other = await safetyNumberQr(NUMBER.replace('12345', '12346'));

    expect(plain).toEqual(grouped);
    expect(other.path).not.toBe(grouped.path);
  });
});
