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
import { eventually } from '../support/table';

const NEW_PASSWORD = 'Another-Horse-77!';

/**
 * Alice is signed in on her laptop and has forgotten her password on her phone. She asks for a code, the
 * local mailbox gets it, and she sets a new password with it: she is in, the laptop is signed out (whoever
 * knew the old password is locked out), and the old password no longer works. Asking for someone who has
 * no account reads exactly the same.
 */
describe('the web client in Chromium: a forgotten password', () => {
  let stack: TestStack;
  let browser: Browser;
  let laptop: Awaited<ReturnType<typeof openPage>>;
  let phone: Awaited<ReturnType<typeof openPage>>;
  const email = `alice.${randomUUID().slice(0, 6)}@example.com`;

  /** The newest code the mailbox got for `to` to reset a password, once there is a new one. */
  const resetCode = (to: string, after: number) =>
    eventually(async () => {
      const mails = stack.mailbox.list().filter((mail) => mail.to === to && mail.reason === 'ForgotPassword');
      return mails.length > after ? mails.at(-1)?.code : undefined;
    }, 10_000);
  const resetCodesSoFar = (to: string) =>
    stack.mailbox.list().filter((mail) => mail.to === to && mail.reason === 'ForgotPassword').length;

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    laptop = await openPage(browser, stack, DESKTOP);
    await signUpInBrowser(laptop.page, stack, email, PASSWORD);
    phone = await openPage(browser, stack, PHONE);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('answers an email without an account as it answers one with, and sends no code', async () => {
    const stranger = `nobody.${randomUUID().slice(0, 6)}@example.com`;
    const mailsBefore = stack.mailbox.list().length;
    await phone.page.getByRole('button', { name: 'Forgot your password?' }).click();
    await phone.page.getByLabel('Email').fill(stranger);
    await phone.page.getByRole('button', { name: 'Send code' }).click();

    const status = phone.page.getByRole('status');
    await status.getByText(`If an account uses ${stranger}, we sent it a code.`).waitFor({ timeout: 30_000 });
    await phone.page.getByLabel('Code from the email').waitFor();
    expect(await phone.page.getByRole('alert').count()).toBe(0);
    expect(stack.mailbox.list().length).toBe(mailsBefore);
    await phone.page.getByRole('button', { name: 'Remembered it? Sign in' }).click();
  });

  it('sets a new password with the emailed code, refusing a wrong code and a weak password in words', async () => {
    await phone.page.getByRole('button', { name: 'Forgot your password?' }).click();
    await screenshot(phone.page, 'forgot-password-phone');
    expect(await accessibilityViolations(phone.page)).toEqual([]);
    await phone.page.getByLabel('Email').fill(email);
    const before = resetCodesSoFar(email);
    await phone.page.getByRole('button', { name: 'Send code' }).click();
    await phone.page
      .getByRole('status')
      .getByText(`If an account uses ${email}, we sent it a code.`)
      .waitFor({
        timeout: 30_000,
      });
    const code = await resetCode(email, before);

    // A weak password is said so before anything is sent; a wrong code is said so by the server.
    await phone.page.getByLabel('Code from the email').fill(code);
    await phone.page.getByLabel('New password').fill('only-lowercase-letters');
    await phone.page.getByRole('button', { name: 'Set new password' }).click();
    await phone.page
      .getByRole('alert')
      .getByText(/Choose a stronger password/)
      .waitFor();
    const wrong = code === '000000' ? '111111' : '000000';
    await phone.page.getByLabel('Code from the email').fill(wrong);
    await phone.page.getByLabel('New password').fill(NEW_PASSWORD);
    await phone.page.getByRole('button', { name: 'Set new password' }).click();
    await phone.page.getByRole('alert').getByText('That code is not right.', { exact: false }).waitFor({
      timeout: 30_000,
    });
    // What she typed is still there.
    expect(await phone.page.getByLabel('New password').inputValue()).toBe(NEW_PASSWORD);
    await screenshot(phone.page, 'reset-password-wrong-code-phone');
    expect(await accessibilityViolations(phone.page)).toEqual([]);

    await phone.page.getByLabel('Code from the email').fill(code);
    await phone.page.getByRole('button', { name: 'Set new password' }).click();

    await phone.page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 60_000 });
    expect(phone.requests).toContain('POST /me/sign-out');
  });

  it('signs every other session out, and the old password no longer works', async () => {
    await laptop.page.getByText('You were signed out everywhere').waitFor({ timeout: 30_000 });
    await screenshot(laptop.page, 'reset-password-signed-out-desktop');

    await laptop.page.getByLabel('Email').fill(email);
    await laptop.page.getByLabel('Password').fill(PASSWORD);
    await laptop.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await laptop.page.getByRole('alert').getByText('Wrong email or password.').waitFor({ timeout: 30_000 });

    await signInInBrowser(laptop.page, email, NEW_PASSWORD);
    // The phone's new session is the one that survived the sign-out it asked for.
    expect(await phone.page.getByRole('navigation', { name: 'Conversations' }).isVisible()).toBe(true);
  });
});
