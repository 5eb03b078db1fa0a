import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor, befriend } from '../support/api';
import {
  accessibilityViolations,
  DESKTOP,
  explained,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
  signInInBrowser,
} from '../support/browser';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

type OpenPage = Awaited<ReturnType<typeof openPage>>;

const SAFETY_NUMBER = /^(\d{5} ){11}\d{5}$/;

/**
 * Verifying a contact where people look for it (the chat's header), device names people recognise, and
 * signing out of a shared computer without leaving anything behind. Alice is at desktop width, Bob on his
 * phone; Bob later signs in on a laptop too.
 */
describe('the web client in Chromium: safety numbers, device names and signing out', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Persona;
  let bob: Persona;
  let alicePage: OpenPage;
  let bobPage: OpenPage;
  let bobLaptop: OpenPage;

  const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });
  const conversations = (page: Page) => page.getByRole('navigation', { name: 'Conversations' });
  const header = (page: Page) => page.locator('.chat-header h2');
  const dialog = (page: Page) => page.getByRole('dialog', { name: 'Verify safety number' });
  const signOutDialog = (page: Page) => page.getByRole('dialog', { name: 'Sign out of Parley?' });
  const violations = async (page: Page, screen: string) =>
    (await accessibilityViolations(page)).map((v) => `${screen}: ${v}`);
  const openChat = async (page: Page, name: string) => {
    await conversations(page)
      .getByRole('button', { name: new RegExp(name) })
      .click({ timeout: 30_000 });
    await messages(page).waitFor();
  };
  /** The number the open dialog shows, as 12 groups of 5 digits. */
  const numberIn = async (page: Page) =>
    ((await dialog(page).locator('.verify-number').textContent({ timeout: 30_000 })) ?? '')
      .replace(/\s+/g, ' ')
      .trim();
  const openVerify = async (page: Page, name: string) => {
    await page.getByRole('button', { name: `Verify safety number with ${name}` }).click();
    await dialog(page)
      .getByRole('img', { name: /QR code/ })
      .waitFor({ timeout: 30_000 });
  };
  const deviceIdOf = (page: Page, userId: string) =>
    page.evaluate((id) => localStorage.getItem(`parley.device.${id}`), userId);
  const appKeys = (page: Page) =>
    page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('parley')));
  const databases = (page: Page) =>
    page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? ''));
  const devicesOf = async (persona: Persona) =>
    (await apiFor(stack, persona).listDevices({ params: { userId: persona.userId } })).items;
  const send = async (page: Page, text: string) => {
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill(text);
    await composer.press('Enter');
    await messages(page).locator('.message:not(.pending)').getByText(text).waitFor({ timeout: 30_000 });
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
    await send(alicePage.page, 'Hello before anything changes');
    await openChat(bobPage.page, alice.username);
    await messages(bobPage.page).getByText('Hello before anything changes').waitFor({ timeout: 30_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('opens the safety number from the chat header: 12 groups of 5 digits and a QR code, the same on both sides', async () => {
    await openVerify(alicePage.page, bob.username);
    const number = await numberIn(alicePage.page);
    expect(number).toMatch(SAFETY_NUMBER);
    // The QR code is drawn (one SVG path of many modules), not an image from elsewhere.
    const modules = await dialog(alicePage.page)
      .locator('svg.qr path')
      .evaluate((path) => (path.getAttribute('d') ?? '').split('M').length - 1);
    expect(modules).toBeGreaterThan(100);
    expect(await dialog(alicePage.page).getByRole('switch', { name: 'Mark as verified' }).isChecked()).toBe(
      false,
    );
    await screenshot(alicePage.page, 'verify-panel-desktop');
    expect(await violations(alicePage.page, 'verify panel desktop')).toEqual([]);

    await openVerify(bobPage.page, alice.username);
    expect(await numberIn(bobPage.page)).toBe(number);
    await screenshot(bobPage.page, 'verify-panel-phone');
    expect(await violations(bobPage.page, 'verify panel phone')).toEqual([]);
  }, 120_000);

  it('marks the contact verified: a ✓ Verified mark in the header, kept through a reload and shown in Settings', async () => {
    for (const page of [alicePage.page, bobPage.page]) {
      await dialog(page).getByRole('switch', { name: 'Mark as verified' }).check();
      await dialog(page).getByRole('button', { name: 'Close' }).click();
      await dialog(page).waitFor({ state: 'detached' });
      await header(page).getByText('Verified').waitFor();
    }
    await screenshot(alicePage.page, 'verified-header-desktop');
    await screenshot(bobPage.page, 'verified-header-phone');
    expect(await violations(bobPage.page, 'verified header phone')).toEqual([]);

    await alicePage.page.reload();
    await openChat(alicePage.page, bob.username);
    await header(alicePage.page).getByText('Verified').waitFor({ timeout: 30_000 });

    // Settings lists the number as before, marked, and opens the same panel, with the switch on.
    await alicePage.page.getByRole('button', { name: 'Settings' }).click();
    const friend = alicePage.page
      .getByRole('region', { name: 'Safety numbers' })
      .getByRole('listitem')
      .filter({ hasText: bob.username });
    await friend.getByText('Verified').waitFor({ timeout: 30_000 });
    await friend.getByRole('button', { name: `Verify safety number with ${bob.username}` }).click();
    await dialog(alicePage.page)
      .getByRole('img', { name: /QR code/ })
      .waitFor({ timeout: 30_000 });
    expect(await dialog(alicePage.page).getByRole('switch', { name: 'Mark as verified' }).isChecked()).toBe(
      true,
    );
    await dialog(alicePage.page).getByRole('button', { name: 'Close' }).click();
    await openChat(alicePage.page, bob.username);
  }, 120_000);

  it('clears the verification when Bob adds a device, and says so in the chat until Alice verifies again', async () => {
    const before = await alicePage.page.evaluate(() => Object.keys(localStorage).length);
    expect(before).toBeGreaterThan(0);
    // Bob signs in on a laptop: a new device of his, so his safety number with Alice changes.
    bobLaptop = await openPage(browser, stack, DESKTOP);
    await signInInBrowser(bobLaptop.page, bob.email, bob.password);
    const notice = alicePage.page
      .getByRole('status')
      .filter({ hasText: `Your safety number with ${bob.username} changed. Verify again.` });
    await explained(
      notice.waitFor({ timeout: 30_000 }),
      { alice: alicePage, bob: bobPage, laptop: bobLaptop },
      stack,
    );
    expect(await header(alicePage.page).getByText('Verified').count()).toBe(0);
    await screenshot(alicePage.page, 'safety-number-changed-chat-desktop');
    expect(await violations(alicePage.page, 'changed notice')).toEqual([]);
    // On Bob's phone nothing changed about Alice: still verified.
    expect(await header(bobPage.page).getByText('Verified').isVisible()).toBe(true);

    await notice.getByRole('button', { name: 'Verify' }).click();
    await dialog(alicePage.page)
      .getByRole('img', { name: /QR code/ })
      .waitFor({ timeout: 30_000 });
    const toggle = dialog(alicePage.page).getByRole('switch', { name: 'Mark as verified' });
    expect(await toggle.isChecked()).toBe(false);
    await dialog(alicePage.page)
      .getByText(/devices changed since you verified/)
      .waitFor();
    await toggle.check();
    await dialog(alicePage.page).getByRole('button', { name: 'Close' }).click();
    await header(alicePage.page).getByText('Verified').waitFor();
    expect(await notice.count()).toBe(0);
  }, 120_000);

  it('signs out with "remove": nothing of Bob is left in the browser, the device is revoked, and signing in again makes a new device', async () => {
    const page = bobLaptop.page;
    await openChat(page, alice.username);
    await send(alicePage.page, 'Only for devices that were there');
    await messages(page).getByText('Only for devices that were there').waitFor({ timeout: 30_000 });
    // Settings stores what Bob's laptop compared of Alice.
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByText(/(\d{5} ){11}\d{5}/).waitFor({ timeout: 30_000 });
    const laptopId = await deviceIdOf(page, bob.userId);
    expect(laptopId).toBeTruthy();
    expect(await appKeys(page)).toContain(`parley.compared-devices.${alice.userId}`);
    expect(await databases(page)).toContain(`parley-${bob.userId}`);

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    // Bob has another device (his phone): removing this browser's data is ticked from the start.
    const box = signOutDialog(page).getByRole('checkbox', {
      name: 'Also remove this browser’s messages and keys',
    });
    await expect.poll(() => box.isChecked(), { timeout: 30_000 }).toBe(true);
    await screenshot(page, 'sign-out-dialog-desktop');
    expect(await violations(page, 'sign-out dialog')).toEqual([]);
    await signOutDialog(page).getByRole('button', { name: 'Remove and sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 });
    await page.getByText(/no longer holds your messages or keys/).waitFor();

    expect(await databases(page)).not.toContain(`parley-${bob.userId}`);
    expect(await appKeys(page)).toEqual([]);
    const revoked = (await devicesOf(bob)).find((d) => d.deviceId === laptopId);
    expect(revoked?.revoked).toBe(true);

    await signInInBrowser(page, bob.email, bob.password);
    const newId = await deviceIdOf(page, bob.userId);
    expect(newId).toBeTruthy();
    expect(newId).not.toBe(laptopId);
    await expect
      .poll(async () => (await devicesOf(bob)).find((d) => d.deviceId === newId)?.revoked, {
        timeout: 30_000,
      })
      .toBe(false);
    // The new device cannot read what came before it.
    await openChat(page, alice.username);
    await messages(page)
      .getByText(/before this browser joined/)
      .waitFor({ timeout: 30_000 });
    expect(await messages(page).getByText('Only for devices that were there').count()).toBe(0);
  }, 180_000);

  it('names each browser as people recognise it, renames one, and lists no revoked device', async () => {
    const page = bobPage.page;
    await page.getByRole('button', { name: 'Back to conversations' }).click();
    await page.getByRole('button', { name: 'Settings' }).click();
    const list = page.getByRole('region', { name: 'Your devices' }).getByRole('listitem');
    const active = (await devicesOf(bob)).filter((d) => !d.revoked);
    // Three devices are listed by the server, one of them revoked: Settings shows the two in use.
    expect((await devicesOf(bob)).length).toBe(3);
    await expect.poll(() => list.count(), { timeout: 30_000 }).toBe(2);
    expect(await page.getByRole('region', { name: 'Your devices' }).getByText('revoked').count()).toBe(0);
    for (const device of active) {
      expect(device.name).toMatch(/^(Chrome|Chromium) on Linux$/);
    }

    const phoneId = await deviceIdOf(page, bob.userId);
    // Bob's laptop has its list open while the phone is renamed.
    await bobLaptop.page.getByRole('button', { name: 'Settings' }).click();
    const laptopList = bobLaptop.page.getByRole('region', { name: 'Your devices' }).getByRole('listitem');
    await expect.poll(() => laptopList.count(), { timeout: 30_000 }).toBe(2);
    const mine = list.filter({ hasText: '(this browser)' });
    await mine.getByRole('button', { name: /^Rename/ }).click();
    // The row turns into a form with the name to edit.
    const devicesRegion = page.getByRole('region', { name: 'Your devices' });
    await devicesRegion.getByLabel('Device name').fill('  Bob’s   phone ');
    await devicesRegion.getByRole('button', { name: 'Save' }).click();
    await list.filter({ hasText: 'Bob’s phone' }).filter({ hasText: '(this browser)' }).waitFor();
    expect((await devicesOf(bob)).find((d) => d.deviceId === phoneId)?.name).toBe('Bob’s phone');
    await screenshot(page, 'settings-devices-phone');
    expect(await violations(page, 'settings devices phone')).toEqual([]);

    // The laptop's open list takes the new name from the push, without being opened again.
    await laptopList.filter({ hasText: 'Bob’s phone' }).waitFor({ timeout: 30_000 });
    await screenshot(bobLaptop.page, 'settings-devices-desktop');
    // Another user's device cannot be renamed: it is not theirs (the server answers 404).
    await expect(
      apiFor(stack, alice).renameDevice({ params: { deviceId: phoneId ?? '' }, body: { name: 'Mine' } }),
    ).rejects.toThrow();
    expect((await devicesOf(bob)).find((d) => d.deviceId === phoneId)?.name).toBe('Bob’s phone');
  }, 120_000);

  it('signs out keeping the data: signing in again is the same device, with its history', async () => {
    const page = bobPage.page;
    const phoneId = await deviceIdOf(page, bob.userId);
    await page.getByRole('button', { name: 'Back', exact: true }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    const box = signOutDialog(page).getByRole('checkbox', {
      name: 'Also remove this browser’s messages and keys',
    });
    await expect.poll(() => box.isChecked(), { timeout: 30_000 }).toBe(true);
    await box.uncheck();
    await signOutDialog(page)
      .getByText(/stay in this browser, encrypted/)
      .waitFor();
    await screenshot(page, 'sign-out-dialog-phone');
    expect(await violations(page, 'sign-out dialog phone')).toEqual([]);
    await signOutDialog(page).getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => localStorage.getItem('parley.session'))).toBeNull();
    expect(await databases(page)).toContain(`parley-${bob.userId}`);

    await signInInBrowser(page, bob.email, bob.password);
    expect(await deviceIdOf(page, bob.userId)).toBe(phoneId);
    expect((await devicesOf(bob)).find((d) => d.deviceId === phoneId)?.revoked).toBe(false);
    await openChat(page, alice.username);
    await messages(page).getByText('Hello before anything changes').waitFor({ timeout: 30_000 });
    // What Bob verified of Alice stays too.
    await header(page).getByText('Verified').waitFor();
  }, 120_000);

  it('does not tick "remove" when this browser is the only device, and says the history would be gone', async () => {
    const page = alicePage.page;
    expect((await devicesOf(alice)).filter((d) => !d.revoked)).toHaveLength(1);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    const box = signOutDialog(page).getByRole('checkbox', {
      name: 'Also remove this browser’s messages and keys',
    });
    // Once the device list is in (until then the box cannot be used), it stays unticked.
    await expect.poll(() => box.isEnabled(), { timeout: 30_000 }).toBe(true);
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await signOutDialog(page)
      .getByText(/your only device/)
      .waitFor();
    await screenshot(page, 'sign-out-only-device-desktop');
    await signOutDialog(page).getByRole('button', { name: 'Cancel' }).click();
    await signOutDialog(page).waitFor({ state: 'detached' });
    // Still signed in, with everything.
    expect(await databases(page)).toContain(`parley-${alice.userId}`);
    await conversations(page).waitFor();
    for (const { problems } of [alicePage, bobPage, bobLaptop]) {
      expect(problems.filter((p) => !/status of (400|401|404|409)/.test(p))).toEqual([]);
    }
  }, 120_000);
});
