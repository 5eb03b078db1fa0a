import { randomUUID } from 'node:crypto';
import { InitiateAuthCommand, NotAuthorizedException } from '@aws-sdk/client-cognito-identity-provider';
import type { Browser, Page } from 'playwright-core';
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
import { cognitoClient, PASSWORD, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually } from '../support/table';
import { authenticatorCodeAt, enrolAuthenticator, freshCode } from '../support/totp';

const NEW_PASSWORD = 'Another-Horse-77!';

/**
 * Alice turns on two-step sign-in in Settings on her laptop: she scans the QR code (here: reads the setup
 * key off the screen, as a person typing it would) and confirms a first code. Signing in on her phone then
 * asks for the code after the password. She turns it off again with her password and a code. Carol, who
 * has it on, resets a forgotten password: she gives a code once, and every browser is signed out.
 */
describe('the web client in Chromium: two-step sign-in with an authenticator app', () => {
  let stack: TestStack;
  let browser: Browser;
  let laptop: Awaited<ReturnType<typeof openPage>>;
  let phone: Awaited<ReturnType<typeof openPage>>;
  const email = `alice.${randomUUID().slice(0, 6)}@example.com`;
  let secret = '';
  /** The last period whose code the user pool took for Alice: each is taken once. */
  let lastStep = -1;

  const list = (page: Page) => page.getByRole('navigation', { name: 'Conversations' });
  const openSettings = async (page: Page) => {
    await list(page).getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
  };
  const violations = async (page: Page, screen: string) =>
    (await accessibilityViolations(page)).map((v) => `${screen}: ${v}`);

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

  it('turns it on with the QR code or the key as text, and a first code; a wrong code is said in words', async () => {
    const { page } = laptop;
    await openSettings(page);
    await page.getByRole('button', { name: 'Turn on two-step sign-in…' }).click();
    await page.getByRole('img', { name: 'QR code to add Parley to your authenticator app' }).waitFor();
    secret = ((await page.locator('code.setup-key').textContent()) ?? '').replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(page, 'two-step-set-up-desktop');
    const found = await violations(page, 'set-up');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'two-step-set-up-phone');
    await page.setViewportSize(DESKTOP);

    const wrong = await freshCode(secret, lastStep);
    await page.getByLabel('Code from the app').fill(wrong.code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await page.getByRole('alert').getByText('That code is not right.', { exact: false }).waitFor();

    const right = await freshCode(secret, lastStep);
    await page.getByLabel('Code from the app').fill(right.code);
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await page.getByRole('status').getByText('Two-step sign-in is on.', { exact: false }).waitFor();
    lastStep = right.step;
    await page.getByRole('button', { name: 'Turn off two-step sign-in…' }).waitFor();
    await screenshot(page, 'two-step-on-desktop');
    expect([...found, ...(await violations(page, 'on'))]).toEqual([]);
  });

  it('asks for the code after the password when signing in, and signs in with the app’s code', async () => {
    const { page } = phone;
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'two-step-code-phone');
    const found = await violations(page, 'code');
    await page.setViewportSize(DESKTOP);
    await screenshot(page, 'two-step-code-desktop');
    await page.setViewportSize(PHONE);

    await page.getByLabel('Code from your authenticator app').fill('000000');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').getByText('That code is not right.', { exact: false }).waitFor();
    // What was typed stays; the password need not be typed again.
    expect(await page.getByLabel('Code from your authenticator app').inputValue()).toBe('000000');
    await screenshot(page, 'two-step-wrong-code-phone');

    const right = await freshCode(secret, lastStep);
    await page.getByLabel('Code from your authenticator app').fill(right.code);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await list(page).waitFor({ timeout: 60_000 });
    lastStep = right.step;
    expect(found).toEqual([]);
  });

  it('turns it off only with the password and a code not used before', async () => {
    const { page } = phone;
    await openSettings(page);
    await page.getByRole('button', { name: 'Turn off two-step sign-in…' }).click();
    const form = page.locator('.two-step form');
    const fresh = await freshCode(secret, lastStep);

    await form.getByLabel('Password').fill('Wrong-Horse-41!');
    await form.getByLabel('Code from the app').fill(fresh.code);
    await form.getByRole('button', { name: 'Turn off', exact: true }).click();
    await page.getByRole('alert').getByText('Your password is not right.').waitFor({ timeout: 30_000 });

    // The code that signed this phone in, typed again.
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByLabel('Code from the app').fill(authenticatorCodeAt(secret, lastStep));
    await form.getByRole('button', { name: 'Turn off', exact: true }).click();
    await page.getByRole('alert').getByText('That code was used already.', { exact: false }).waitFor();
    await screenshot(page, 'two-step-turn-off-phone');
    expect(await violations(page, 'turn off')).toEqual([]);

    const right = await freshCode(secret, lastStep);
    await form.getByLabel('Code from the app').fill(right.code);
    await form.getByRole('button', { name: 'Turn off', exact: true }).click();
    await page.getByRole('status').getByText('Two-step sign-in is off.', { exact: false }).waitFor();
    lastStep = right.step;

    // Signing in now takes the password alone.
    const other = await openPage(browser, stack, DESKTOP);
    await signInInBrowser(other.page, email, PASSWORD);
    await other.page.close();
  }, 90_000);

  it('after a reset of a forgotten password, takes a code once and signs every browser out', async () => {
    const carol = await signUp(stack, 'carol');
    const { secret: carolSecret, step } = await enrolAuthenticator(stack, carol);
    const { page } = await openPage(browser, stack, PHONE);
    await page.getByRole('button', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(carol.email);
    await page.getByRole('button', { name: 'Send code' }).click();
    const mail = await eventually(async () =>
      stack.mailbox.list().find((m) => m.to === carol.email && m.reason === 'ForgotPassword'),
    );
    await page.getByLabel('Code from the email').fill(mail.code);
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set new password' }).click();

    await page.getByLabel('Code from your authenticator app').waitFor({ timeout: 30_000 });
    const code = await freshCode(carolSecret, step);
    await page.getByLabel('Code from your authenticator app').fill(code.code);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page
      .getByRole('status')
      .getByText('Your new password is set, and every browser was signed out. Sign in with it.')
      .waitFor({ timeout: 30_000 });
    await screenshot(page, 'two-step-after-reset-phone');
    expect(await violations(page, 'after reset')).toEqual([]);
    // The session she had before is over.
    const client = cognitoClient(stack);
    await expect(
      client.send(
        new InitiateAuthCommand({
          ClientId: stack.endpoints.userPoolClientId,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: carol.refreshToken },
        }),
      ),
    ).rejects.toThrow(NotAuthorizedException);
    client.destroy();
  }, 90_000);

  it('changes the password in Settings with the current one, then signs every browser out', async () => {
    const dave = await signUp(stack, 'dave');
    const [{ page }, other] = [
      await openPage(browser, stack, PHONE),
      await openPage(browser, stack, DESKTOP),
    ];
    await signInInBrowser(page, dave.email, PASSWORD);
    await signInInBrowser(other.page, dave.email, PASSWORD);
    await openSettings(page);
    await page.getByRole('button', { name: 'Change password…' }).click();
    const form = page.locator('form.account-form');

    // Said before anything is sent: too weak; said by the user pool: the current password is wrong.
    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByLabel('New password').fill('weakpassword');
    await form.getByRole('button', { name: 'Change password' }).click();
    await page
      .getByRole('alert')
      .getByText(/Choose a stronger password/)
      .waitFor();
    await form.getByLabel('Current password').fill('Wrong-Horse-41!');
    await form.getByLabel('New password').fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await page
      .getByRole('alert')
      .getByText('Your current password is not right.')
      .waitFor({ timeout: 30_000 });
    await screenshot(page, 'change-password-phone');
    await page.setViewportSize(DESKTOP);
    await form.scrollIntoViewIfNeeded();
    await screenshot(page, 'change-password-desktop');
    await page.setViewportSize(PHONE);
    expect(await violations(page, 'change password')).toEqual([]);

    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await page
      .getByRole('status')
      .getByText('Your password is changed, and every browser was signed out.', { exact: false })
      .waitFor({ timeout: 30_000 });
    // The email is filled in already: only the new password is asked for.
    expect(await page.getByLabel('Email').inputValue()).toBe(dave.email);
    await screenshot(page, 'password-changed-phone');
    await other.page.getByText('You were signed out everywhere').waitFor({ timeout: 30_000 });

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').getByText('Wrong email or password.').waitFor({ timeout: 30_000 });
    await signInInBrowser(page, dave.email, NEW_PASSWORD);
  }, 90_000);
});
