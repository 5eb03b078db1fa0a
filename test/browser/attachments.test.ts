import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend } from '../support/api';
import {
  accessibilityViolations,
  DESKTOP,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
  signInInBrowser,
} from '../support/browser';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

type OpenPage = Awaited<ReturnType<typeof openPage>>;

/** A small daily allowance, so that a test can reach it. */
const ALLOWANCE = 3_000_000;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A 64 × 40 PNG in two colours, made here so the test needs no fixture file. */
function png(): Buffer {
  // The web client's own favicon would do, but a picture with a known shape checks the sizing.
  const width = 64;
  const height = 40;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const at = y * (width * 3 + 1) + 1 + x * 3;
      raw.set(x < width / 2 ? [40, 86, 216] : [245, 180, 0], at);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Alice and Bob in Chromium: files go by picker, drop and paste, show inline or as cards, open in a
 * viewer, download byte for byte under their names; a voice note is recorded from a fake microphone and
 * played on the other side; a file over the limit or past the day's allowance is refused in words.
 */
describe('the web client in Chromium: attachments', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Persona;
  let bob: Persona;
  let alicePage: OpenPage;
  let bobPage: OpenPage;
  const picture = png();
  const pdf = Buffer.from(`%PDF-1.4\n% a document for Bob ${'x'.repeat(200_000)}\n%%EOF\n`);

  const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });
  /** SHA-256 of what an object URL in the page holds. */
  const hashOfUrl = async (page: Page, url: string) =>
    sha256(
      Buffer.from(
        await page.evaluate(async (u) => [...new Uint8Array(await (await fetch(u)).arrayBuffer())], url),
      ),
    );
  /** Drops files made in the page onto the chat, as a person dragging them from the desktop would. */
  const drop = (page: Page, files: Array<{ name: string; type: string; size?: number; text?: string }>) =>
    page.evaluate((list) => {
      const transfer = new DataTransfer();
      for (const f of list)
        transfer.items.add(new File([f.text ?? new Uint8Array(f.size ?? 0)], f.name, { type: f.type }));
      const target = document.querySelector('section.chat');
      if (!target) throw new Error('No chat open');
      target.dispatchEvent(
        new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }),
      );
      target.dispatchEvent(
        new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
      );
    }, files);
  const violations = async (page: Page, screen: string) =>
    (await accessibilityViolations(page)).map((v) => `${screen}: ${v}`);

  beforeAll(async () => {
    stack = await startTestStack({ caps: { attachmentBytesPerUserPerDay: ALLOWANCE } });
    browser = await launchBrowser({ fakeMicrophone: true });
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    await befriend(stack, alice, bob);
    [alicePage, bobPage] = await Promise.all([
      openPage(browser, stack, DESKTOP),
      openPage(browser, stack, PHONE),
    ]);
    await signInInBrowser(alicePage.page, alice.email, alice.password);
    await signInInBrowser(bobPage.page, bob.email, bob.password);
    // Alice opens the chat with Bob and says hello; Bob opens it from his list.
    await alicePage.page.getByRole('button', { name: /^People/ }).click();
    await alicePage.page
      .getByRole('region', { name: 'Friends' })
      .getByRole('button', { name: 'Message' })
      .click();
    const composer = alicePage.page.getByLabel('Message', { exact: true });
    await composer.fill('Hello, files coming');
    await composer.press('Enter');
    await bobPage.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /alice/ })
      .click({ timeout: 30_000 });
    await messages(bobPage.page).getByText('Hello, files coming').waitFor({ timeout: 30_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('sends a picture from the picker with a caption; Bob sees it inline, opens it full size and it is the same picture', async () => {
    const page = alicePage.page;
    await page
      .locator('input[type=file]')
      .setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: picture });
    await page.getByLabel('Caption for sunset.png').fill('The view from here');
    await screenshot(page, 'attach-tray-desktop');
    expect(await violations(page, 'tray')).toEqual([]);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await messages(page).getByText('The view from here').waitFor({ timeout: 30_000 });

    const shown = messages(bobPage.page).getByRole('img', { name: 'sunset.png' });
    await shown.waitFor({ timeout: 30_000 });
    const src = (await shown.getAttribute('src')) ?? '';
    expect(src).toMatch(/^blob:/);
    expect(await hashOfUrl(bobPage.page, src)).toBe(sha256(picture));
    await messages(bobPage.page).getByText('The view from here').waitFor();
    await screenshot(bobPage.page, 'attach-picture-phone');
    expect(await violations(bobPage.page, 'picture')).toEqual([]);

    await bobPage.page.getByRole('button', { name: /^Photo sunset\.png/ }).click();
    const viewer = bobPage.page.getByRole('dialog', { name: 'sunset.png' });
    await viewer.waitFor();
    expect(await viewer.getByRole('link', { name: 'Save' }).getAttribute('download')).toBe('sunset.png');
    await screenshot(bobPage.page, 'attach-viewer-phone');
    await bobPage.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
  }, 120_000);

  it("edits a picture's caption and reacts to it: the picture stays, the caption changes on both sides", async () => {
    const own = messages(alicePage.page).locator('.message.own', { hasText: 'The view from here' });
    await own.getByRole('button', { name: 'Message actions' }).click();
    await own.getByRole('button', { name: 'Edit' }).click();
    const composer = alicePage.page.getByLabel('Message', { exact: true });
    await composer.fill('The view from the hill');
    await composer.press('Enter');

    const bobs = messages(bobPage.page).locator('.message', { hasText: 'The view from the hill' });
    await bobs.waitFor({ timeout: 30_000 });
    await bobs.getByText('edited').waitFor();
    await bobs.getByRole('img', { name: 'sunset.png' }).waitFor();
    await bobs.getByRole('button', { name: 'Message actions' }).click();
    await bobs.getByRole('button', { name: 'React ❤️' }).click();
    await messages(alicePage.page)
      .locator('.message.own', { hasText: 'The view from the hill' })
      .getByRole('button', { name: /❤️ 1/ })
      .waitFor({ timeout: 30_000 });
  }, 120_000);

  it('sends a dropped document as a card that downloads under its own name, byte for byte', async () => {
    await drop(alicePage.page, [
      { name: 'report.pdf', type: 'application/pdf', text: pdf.toString('latin1') },
    ]);
    await alicePage.page.getByText('report.pdf').first().waitFor();
    await alicePage.page.getByRole('button', { name: 'Send', exact: true }).click();

    const card = messages(bobPage.page).getByRole('button', { name: /^Download report\.pdf/ });
    await card.waitFor({ timeout: 30_000 });
    await screenshot(bobPage.page, 'attach-file-card-phone');
    const [download] = await Promise.all([bobPage.page.waitForEvent('download'), card.click()]);
    expect(download.suggestedFilename()).toBe('report.pdf');
    const path = await download.path();
    expect(sha256(readFileSync(path))).toBe(sha256(pdf));
  }, 120_000);

  it('takes a pasted screenshot into the tray, and sends it', async () => {
    const page = alicePage.page;
    await page.getByLabel('Message', { exact: true }).focus();
    await page.evaluate(
      (bytes) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], 'image.png', { type: 'image/png' }));
        document.activeElement?.dispatchEvent(
          new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
        );
      },
      [...picture],
    );
    await page.getByLabel('Caption for image.png').waitFor();
    // The draft is the single file's caption.
    await page.getByLabel('Message', { exact: true }).fill('Pasted');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await messages(bobPage.page).getByText('Pasted').waitFor({ timeout: 30_000 });
    await messages(bobPage.page).getByRole('img', { name: 'image.png' }).waitFor({ timeout: 30_000 });
  }, 120_000);

  it('records a voice note, shows its length while recording, and Bob plays it', async () => {
    const page = alicePage.page;
    await page.getByRole('button', { name: 'Record a voice note' }).click();
    await page.getByText(/Recording 0:0[1-9]/).waitFor({ timeout: 15_000 });
    await screenshot(page, 'attach-recording-desktop');
    await page.getByRole('button', { name: 'Send voice note' }).click();

    const play = messages(bobPage.page).getByRole('button', { name: 'Play voice note' });
    await play.waitFor({ timeout: 30_000 });
    expect(await play.textContent()).toMatch(/Voice note · 0:0[1-9]/);
    await play.click();
    const audio = messages(bobPage.page).locator('audio');
    await audio.waitFor({ timeout: 30_000 });
    expect(await audio.getAttribute('src')).toMatch(/^blob:/);
    await screenshot(bobPage.page, 'attach-voice-phone');
  }, 120_000);

  it('keeps a file sent offline in the chat as waiting, and sends it when the connection returns', async () => {
    await alicePage.context.setOffline(true);
    await alicePage.page.getByRole('status').filter({ hasText: 'Offline' }).waitFor({ timeout: 30_000 });
    await drop(alicePage.page, [{ name: 'notes.txt', type: 'text/plain', text: 'written on the train' }]);
    await alicePage.page.getByRole('button', { name: 'Send', exact: true }).click();
    const waiting = messages(alicePage.page).locator('.pending', { hasText: 'notes.txt' });
    await waiting.getByText('Waiting to send…').waitFor({ timeout: 30_000 });
    await screenshot(alicePage.page, 'attach-offline-desktop');

    await alicePage.context.setOffline(false);
    await messages(bobPage.page)
      .getByRole('button', { name: /^Download notes\.txt/ })
      .waitFor({ timeout: 60_000 });
    await waiting.waitFor({ state: 'detached', timeout: 30_000 });
  }, 120_000);

  it('says before sending that a picture this browser cannot show goes as a file', async () => {
    await drop(alicePage.page, [{ name: 'photo.heic', type: 'image/heic', size: 1000 }]);
    const tray = alicePage.page.getByRole('list', { name: 'Files to send' });
    await tray.getByText('This browser cannot show it: it goes as a file.').waitFor();
    await tray.getByRole('button', { name: 'Remove photo.heic' }).click();
    await tray.waitFor({ state: 'detached' });
  }, 60_000);

  it('refuses a file over the limit in the tray, before any upload, and says the limit', async () => {
    const page = alicePage.page;
    const before = alicePage.requests.filter((r) => r.endsWith('/attachments')).length;
    await drop(page, [{ name: 'huge.iso', type: 'application/octet-stream', size: 100_000_001 }]);
    const tray = page.getByRole('list', { name: 'Files to send' });
    await tray.getByText('Too large: files up to 100 MB can be sent.').waitFor();
    await screenshot(page, 'attach-too-large-desktop');
    await tray.getByRole('button', { name: 'Remove huge.iso' }).click();
    await tray.waitFor({ state: 'detached' });
    expect(alicePage.requests.filter((r) => r.endsWith('/attachments')).length).toBe(before);
  }, 60_000);

  it("keeps a file past the day's allowance in the chat, marked not sent, with Retry and Delete", async () => {
    const page = alicePage.page;
    await drop(page, [{ name: 'big.bin', type: 'application/octet-stream', size: ALLOWANCE }]);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const refused = messages(page).getByRole('alert').filter({ hasText: 'as many files as a day allows' });
    await refused.waitFor({ timeout: 30_000 });
    await screenshot(page, 'attach-allowance-desktop');
    await refused.getByRole('button', { name: 'Delete' }).click();
    await refused.waitFor({ state: 'detached' });
  }, 60_000);

  it('deletes a file message for both, and its file is no longer served', async () => {
    const page = alicePage.page;
    const own = messages(page).locator('.message.own', { hasText: 'report.pdf' });
    await own.getByRole('button', { name: 'Message actions' }).click();
    await own.getByRole('button', { name: 'Delete' }).click();
    await page
      .getByRole('dialog', { name: 'Delete this message for everyone?' })
      .getByRole('button', { name: 'Delete for everyone' })
      .click();
    await messages(bobPage.page)
      .getByRole('button', { name: /^Download report\.pdf/ })
      .waitFor({ state: 'detached', timeout: 30_000 });
  }, 60_000);
});
