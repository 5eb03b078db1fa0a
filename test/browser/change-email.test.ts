import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor } from '../support/api';
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
import { PASSWORD, type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually } from '../support/table';

/**
 * Alice changes her email in Settings on her phone: a code goes to the new address, she types a wrong one
 * first, then the right one. Her session signs in with the new email from then on; after signing out, the
 * old email no longer signs in and the new one does. Bob finds her by the new email only.
 */
describe('the web client in Chromium: changing the email', () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  let bob: Persona;
  const suffix = randomUUID().slice(0, 6);
  const oldEmail = `alice.${suffix}@example.com`;
  const newEmail = `alice.${suffix}@example.org`;

  const list = () => page.getByRole('navigation', { name: 'Conversations' });
  const form = () => page.locator('.change-email');
  const openSettings = async () => {
    await list().getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Email', exact: true }).waitFor();
  };
  const violations = async (screen: string) =>
    (await accessibilityViolations(page)).map((v) => `${screen}: ${v}`);
  /** Screenshots at phone width (where the test runs) and desktop width, and what axe finds. */
  const both = async (name: string) => {
    await screenshot(page, `${name}-phone`);
    const found = await violations(name);
    await page.setViewportSize(DESKTOP);
    await screenshot(page, `${name}-desktop`);
    await page.setViewportSize(PHONE);
    return found;
  };
  const mailsTo = (to: string) => stack.mailbox.list().filter((mail) => mail.to === to);
  const foundByBob = async (email: string) =>
    (await apiFor(stack, bob).findUsers({ query: { email } })).items.map((user) => user.username);

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    ({ page } = await openPage(browser, stack, PHONE));
    await signUpInBrowser(page, stack, oldEmail, PASSWORD);
    bob = await signUp(stack, 'bob');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('changes the email with the code sent to the new address, a wrong code said in words first', async () => {
    expect(await page.evaluate(() => localStorage.getItem('parley.session'))).toContain(oldEmail);
    await openSettings();
    await form().getByText(`You sign in with ${oldEmail}.`, { exact: false }).waitFor();
    await form().getByRole('button', { name: 'Change email…' }).click();
    const found = await both('change-email');

    // Said before anything is sent, and said by the user pool.
    await form().getByLabel('New email').fill('alice at example');
    await form().getByRole('button', { name: 'Send code' }).click();
    await form().getByRole('alert').getByText('That is not an email address.', { exact: false }).waitFor();
    await form().getByLabel('New email').fill(bob.email);
    await form().getByRole('button', { name: 'Send code' }).click();
    await form()
      .getByRole('alert')
      .getByText('Another account uses that email. Choose another.')
      .waitFor({ timeout: 30_000 });
    expect(mailsTo(bob.email).map((mail) => mail.reason)).toEqual(['SignUp']);

    // Cancel after the code went out keeps the email as it is.
    const abandoned = `alice.${suffix}@example.net`;
    await form().getByLabel('New email').fill(abandoned);
    await form().getByRole('button', { name: 'Send code' }).click();
    await form().getByLabel('Code from the email').waitFor({ timeout: 30_000 });
    await form().getByRole('button', { name: 'Cancel' }).click();
    await form().getByText(`You sign in with ${oldEmail}.`, { exact: false }).waitFor();

    await form().getByRole('button', { name: 'Change email…' }).click();
    await form().getByLabel('New email').fill(newEmail);
    await form().getByRole('button', { name: 'Send code' }).click();
    await form().getByText(`Code sent to ${newEmail}.`, { exact: false }).waitFor({ timeout: 30_000 });
    const first = await stack.mailbox.waitFor(newEmail);
    expect(first.reason).toBe('UpdateUserAttributes');
    expect(mailsTo(oldEmail).map((mail) => mail.reason)).toEqual(['SignUp']);

    await form()
      .getByLabel('Code from the email')
      .fill(first.code === '000000' ? '111111' : '000000');
    await form().getByRole('button', { name: 'Change email', exact: true }).click();
    await form()
      .getByRole('alert')
      .getByText('That code is not right.', { exact: false })
      .waitFor({ timeout: 30_000 });
    found.push(...(await both('change-email-wrong-code')));

    await form().getByRole('button', { name: 'Send a new code' }).click();
    await form()
      .getByText(`We sent a new code to ${newEmail}.`, { exact: false })
      .waitFor({ timeout: 30_000 });
    const second = await eventually(async () =>
      mailsTo(newEmail).find((mail) => mail.reason === 'GetUserAttributeVerificationCode'),
    );
    expect(second.code).not.toBe(first.code);

    await form().getByLabel('Code from the email').fill(second.code);
    await form().getByRole('button', { name: 'Change email', exact: true }).click();
    await form()
      .getByRole('status')
      .getByText(`Your email is now ${newEmail}. Sign in with it from now on.`)
      .waitFor({ timeout: 30_000 });
    await form().getByText(`You sign in with ${newEmail}.`, { exact: false }).waitFor();
    found.push(...(await both('email-changed')));
    expect(found).toEqual([]);

    // This session, and the next visit, sign in with the new email; the server found it too.
    expect(await page.evaluate(() => localStorage.getItem('parley.session'))).toContain(newEmail);
    expect(await Promise.all([foundByBob(newEmail), foundByBob(oldEmail)])).toEqual([
      [expect.any(String)],
      [],
    ]);
    await page.reload();
    await openSettings();
    await form().getByText(`You sign in with ${newEmail}.`, { exact: false }).waitFor({ timeout: 30_000 });
  }, 120_000);

  it('signs in with the new email after signing out, and no longer with the old one', async () => {
    await page.getByRole('button', { name: 'Back', exact: true }).click();
    await list().getByRole('button', { name: 'Sign out' }).click();
    await page
      .getByRole('dialog', { name: 'Sign out of Parley?' })
      .getByRole('button', { name: 'Sign out', exact: true })
      .click();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor({ timeout: 30_000 });

    await page.getByLabel('Email').fill(oldEmail);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').getByText('Wrong email or password.').waitFor({ timeout: 30_000 });

    await signInInBrowser(page, newEmail, PASSWORD);
    await openSettings();
    await form().getByText(`You sign in with ${newEmail}.`, { exact: false }).waitFor();
  }, 90_000);
});
