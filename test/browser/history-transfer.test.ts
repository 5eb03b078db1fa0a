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

const MESSAGES = 30;

/**
 * Alice has talked with Bob on her laptop. She signs in on her phone: instead of grey lines where her
 * messages were, the phone offers to bring them from the laptop; both screens show the same code, she
 * approves on the laptop, and the conversation fills in on the phone.
 */
describe('the web client in Chromium: history on a new device', () => {
  let stack: TestStack;
  let browser: Browser;
  let laptop: Awaited<ReturnType<typeof openPage>>;
  let phone: Awaited<ReturnType<typeof openPage>>;
  let bobDevice: E2eeTestDevice;
  let email: string;

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    ({ email, laptop, bobDevice } = await aliceWithHistory(stack, browser, MESSAGES, 'Earlier message'));
  }, 180_000);

  afterAll(async () => {
    await bobDevice?.close();
    await browser?.close();
    await stack?.stop();
  });

  it('offers the new browser its history, shows one code on both screens, and brings every message', async () => {
    phone = await openPage(browser, stack, PHONE);
    await signInInBrowser(phone.page, email, PASSWORD);
    const card = phone.page.getByRole('region', { name: 'Bring your messages to this browser' });
    await card.waitFor({ timeout: 30_000 });
    await screenshot(phone.page, 'history-offer-phone');
    expect(await accessibilityViolations(phone.page)).toEqual([]);
    await card.getByRole('button', { name: /^Bring history from / }).click();

    const approve = laptop.page.getByRole('dialog', { name: /^Send your history to / });
    await approve.waitFor({ timeout: 30_000 });
    const waiting = phone.page.getByRole('region', { name: /^Approve on / });
    await waiting.waitFor({ timeout: 30_000 });
    const laptopCode = (await approve.locator('.transfer-code').textContent())?.trim();
    const phoneCode = (await waiting.locator('.transfer-code').textContent())?.trim();
    expect(laptopCode).toMatch(/^\d{3} \d{3}$/);
    expect(phoneCode).toBe(laptopCode);
    await screenshot(laptop.page, 'history-approve-desktop');
    await screenshot(phone.page, 'history-code-phone');
    expect(await accessibilityViolations(laptop.page)).toEqual([]);
    await laptop.page.setViewportSize(PHONE);
    await screenshot(laptop.page, 'history-approve-phone');
    await laptop.page.setViewportSize(DESKTOP);

    await approve.getByRole('button', { name: 'Send history' }).click();
    const done = phone.page.getByRole('region', { name: 'Your history is here' });
    await done.waitFor({ timeout: 60_000 });
    expect(await done.textContent()).toContain(`${MESSAGES} messages came from`);
    await screenshot(phone.page, 'history-done-phone');
    await laptop.page.getByRole('region', { name: /^History sent to / }).waitFor({ timeout: 30_000 });
    await screenshot(laptop.page, 'history-sent-desktop');

    await done.getByRole('button', { name: 'OK' }).click();
    await phone.page.getByRole('navigation', { name: 'Conversations' }).getByText('bob').first().click();
    for (const i of [1, MESSAGES / 2, MESSAGES]) {
      await phone.page.getByText(`Earlier message ${i}`, { exact: true }).last().waitFor({ timeout: 30_000 });
    }
    expect(await phone.page.getByText('before this browser joined').count()).toBe(0);
    await screenshot(phone.page, 'history-conversation-phone');
    await phone.page.setViewportSize(DESKTOP);
    await screenshot(phone.page, 'history-conversation-desktop');
    expect(phone.problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
    expect(laptop.problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  }, 180_000);

  it('does not offer it again on that browser once brought', async () => {
    const listed = () => phone.requests.filter((r) => r === 'GET /history-transfers').length;
    const before = listed();
    const from = phone.requests.length;
    await phone.page.reload();
    await phone.page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 30_000 });
    // Read at every connection: the card would follow that list.
    await expect.poll(listed, { timeout: 30_000 }).toBeGreaterThan(before);
    await phone.page.getByText('Earlier message 30').first().waitFor({ timeout: 30_000 });
    expect(
      await phone.page.getByRole('region', { name: 'Bring your messages to this browser' }).count(),
    ).toBe(0);
    // Nor does it look for devices to bring it from.
    expect(phone.requests.slice(from)).not.toContain('GET /me/sockets');
  }, 60_000);
});
