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
  signUpInBrowser,
  webUrlOf,
} from '../support/browser';
import { PASSWORD } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * One account may hold so many WebSockets at once (`socketsPerUser`, 1 here): a tab past it cannot connect,
 * and a browser cannot read why its handshake failed. It says so, and connects once another tab closes.
 */
describe('the web client in Chromium: more tabs than sockets', () => {
  let stack: TestStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startTestStack({ caps: { socketsPerUser: 1 } });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('says why a tab past the cap cannot connect, and connects it once another tab closes', async () => {
    const first = await openPage(browser, stack, DESKTOP);
    await signUpInBrowser(first.page, stack, `ana.${randomUUID().slice(0, 6)}@example.com`, PASSWORD);
    await first.page.getByRole('status').filter({ hasText: 'Connecting' }).waitFor({ state: 'detached' });

    const second = await first.context.newPage();
    await second.goto(webUrlOf(stack));
    await second.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 30_000 });
    const banner = second
      .getByRole('status')
      .filter({ hasText: 'Parley is open in too many tabs or windows (1 at most for one account)' });
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.textContent()).toContain('Close one and this one connects');
    // The first tab keeps its socket, and says nothing.
    expect(await first.page.getByRole('status').count()).toBe(0);
    await screenshot(second, 'socket-limit-desktop');
    expect(await accessibilityViolations(second)).toEqual([]);
    await second.setViewportSize(PHONE);
    await screenshot(second, 'socket-limit-phone');

    await first.page.close();
    // Its retries (backoff up to 10 s) find the place the first tab gave back.
    await second.getByRole('status').waitFor({ state: 'detached', timeout: 40_000 });
    expect(first.problems).toEqual([]);
  }, 120_000);
});
