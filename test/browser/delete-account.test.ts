import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor } from '../support/api';
import {
  accessibilityViolations,
  befriendInBrowser,
  browserStorage,
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
import { enrolAuthenticator, freshCode } from '../support/totp';

/**
 * Alice and Bob chat, each in Chromium. Alice deletes her account in Settings: a wrong password is said in
 * words, the right one deletes it, and her browser shows sign-in with nothing of hers left in it. Bob still
 * reads what she wrote, from "Deleted account", with the line that she deleted her account, and can no
 * longer write to her.
 */
describe('the web client in Chromium: deleting my account', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Awaited<ReturnType<typeof openPage>>;
  let bobPage: Awaited<ReturnType<typeof openPage>>;
  let bob: Persona;
  const run = randomUUID().slice(0, 6);
  const aliceEmail = `alice.${run}@example.com`;
  const fromAlice = `See you at the station at eight ${run}`;

  const list = (page: Page) => page.getByRole('navigation', { name: 'Conversations' });
  const section = () => alice.page.getByRole('region', { name: 'Delete your account' });

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    alice = await openPage(browser, stack, DESKTOP);
    bobPage = await openPage(browser, stack, PHONE);
    await signUpInBrowser(alice.page, stack, aliceEmail, PASSWORD);
    bob = await signUp(stack, 'bob');
    await signInInBrowser(bobPage.page, bob.email, PASSWORD);
    await befriendInBrowser(alice.page, apiFor(stack, bob), aliceEmail);
    await alice.page
      .getByRole('region', { name: 'Friends' })
      .getByRole('button', { name: 'Message' })
      .click();
    const composer = alice.page.getByLabel('Message', { exact: true });
    await composer.fill(fromAlice);
    await composer.press('Enter');
    await list(bobPage.page).getByRole('button', { name: /alice/ }).click({ timeout: 60_000 });
    await bobPage.page
      .getByRole('list', { name: 'Messages' })
      .getByText(fromAlice)
      .waitFor({ timeout: 60_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('deletes it only with her password, and leaves nothing of it in her browser', async () => {
    const { page } = alice;
    await list(page).getByRole('button', { name: 'Settings', exact: true }).click();
    await section().getByRole('button', { name: 'Delete account…' }).click();
    expect(await section().textContent()).toContain('Messages you sent stay with the people who got them');

    await section().getByLabel('Your password, to confirm it is you').fill('Wrong-Horse-41!');
    await section().getByRole('button', { name: 'Delete my account' }).click();
    await section().getByRole('alert').getByText('Your password is not right.').waitFor({ timeout: 30_000 });
    await screenshot(page, 'delete-account-desktop');
    const found = await accessibilityViolations(page);
    await page.setViewportSize(PHONE);
    await section().scrollIntoViewIfNeeded();
    await screenshot(page, 'delete-account-phone');
    await page.setViewportSize(DESKTOP);

    await section().getByLabel('Your password, to confirm it is you').fill(PASSWORD);
    await section().getByRole('button', { name: 'Delete my account' }).click();
    await page
      .getByRole('status')
      .getByText('Your account is deleted', { exact: false })
      .waitFor({ timeout: 60_000 });
    await screenshot(page, 'account-deleted-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'account-deleted-phone');
    await page.setViewportSize(DESKTOP);
    expect([...found, ...(await accessibilityViolations(page))]).toEqual([]);
    // Her keys, history and outbox are gone from this browser, and her words with them.
    expect(await browserStorage(page)).not.toContain(fromAlice);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);

    await page.getByLabel('Email').fill(aliceEmail);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').getByText('Wrong email or password.').waitFor({ timeout: 30_000 });
  }, 120_000);

  it('keeps her words in Bob’s chat, from "Deleted account", closed to new messages', async () => {
    const { page } = bobPage;
    await page.getByText('A member deleted their account').waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { name: 'Deleted account' }).waitFor({ timeout: 30_000 });
    await page.getByRole('list', { name: 'Messages' }).getByText(fromAlice).waitFor();
    await page
      .getByRole('status')
      .getByText('This account was deleted. You can still read your chat, but no longer write to it.')
      .waitFor();
    expect(await page.getByLabel('Message', { exact: true }).count()).toBe(0);
    // Bob's browser takes Alice's devices out of their MLS group: no refusal comes of it.
    await page.getByRole('button', { name: 'Back to conversations' }).click();
    await list(page)
      .getByRole('button', { name: /Deleted account/ })
      .waitFor();
    await list(page)
      .getByRole('button', { name: /Deleted account/ })
      .click();
    expect(await page.getByText('You are not allowed to do that here.').count()).toBe(0);
    await screenshot(page, 'deleted-peer-phone');
    await page.setViewportSize(DESKTOP);
    await screenshot(page, 'deleted-peer-desktop');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.setViewportSize(PHONE);
    expect(await accessibilityViolations(page)).toEqual([]);
  }, 120_000);

  it('asks for the authenticator code after the password when two-step sign-in is on', async () => {
    const carol = await signUp(stack, 'carol');
    const { secret, step } = await enrolAuthenticator(stack, carol);
    const { page } = await openPage(browser, stack, PHONE);
    await page.getByLabel('Email').fill(carol.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const signInCode = await freshCode(secret, step);
    await page.getByLabel('Code from your authenticator app').fill(signInCode.code);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await list(page).getByRole('button', { name: 'Settings', exact: true }).click({ timeout: 60_000 });

    const carols = page.getByRole('region', { name: 'Delete your account' });
    await carols.getByRole('button', { name: 'Delete account…' }).click();
    await carols.getByLabel('Your password, to confirm it is you').fill(PASSWORD);
    await carols.getByRole('button', { name: 'Delete my account' }).click();
    await carols.getByLabel('Code from your authenticator app').waitFor({ timeout: 30_000 });
    await screenshot(page, 'delete-account-code-phone');
    const deleteCode = await freshCode(secret, signInCode.step);
    await carols.getByLabel('Code from your authenticator app').fill(deleteCode.code);
    await carols.getByRole('button', { name: 'Delete my account' }).click();
    await page
      .getByRole('status')
      .getByText('Your account is deleted', { exact: false })
      .waitFor({ timeout: 60_000 });
    await expect(apiFor(stack, carol).getMe()).rejects.toMatchObject({ status: 404 });
  }, 120_000);
});
