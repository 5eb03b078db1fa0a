import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityViolations,
  DESKTOP,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
  signInInBrowser,
  signUpInBrowser,
} from '../support/browser';
import { PASSWORD } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Alice is signed in on her laptop and her phone. She signs out everywhere on the laptop: the phone, whose
 * socket the server closes and whose token no longer works, lands on the sign-in screen saying why,
 * instead of reconnecting in a loop.
 */
describe('the web client in Chromium: sign out everywhere', () => {
  let stack: TestStack;
  let browser: Browser;
  let laptop: Awaited<ReturnType<typeof openPage>>;
  let phone: Awaited<ReturnType<typeof openPage>>;
  const email = `alice.${randomUUID().slice(0, 6)}@example.com`;

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    laptop = await openPage(browser, stack, DESKTOP);
    await signUpInBrowser(laptop.page, stack, email, PASSWORD);
    phone = await openPage(browser, stack, PHONE);
    await signInInBrowser(phone.page, email, PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('signs the other browser out at once, with a notice, and the laptop too', async () => {
    await laptop.page.getByRole('button', { name: 'Settings' }).click();
    await screenshot(laptop.page, 'sign-out-settings-desktop');
    await laptop.page.getByRole('button', { name: 'Sign out everywhere' }).click();
    const dialog = laptop.page.getByRole('dialog', { name: 'Sign out on every browser and app?' });
    // It says which: both browsers, this one named as such.
    const listed = dialog.getByRole('listitem');
    await expect.poll(() => listed.count(), { timeout: 30_000 }).toBe(2);
    expect(await listed.filter({ hasText: '(this browser)' }).count()).toBe(1);
    await screenshot(laptop.page, 'sign-out-everywhere-dialog-desktop');
    await laptop.page.setViewportSize(PHONE);
    await screenshot(laptop.page, 'sign-out-everywhere-dialog-phone');
    await laptop.page.setViewportSize(DESKTOP);
    expect(await accessibilityViolations(laptop.page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Sign out everywhere' }).click();

    await laptop.page.getByRole('button', { name: 'Sign in', exact: true }).waitFor({ timeout: 30_000 });
    await phone.page.getByText('You were signed out everywhere').waitFor({ timeout: 30_000 });
    await screenshot(phone.page, 'sign-out-notice-phone');
    await screenshot(laptop.page, 'sign-out-done-desktop');

    expect(laptop.requests).toContain('POST /me/sign-out');
    expect(await phone.page.evaluate(() => localStorage.getItem('parley.session'))).toBeNull();
    // The refused refresh (400) and handshake (401) show in the console; no script failed.
    expect(phone.problems.filter((problem) => problem.startsWith('pageerror'))).toEqual([]);
  });

  it('lets the user sign in again on the signed-out browser, after saying a wrong password is wrong', async () => {
    await phone.page.getByLabel('Email').fill(email);
    await phone.page.getByLabel('Password').fill(`${PASSWORD}x`);
    await phone.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const alert = phone.page.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 30_000 }).toContain('Wrong email or password.');
    // Not the sign-up form's password rules: the password was not weak, it was not theirs.
    expect(await alert.textContent()).not.toContain('stronger password');
    await screenshot(phone.page, 'sign-in-wrong-password-phone');

    await signInInBrowser(phone.page, email, PASSWORD);

    await expect(phone.page.getByRole('navigation', { name: 'Conversations' }).isVisible()).resolves.toBe(
      true,
    );
  });
});
