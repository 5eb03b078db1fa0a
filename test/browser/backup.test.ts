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
} from '../support/browser';
import { aliceWithHistory } from '../support/browser-history';
import type { E2eeTestDevice } from '../support/e2ee-device';
import { PASSWORD } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

const MESSAGES = 12;

/**
 * Alice turns on the encrypted backup on her laptop and keeps her recovery key. Later, with the laptop
 * closed, she signs in on a new browser: it offers her backup, refuses a wrong key, and with hers restores
 * the conversation.
 */
describe('the web client in Chromium: the encrypted backup', () => {
  let stack: TestStack;
  let browser: Browser;
  let laptop: Awaited<ReturnType<typeof openPage>>;
  let bobDevice: E2eeTestDevice;
  let words: string[] = [];
  let email: string;

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    ({ email, laptop, bobDevice } = await aliceWithHistory(stack, browser, MESSAGES, 'Backed up'));
  }, 180_000);

  afterAll(async () => {
    await bobDevice?.close();
    await browser?.close();
    await stack?.stop();
  });

  it('turns the backup on and shows the recovery key once, until it is kept', async () => {
    const { page } = laptop;
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Turn on encrypted backup' }).click();
    const dialog = page.getByRole('dialog', { name: 'Your recovery key' });
    await dialog.waitFor({ timeout: 30_000 });
    words = (await dialog.getByRole('listitem').allTextContents()).map((w) => w.trim());
    expect(words).toHaveLength(12);
    const done = dialog.getByRole('button', { name: 'Done' });
    expect(await done.isDisabled()).toBe(true);
    await screenshot(page, 'backup-recovery-key-desktop');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.setViewportSize(PHONE);
    await screenshot(page, 'backup-recovery-key-phone');
    await page.setViewportSize(DESKTOP);
    await dialog.getByLabel('I have kept these words somewhere safe').check();
    await done.click();
    await page.getByText(/^Backed up .*This browser adds new messages/).waitFor({ timeout: 30_000 });
    await screenshot(page, 'backup-on-desktop');
    expect(laptop.requests).toContain('PUT /me/backup');
  }, 90_000);

  it('restores on a new browser with the key, after refusing a wrong one', async () => {
    await laptop.page.close();
    const fresh = await openPage(browser, stack, PHONE);
    await signInInBrowser(fresh.page, email, PASSWORD);
    const card = fresh.page.getByRole('region', { name: 'Bring your messages to this browser' });
    await card.waitFor({ timeout: 30_000 });
    await card.getByRole('button', { name: 'Restore from backup' }).click();
    const dialog = fresh.page.getByRole('dialog', { name: 'Restore from your encrypted backup' });
    const input = dialog.getByLabel('Your 12-word recovery key');
    // Twelve real words that are not the key: the checksum or the key says no, plainly.
    const wrong = [...words].reverse().join(' ');
    await input.fill(wrong);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await dialog.getByRole('alert').waitFor({ timeout: 30_000 });
    expect(await dialog.getByRole('alert').textContent()).toMatch(
      /do not fit together|does not open your backup/,
    );
    await screenshot(fresh.page, 'backup-wrong-key-phone');

    await input.fill(words.map((w, i) => (i % 2 === 0 ? w.toUpperCase() : w)).join('\n'));
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await dialog.getByText(`${MESSAGES} messages restored`).waitFor({ timeout: 60_000 });
    await screenshot(fresh.page, 'backup-restored-phone');
    expect(await accessibilityViolations(fresh.page)).toEqual([]);
    await dialog.getByRole('button', { name: 'OK' }).click();
    await fresh.page.getByRole('navigation', { name: 'Conversations' }).getByText('bob').first().click();
    for (const i of [1, MESSAGES]) {
      await fresh.page.getByText(`Backed up ${i}`, { exact: true }).last().waitFor({ timeout: 30_000 });
    }
    expect(await fresh.page.getByText('before this browser joined').count()).toBe(0);
    await fresh.page.setViewportSize(DESKTOP);
    await screenshot(fresh.page, 'backup-restored-conversation-desktop');
    expect(fresh.problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  }, 120_000);
});
