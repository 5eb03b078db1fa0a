import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend } from '../support/api';
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

const SAFETY_NUMBER = /(\d{5} ){11}\d{5}/;

/**
 * What people see when the people and devices around them change: safety numbers kept current when anyone
 * adds a browser (and a warning only about the side that changed), a removed member added back, and a
 * direct chat with someone who is no longer a friend.
 */
describe('the web client in Chromium: devices and members that come and go', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let alicePage: OpenPage;
  let bobPage: OpenPage;
  let carolPage: OpenPage;

  /** The safety number a page's open settings show for a friend, spaces normalized. */
  const numberOn = async (page: Page, friend: string) =>
    (
      await page
        .getByRole('region', { name: 'Safety numbers' })
        .getByRole('listitem')
        .filter({ hasText: friend })
        .getByText(SAFETY_NUMBER)
        .textContent({ timeout: 30_000 })
    )
      ?.replace(/\s+/g, ' ')
      .trim();
  const changedWarning = (page: Page, friend: string) =>
    page.getByRole('alert').filter({ hasText: `safety number with ${friend} changed` });
  const violations = async (page: Page, screen: string) =>
    (await accessibilityViolations(page)).map((v) => `${screen}: ${v}`);

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    [alice, bob, carol] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
    ]);
    await Promise.all([befriend(stack, alice, bob), befriend(stack, alice, carol)]);
    [alicePage, bobPage, carolPage] = await Promise.all([
      openPage(browser, stack, DESKTOP),
      openPage(browser, stack, PHONE),
      openPage(browser, stack, DESKTOP),
    ]);
    for (const [page, persona] of [
      [alicePage, alice],
      [bobPage, bob],
      [carolPage, carol],
    ] as const) {
      await signInInBrowser(page.page, persona.email, persona.password);
    }
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('updates open safety numbers when Alice adds a browser, warning Bob about her but not her about him', async () => {
    for (const { page } of [alicePage, bobPage]) {
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Safety numbers' }).waitFor();
    }
    const before = await numberOn(alicePage.page, bob.username);
    expect(before).toMatch(SAFETY_NUMBER);
    expect(await numberOn(bobPage.page, alice.username)).toBe(before);

    // Alice signs in on a phone: a second device of hers, while both settings screens stay open.
    const phone = await openPage(browser, stack, PHONE);
    await signInInBrowser(phone.page, alice.email, alice.password);
    const pages = { alice: alicePage, bob: bobPage, phone };
    await explained(
      expect.poll(() => numberOn(alicePage.page, bob.username), { timeout: 30_000 }).not.toBe(before),
      pages,
      stack,
    );
    // Both sides show the same new number, without leaving the screen.
    const after = await numberOn(alicePage.page, bob.username);
    await expect.poll(() => numberOn(bobPage.page, alice.username), { timeout: 30_000 }).toBe(after);

    // Bob is told that Alice's devices changed; Alice is not told that Bob's did, which they did not.
    await changedWarning(bobPage.page, alice.username).waitFor({ timeout: 30_000 });
    expect(await changedWarning(alicePage.page, bob.username).count()).toBe(0);
    // Nor when she opens settings again: what she compared of Bob still holds.
    await alicePage.page.getByRole('button', { name: /^People/ }).click();
    await alicePage.page.getByRole('button', { name: 'Settings' }).click();
    expect(await numberOn(alicePage.page, bob.username)).toBe(after);
    expect(await changedWarning(alicePage.page, bob.username).count()).toBe(0);
    // Her new phone shows the same number, and no warning on its first look.
    await phone.page.getByRole('button', { name: 'Settings' }).click();
    expect(await numberOn(phone.page, bob.username)).toBe(after);
    expect(await changedWarning(phone.page, bob.username).count()).toBe(0);

    await screenshot(alicePage.page, 'safety-number-own-device-desktop');
    await screenshot(bobPage.page, 'safety-number-friend-device-phone');
    expect(await violations(alicePage.page, 'settings desktop')).toEqual([]);
    expect(await violations(bobPage.page, 'settings phone')).toEqual([]);

    // Bob compares again: the warning goes, and the number stays.
    await changedWarning(bobPage.page, alice.username).getByRole('button', { name: 'I compared it' }).click();
    await changedWarning(bobPage.page, alice.username).waitFor({ state: 'detached' });
    expect(await numberOn(bobPage.page, alice.username)).toBe(after);
    await phone.context.close();
  }, 150_000);
});
