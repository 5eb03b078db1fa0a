import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor } from '../support/api';
import {
  accessibilityViolations,
  befriendInBrowser,
  DESKTOP,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
  signUpInBrowser,
} from '../support/browser';
import { type E2eeTestDevice, openDevice, sendAsWebClient } from '../support/e2ee-device';
import { PASSWORD, type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Alice in Chromium chats with Bob (the E2EE client in Node), then downloads her data from Settings: one
 * JSON file with her profile, her friend, their conversation with its members, and the plaintext of what
 * they wrote, decrypted in her browser.
 */
describe('the web client in Chromium: download my data', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Awaited<ReturnType<typeof openPage>>;
  let bob: Persona;
  let bobLaptop: E2eeTestDevice;
  let aliceId: string;
  let bobName: string;
  let direct: string;
  const run = randomUUID().slice(0, 6);
  const aliceEmail = `alice.${run}@example.com`;
  const fromBob = `Hi Alice, the keys are under the mat ${run}`;
  const fromAlice = `Thanks Bob, see you at eight ${run}`;

  const section = () => alice.page.getByRole('region', { name: 'Your data' });

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    alice = await openPage(browser, stack, DESKTOP);
    await signUpInBrowser(alice.page, stack, aliceEmail, PASSWORD);
    bob = await signUp(stack, 'bob');
    bobLaptop = await openDevice(stack, bob, 'laptop');
    const bobs = apiFor(stack, bob);
    bobName = (await bobs.getMe()).displayName;
    aliceId = await befriendInBrowser(alice.page, bobs, aliceEmail);
    direct = (await bobs.createConversation({ body: { kind: 'direct', userId: aliceId } })).conversationId;
    await sendAsWebClient(bobLaptop, direct, fromBob);

    await alice.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /bob/ })
      .click({ timeout: 30_000 });
    await alice.page.getByRole('list', { name: 'Messages' }).getByText(fromBob).waitFor({ timeout: 60_000 });
    const composer = alice.page.getByLabel('Message', { exact: true });
    await composer.fill(fromAlice);
    await composer.press('Enter');
    // The web client's plaintext is JSON (`{ text }`) inside the MLS ciphertext.
    await bobLaptop.waitForText(direct, JSON.stringify({ text: fromAlice }), 30_000);
  }, 180_000);

  afterAll(async () => {
    await bobLaptop?.close();
    await browser?.close();
    await stack?.stop();
  });

  it('saves one JSON file with the profile, the friend, the conversation and the plaintext this browser holds', async () => {
    await alice.page.getByRole('button', { name: 'Settings' }).click();
    await section().scrollIntoViewIfNeeded();
    expect(await section().textContent()).toContain('the messages this browser holds');

    const [download] = await Promise.all([
      alice.page.waitForEvent('download', { timeout: 60_000 }),
      section().getByRole('button', { name: 'Download my data' }).click(),
    ]);

    const today = new Date();
    const day = [today.getFullYear(), today.getMonth() + 1, today.getDate()]
      .map((n) => String(n).padStart(2, '0'))
      .join('-');
    expect(download.suggestedFilename()).toBe(`parley-export-${day}.json`);
    const text = readFileSync(await download.path(), 'utf8');
    const file = JSON.parse(text);

    expect(file).toMatchObject({ format: 'parley-export', version: 1 });
    expect(file.server.profile).toMatchObject({ userId: aliceId, email: aliceEmail });
    expect(file.server.friends).toEqual([
      expect.objectContaining({ userId: bob.userId, username: bob.username, state: 'friend' }),
    ]);
    const conversation = file.server.conversations.find(
      (c: { conversationId: string }) => c.conversationId === direct,
    );
    expect(conversation.kind).toBe('direct');
    expect(conversation.members.map((m: { userId: string }) => m.userId).sort()).toEqual(
      [aliceId, bob.userId].sort(),
    );
    expect(file.server.devices).toHaveLength(1);

    const history = file.browser.conversations.find(
      (c: { conversationId: string }) => c.conversationId === direct,
    );
    expect(history.title).toBe(bobName);
    expect(history.messages).toEqual([
      expect.objectContaining({ senderId: bob.userId, senderName: bobName, text: fromBob }),
      expect.objectContaining({ senderId: aliceId, text: fromAlice }),
    ]);
    expect(history.messages[0].seq).toBeLessThan(history.messages[1].seq);
    expect(Date.parse(history.messages[1].sentAt)).toBeGreaterThan(0);
    expect(text).not.toContain(bob.email);

    await section().getByRole('status').filter({ hasText: 'Saved as' }).waitFor();
    await section().scrollIntoViewIfNeeded();
    await screenshot(alice.page, 'export-saved-desktop');
    expect(await accessibilityViolations(alice.page)).toEqual([]);
    await alice.page.setViewportSize(PHONE);
    await section().scrollIntoViewIfNeeded();
    await screenshot(alice.page, 'export-saved-phone');
    expect(await accessibilityViolations(alice.page)).toEqual([]);
    await alice.page.setViewportSize(DESKTOP);
  }, 120_000);

  it('says in words when the file cannot be prepared, and saves nothing', async () => {
    await alice.page.route('**/me/export*', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'about:blank',
          title: 'Unavailable',
          status: 503,
          code: 'INTERNAL',
          detail: 'down',
        }),
      }),
    );
    let downloads = 0;
    alice.page.on('download', () => downloads++);

    await section().getByRole('button', { name: 'Download my data' }).click();

    const alert = section().getByRole('alert');
    await expect
      .poll(() => alert.textContent(), { timeout: 30_000 })
      .toContain('Your data could not be prepared.');
    expect(downloads).toBe(0);
    await section().scrollIntoViewIfNeeded();
    await screenshot(alice.page, 'export-failed-desktop');
    expect(await accessibilityViolations(alice.page)).toEqual([]);
    await alice.page.unroute('**/me/export*');
  }, 60_000);
});
