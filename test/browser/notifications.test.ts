import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor, befriend } from '../support/api';
import {
  accessibilityViolations,
  launchBrowser,
  NO_NOTIFICATIONS_HERE,
  openPage,
  PHONE,
  SHOWS_NOTIFICATIONS,
  screenshot,
  setTabVisible,
  signInInBrowser,
  webUrlOf,
} from '../support/browser';
import { type E2eeTestDevice, openDevice, sendAsWebClient } from '../support/e2ee-device';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

/** What the page asked the browser to show: each system notification, as the app made it. */
interface Shown {
  readonly title: string;
  readonly body: string | undefined;
  readonly tag: string | undefined;
}

/**
 * Alice in Chromium, with chats with Bob and Carol (each writing from a Node device as the web client
 * does): a quiet note in the page when a message comes to a chat she does not have open, and, once she
 * turns notifications on in Settings (the permission asked on that click), a system notification per chat
 * while the tab is out of view, saying who wrote but never what, replaced as more come, none for a muted
 * chat, and opening the chat when clicked.
 */
describe('the web client in Chromium: notifications', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let bobLaptop: E2eeTestDevice;
  let carolLaptop: E2eeTestDevice;
  let context: BrowserContext;
  let page: Page;
  let withBob: string;
  let withCarol: string;
  const run = randomUUID().slice(0, 6);
  const names = { bob: `Bob Stone ${run}`, carol: `Carol Zoë ${run}` };

  const list = () => page.getByRole('navigation', { name: 'Conversations' });
  const openChat = async (title: string) => {
    await list().locator('.conversation-row', { hasText: title }).locator('.conversation').click();
    await page.locator('.chat-title h2', { hasText: title }).waitFor();
  };
  const shown = () => page.evaluate(() => (window as unknown as { shown: Shown[] }).shown);

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    [alice, bob, carol] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
    ]);
    await apiFor(stack, bob).updateMe({ body: { displayName: names.bob } });
    await apiFor(stack, carol).updateMe({ body: { displayName: names.carol } });
    await Promise.all([befriend(stack, alice, bob), befriend(stack, alice, carol)]);
    withBob = (
      await apiFor(stack, bob).createConversation({ body: { kind: 'direct', userId: alice.userId } })
    ).conversationId;
    withCarol = (
      await apiFor(stack, carol).createConversation({ body: { kind: 'direct', userId: alice.userId } })
    ).conversationId;
    ({ context, page } = await openPage(browser, stack));
    // Watch what the page shows: each notification is made by the browser's own constructor, and noted.
    await context.addInitScript(() => {
      const Real = window.Notification;
      const shown: unknown[] = [];
      Object.assign(window, { shown });
      window.Notification = class extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push({ title, body: options?.body, tag: options?.tag });
          Object.assign(window, { lastNotification: this });
        }
      };
    });
    await page.reload();
    await signInInBrowser(page, alice.email, alice.password);
    bobLaptop = await openDevice(stack, bob, 'laptop');
    carolLaptop = await openDevice(stack, carol, 'laptop');
    await list().locator('.conversation-row', { hasText: names.carol }).waitFor({ timeout: 30_000 });
    await list().locator('.conversation-row', { hasText: names.bob }).waitFor({ timeout: 30_000 });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([bobLaptop?.close(), carolLaptop?.close()]);
    await browser?.close();
    await stack?.stop();
  });

  it('shows a quiet note in the page for a message to another chat, which opens it', async () => {
    await openChat(names.carol);
    await sendAsWebClient(bobLaptop, withBob, 'Are you coming tonight?');
    const toast = page.getByRole('status').filter({ hasText: names.bob });
    await toast.getByText('New message').waitFor({ timeout: 30_000 });
    // Who wrote, not what.
    expect(await toast.textContent()).not.toContain('tonight');
    await screenshot(page, 'notification-toast-desktop');
    expect(await accessibilityViolations(page)).toEqual([]);
    await toast.getByRole('button', { name: new RegExp(names.bob) }).click();
    await page.locator('.chat-title h2', { hasText: names.bob }).waitFor();
    await toast.waitFor({ state: 'detached' });
    // Nothing was shown by the system: notifications are off until Alice turns them on.
    expect(await shown()).toEqual([]);
  }, 60_000);

  it('asks for the permission only when Alice turns notifications on in Settings', async ({ skip }) => {
    skip(!SHOWS_NOTIFICATIONS, NO_NOTIFICATIONS_HERE);
    expect(await page.evaluate(() => Notification.permission)).toBe('default');
    await context.grantPermissions(['notifications'], { origin: new URL(webUrlOf(stack)).origin });
    await list().getByRole('button', { name: 'Settings', exact: true }).click();
    const section = page.getByRole('region', { name: 'Notifications' });
    const toggle = section.getByRole('checkbox', { name: /Notify me of new messages/ });
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await expect.poll(() => toggle.isChecked()).toBe(true);
    expect(await section.getByRole('radio', { name: 'Who wrote' }).isChecked()).toBe(true);
    await screenshot(page, 'notification-settings-desktop');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.setViewportSize(PHONE);
    await section.scrollIntoViewIfNeeded();
    await screenshot(page, 'notification-settings-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 60_000);

  it('shows one system notification per chat while the tab is out of view, replaced as more come, and none for a muted chat', async ({
    skip,
  }) => {
    skip(!SHOWS_NOTIFICATIONS, NO_NOTIFICATIONS_HERE);
    await openChat(names.bob);
    await setTabVisible(page, false);
    await sendAsWebClient(carolLaptop, withCarol, 'First from Carol');
    await expect
      .poll(shown, { timeout: 30_000 })
      .toEqual([{ title: names.carol, body: 'New message', tag: withCarol }]);
    await sendAsWebClient(carolLaptop, withCarol, 'Second from Carol');
    // The same tag: the browser replaces the first with this one.
    await expect
      .poll(async () => (await shown()).at(-1), { timeout: 30_000 })
      .toEqual({
        title: names.carol,
        body: '2 new messages',
        tag: withCarol,
      });
    expect(JSON.stringify(await shown())).not.toMatch(/First|Second/);

    // Clicking it brings the tab to Carol's chat.
    await page.evaluate(() =>
      (window as unknown as { lastNotification: Notification }).lastNotification.dispatchEvent(
        new Event('click'),
      ),
    );
    await page.locator('.chat-title h2', { hasText: names.carol }).waitFor();

    // Bob's chat muted: his message shows in the list's count, and no notification.
    await setTabVisible(page, true);
    const bobsRow = list().locator('.conversation-row', { hasText: names.bob });
    await bobsRow.hover();
    await bobsRow.getByRole('button', { name: 'Chat options' }).click();
    await page.getByRole('menuitem', { name: 'Mute for 8 hours' }).click();
    await bobsRow.locator('.row-icon[title="Muted"]').waitFor({ timeout: 30_000 });
    await setTabVisible(page, false);
    const before = (await shown()).length;
    await sendAsWebClient(bobLaptop, withBob, 'Muted one');
    await bobsRow.locator('.badge').waitFor({ timeout: 30_000 });
    // Then one from Carol: once hers shows, Bob's would have too. Only hers did.
    await sendAsWebClient(carolLaptop, withCarol, 'After the muted one');
    await expect.poll(async () => (await shown()).length, { timeout: 30_000 }).toBe(before + 1);
    expect((await shown()).at(-1)?.title).toBe(names.carol);
    await setTabVisible(page, true);
  }, 90_000);

  it('says only that a message came when Alice chooses so', async ({ skip }) => {
    skip(!SHOWS_NOTIFICATIONS, NO_NOTIFICATIONS_HERE);
    await list().getByRole('button', { name: 'Settings', exact: true }).click();
    await page
      .getByRole('region', { name: 'Notifications' })
      .getByRole('radio', { name: 'Only that a message came' })
      .check();
    await setTabVisible(page, false);
    await sendAsWebClient(carolLaptop, withCarol, 'Private one');
    await expect
      .poll(async () => (await shown()).at(-1), { timeout: 30_000 })
      .toEqual({
        title: 'Parley',
        body: expect.stringMatching(/new message/i),
        tag: withCarol,
      });
    await setTabVisible(page, true);
  }, 60_000);
});
