import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchBrowser, openPage, signUpInBrowser } from '../support/browser';
import { PASSWORD } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Alice reloads while the server fails for a moment: the start tries again and opens the chat, where it
 * used to stop on "Parley could not start on this browser".
 */
describe('the web client in Chromium: starting while the server fails for a moment', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Awaited<ReturnType<typeof openPage>>;

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    alice = await openPage(browser, stack, DESKTOP);
    await signUpInBrowser(alice.page, stack, `alice.${randomUUID().slice(0, 6)}@example.com`, PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('opens the chat after a reload whose profile request the server failed', async () => {
    const { page, requests } = alice;
    const profileReads = () => requests.filter((r) => r === 'GET /me').length;
    // The profile's function dies on its next call, as a Lambda whose runtime exits: a 500 from the gateway.
    stack.faults.terminateNextInvocation('httpAccount');
    const before = profileReads();
    await page.reload();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('alert').count()).toBe(0);
    // The failed start was tried again: the profile was read twice.
    expect(profileReads() - before).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
