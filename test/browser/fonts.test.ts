import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser';
import { chromiumToLaunch } from '../support/chromium';

/** Widths at 32 px, and whether a glyph has colour, as the browser draws them on a canvas. */
interface Drawn {
  readonly emoji: number;
  readonly cjk: number;
  readonly arabic: number;
  /** U+E000, private use: no font draws it, so it shows the width of a missing glyph. */
  readonly missing: number;
  readonly emojiHasColour: boolean;
}

/**
 * The Chromium the browser tests drive (whichever test/support/chromium.ts picks) has the fonts their
 * screenshots need: messages in them carry emoji, Chinese and Arabic, which would otherwise show as empty
 * boxes or nothing.
 */
describe('the Chromium the browser tests drive', () => {
  let browser: Browser;
  let drawn: Drawn;

  beforeAll(async () => {
    browser = await launchBrowser();
    const page = await browser.newPage();
    drawn = await page.evaluate(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 64;
      const context = canvas.getContext('2d', { willReadFrequently: true });
      if (context === null) throw new Error('no 2D canvas');
      context.font = '32px sans-serif';
      context.textBaseline = 'top';
      context.fillStyle = 'black';
      context.fillText('\u{1F600}', 8, 8);
      const pixels = context.getImageData(0, 0, 64, 64).data;
      let emojiHasColour = false;
      for (let i = 0; i < pixels.length; i += 4) {
        const [red = 0, green = 0, blue = 0] = [pixels[i], pixels[i + 1], pixels[i + 2]];
        if (Math.max(red, green, blue) - Math.min(red, green, blue) > 64) emojiHasColour = true;
      }
      const width = (text: string) => context.measureText(text).width;
      return {
        emoji: width('\u{1F600}'),
        cjk: width('你'),
        arabic: width('م'),
        missing: width('\uE000'),
        emojiHasColour,
      };
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('draws a CJK character one em wide, not as a missing glyph', async () => {
    const { description } = await chromiumToLaunch();
    expect(drawn.cjk, description).not.toBe(drawn.missing);
    expect(drawn.cjk, description).toBeCloseTo(32, 0);
  });

  it('draws an Arabic letter, not as a missing glyph', async () => {
    const { description } = await chromiumToLaunch();
    expect(drawn.arabic, description).toBeGreaterThan(0);
    expect(drawn.arabic, description).not.toBe(drawn.missing);
  });

  it('draws an emoji in colour, not as a missing glyph', async () => {
    const { description } = await chromiumToLaunch();
    expect(drawn.emoji, description).toBeGreaterThan(0);
    expect(drawn.emoji, description).not.toBe(drawn.missing);
    expect(drawn.emojiHasColour, description).toBe(true);
  });
});
