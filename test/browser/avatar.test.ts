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

/** A 120 × 80 PNG, left half blue and right half yellow, made here so the test needs no fixture file. */
function png(): Buffer {
  const width = 120;
  const height = 80;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      raw.set(x < width / 2 ? [40, 86, 216] : [245, 180, 0], y * (width * 3 + 1) + 1 + x * 3);
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
 * Alice (desktop) sets a profile picture in Settings; Bob (phone) sees it in his list and the chat header
 * once a message from her brought its key, and initials again once she removes it.
 */
describe('the web client in Chromium: profile pictures', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Persona;
  let bob: Persona;
  let alicePage: OpenPage;
  let bobPage: OpenPage;

  const list = (page: Page) => page.getByRole('navigation', { name: 'Conversations' });
  const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });
  /** Bob's row of his chat with Alice, which her name titles. */
  const aliceRow = (page: Page) => list(page).locator('.conversation-row', { hasText: alice.username });
  /** Alice's row of her chat with Bob. */
  const bobRow = (page: Page) => list(page).locator('.conversation-row', { hasText: bob.username });
  const send = async (page: Page, text: string) => {
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill(text);
    await composer.press('Enter');
  };
  /** The size of the picture an avatar shows, once it has loaded. */
  const pictureSize = (avatar: ReturnType<Page['locator']>) =>
    avatar.locator('img').evaluate(async (img: HTMLImageElement) => {
      await img.decode();
      return { width: img.naturalWidth, height: img.naturalHeight, blob: img.src.startsWith('blob:') };
    });
  const violations = async (page: Page, screen: string) =>
    (await accessibilityViolations(page)).map((v) => `${screen}: ${v}`);
  const openSettings = async (page: Page) => {
    await list(page).getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Your profile' }).waitFor();
  };

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    await befriend(stack, alice, bob);
    [alicePage, bobPage] = await Promise.all([
      openPage(browser, stack, DESKTOP),
      openPage(browser, stack, PHONE),
    ]);
    await signInInBrowser(alicePage.page, alice.email, alice.password);
    await signInInBrowser(bobPage.page, bob.email, bob.password);
    await alicePage.page.getByRole('button', { name: /^People/ }).click();
    await alicePage.page
      .getByRole('region', { name: 'Friends' })
      .getByRole('button', { name: 'Message' })
      .click();
    await send(alicePage.page, 'Hello before any picture');
    await aliceRow(bobPage.page).locator('.conversation').click({ timeout: 30_000 });
    await messages(bobPage.page).getByText('Hello before any picture').waitFor({ timeout: 30_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('refuses a file that is no picture, in words, and changes nothing', async () => {
    const page = alicePage.page;
    await openSettings(page);

    await page
      .getByLabel('Profile picture')
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });

    await page.getByRole('alert').filter({ hasText: 'Choose a picture' }).waitFor();
    expect(await page.locator('.profile-picture .avatar img').count()).toBe(0);
    await page.getByRole('button', { name: 'Add a picture' }).waitFor();
  }, 60_000);

  it('adds a picture in Settings: a 256-pixel square, shown at once in her own avatars', async () => {
    const page = alicePage.page;

    await page
      .getByLabel('Profile picture')
      .setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png() });

    await page.getByRole('status').filter({ hasText: 'Picture saved.' }).waitFor({ timeout: 30_000 });
    expect(await pictureSize(page.locator('.profile-picture .avatar'))).toEqual({
      width: 256,
      height: 256,
      blob: true,
    });
    await page.locator('.sidebar-header .avatar img').waitFor();
    await page.getByRole('button', { name: 'Change picture' }).waitFor();
    await page.getByRole('button', { name: 'Remove picture' }).waitFor();
    await screenshot(page, 'avatar-settings-desktop');
    expect(await violations(page, 'settings with a picture')).toEqual([]);
  }, 60_000);

  it('shows her picture on Bob’s side once her next message brought its key: the chat header and the list', async () => {
    const page = bobPage.page;
    // The profile push came first: without the key, Bob still sees initials.
    expect(await page.locator('.chat-header .avatar img').count()).toBe(0);

    await bobRow(alicePage.page).locator('.conversation').click();
    await send(alicePage.page, 'I have a picture now');
    await messages(page).getByText('I have a picture now').waitFor({ timeout: 30_000 });

    const header = page.locator('.chat-header .avatar');
    await header.locator('img').waitFor({ timeout: 30_000 });
    expect(await pictureSize(header)).toEqual({ width: 256, height: 256, blob: true });
    await screenshot(page, 'avatar-chat-phone');
    expect(await violations(page, 'chat with a picture')).toEqual([]);

    await page.getByRole('button', { name: 'Back to conversations' }).click();
    await aliceRow(page).locator('.avatar img').waitFor();
    await screenshot(page, 'avatar-list-phone');
    expect(await violations(page, 'list with a picture')).toEqual([]);
    await screenshot(alicePage.page, 'avatar-chat-desktop');
  }, 90_000);

  it('removes the picture: Bob sees her initials again', async () => {
    const page = alicePage.page;
    await openSettings(page);

    await page.getByRole('button', { name: 'Remove picture' }).click();

    await page.getByRole('status').filter({ hasText: 'Picture removed.' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('.profile-picture .avatar img').count()).toBe(0);
    await page.getByRole('button', { name: 'Add a picture' }).waitFor();
    await expect
      .poll(() => aliceRow(bobPage.page).locator('.avatar img').count(), { timeout: 30_000 })
      .toBe(0);
    expect((await aliceRow(bobPage.page).locator('.avatar').textContent())?.trim()).toMatch(/^\p{Lu}/u);
    await screenshot(bobPage.page, 'avatar-removed-phone');

    // Bob's own profile on a phone: initials, and the button to add a picture.
    await openSettings(bobPage.page);
    await bobPage.page.getByRole('button', { name: 'Add a picture' }).waitFor();
    await screenshot(bobPage.page, 'avatar-settings-phone');
    expect(await violations(bobPage.page, 'settings on a phone')).toEqual([]);
  }, 60_000);
});
