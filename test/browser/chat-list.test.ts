import { randomUUID } from 'node:crypto';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor, befriend } from '../support/api';
import {
  accessibilityViolations,
  DESKTOP,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
  signInInBrowser,
} from '../support/browser';
import { type E2eeTestDevice, openDevice } from '../support/e2ee-device';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Alice's chat list in Chromium, with chats with Bob (writing from a device of his own), Carol and a group
 * of the three: she finds a chat by name, pins, archives, mutes and marks one unread from its menu, and
 * removes a friend. Settings are kept on the server: they survive a reload.
 */
describe('the web client in Chromium: the chat list', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let bobLaptop: E2eeTestDevice;
  let page: Page;
  let direct: string;
  const run = randomUUID().slice(0, 6);
  const groupName = `Climbing ${run}`;
  const names = { bob: `Bob Stone ${run}`, carol: `Carol Zoë ${run}` };

  const list = () => page.getByRole('navigation', { name: 'Conversations' });
  /** The rows of the list on screen, top to bottom, by their titles. */
  const titles = () => list().locator('.conversation-row .title-text').allTextContents();
  const row = (title: string): Locator =>
    list()
      .locator('.conversation-row')
      .filter({ has: page.locator('.title-text', { hasText: title }) });
  const choose = async (title: string, action: string) => {
    await row(title).hover();
    await row(title).getByRole('button', { name: 'Chat options' }).click();
    await page
      .getByRole('menu', { name: `Chat options for ${title}` })
      .getByRole('menuitem', { name: action })
      .click();
  };
  const violations = async (screen: string) =>
    (await accessibilityViolations(page)).map((v) => `${screen}: ${v}`);

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
    const alices = apiFor(stack, alice);
    await alices.createConversation({
      body: { kind: 'group', name: groupName, memberIds: [bob.userId, carol.userId] },
    });
    await alices.createConversation({ body: { kind: 'direct', userId: carol.userId } });
    ({ page } = await openPage(browser, stack, DESKTOP));
    await signInInBrowser(page, alice.email, alice.password);
    bobLaptop = await openDevice(stack, bob, 'laptop');
    direct = (await apiFor(stack, bob).createConversation({ body: { kind: 'direct', userId: alice.userId } }))
      .conversationId;
    await list().locator('.conversation').nth(2).waitFor({ timeout: 30_000 });
  }, 150_000);

  afterAll(async () => {
    await bobLaptop?.close();
    await browser?.close();
    await stack?.stop();
  });

  it('finds chats by name as one types, says when none match, and clears with Esc or the button', async () => {
    // Ctrl+K goes to the search from anywhere.
    await page.locator('body').click();
    await page.keyboard.press('Control+k');
    const search = page.getByLabel('Search chats');
    await expect.poll(() => search.evaluate((input) => input === document.activeElement)).toBe(true);

    await page.keyboard.type('climb');
    await expect.poll(titles).toEqual([groupName]);
    await search.fill('zoe');
    await expect.poll(titles).toEqual([names.carol]);
    await search.fill('nobody here');
    await list().getByText('No chats match “nobody here”.').waitFor();
    expect(await titles()).toEqual([]);
    await screenshot(page, 'chat-list-no-match-desktop');
    expect(await violations('no match')).toEqual([]);

    await search.press('Escape');
    await expect.poll(titles).toHaveLength(3);
    await search.fill('stone');
    await expect.poll(titles).toEqual([names.bob]);
    await page.getByRole('button', { name: 'Clear search' }).click();
    await expect.poll(titles).toHaveLength(3);
  }, 60_000);

  it('pins a chat to the top with a pin, and keeps it there after a reload', async () => {
    const last = (await titles()).at(-1) as string;

    await choose(last, 'Pin chat');

    await expect.poll(async () => (await titles())[0]).toBe(last);
    await row(last).getByText(', pinned').waitFor({ state: 'attached' });
    await page.reload();
    await expect.poll(async () => (await titles())[0], { timeout: 30_000 }).toBe(last);
    await row(last).getByText(', pinned').waitFor({ state: 'attached' });
  }, 60_000);

  it('archives a chat into "Archived (1)", and unarchives it from there', async () => {
    await choose(names.carol, 'Archive chat');

    await expect.poll(titles).not.toContain(names.carol);
    const entry = list().getByRole('button', { name: 'Archived (1)' });
    await entry.click();
    await expect.poll(titles).toEqual([names.carol]);
    await screenshot(page, 'chat-list-archived-desktop');
    expect(await violations('archived')).toEqual([]);

    await choose(names.carol, 'Unarchive chat');
    await expect.poll(titles).toHaveLength(3);
    expect(await entry.count()).toBe(0);
  }, 60_000);

  it('keeps an archived chat archived when a message arrives, and mutes a chat: a muted icon and a grey badge', async () => {
    await choose(names.bob, 'Archive chat');
    await bobLaptop.client.send(direct, new TextEncoder().encode(`Hi Alice ${run}`));
    await list().getByRole('button', { name: 'Archived (1)' }).click();
    const badge = row(names.bob).locator('.badge');
    await badge.getByText('unread').waitFor({ state: 'attached', timeout: 30_000 });
    await choose(names.bob, 'Unarchive chat');
    await expect.poll(titles).toHaveLength(3);
    const accent = await badge.evaluate((el) => getComputedStyle(el).backgroundColor);

    await choose(names.bob, 'Mute for 8 hours');

    await row(names.bob).getByText(', muted').waitFor({ state: 'attached' });
    await expect.poll(() => badge.evaluate((el) => getComputedStyle(el).backgroundColor)).not.toBe(accent);
    expect(await badge.textContent()).toBe('1 unread');
    await choose(names.carol, 'Archive chat');
    await list().getByRole('button', { name: 'Archived (1)' }).waitFor();

    // The list as it now stands, with a row's menu open, on a desktop and on a phone.
    await row(groupName).hover();
    await row(groupName).getByRole('button', { name: 'Chat options' }).click();
    await screenshot(page, 'chat-list-menu-desktop');
    expect(await violations('row menu')).toEqual([]);
    await page.keyboard.press('Escape');
    await page.setViewportSize(PHONE);
    await row(names.bob).getByRole('button', { name: 'Chat options' }).click();
    await screenshot(page, 'chat-list-menu-phone');
    expect(await violations('row menu on a phone')).toEqual([]);
    await page.keyboard.press('Escape');
    await page.setViewportSize(DESKTOP);
  }, 60_000);

  it('marks a chat unread with a marker that opening it clears, here and on the server', async () => {
    await choose(groupName, 'Mark as unread');

    const marker = row(groupName).getByText('marked unread');
    await marker.waitFor({ state: 'attached' });
    await row(groupName)
      .getByRole('button', { name: new RegExp(groupName) })
      .first()
      .click();
    await page.getByRole('heading', { name: groupName }).waitFor();
    await expect.poll(() => marker.count()).toBe(0);
    await page.reload();
    await expect.poll(titles, { timeout: 30_000 }).toContain(groupName);
    expect(await marker.count()).toBe(0);
    const listed = await apiFor(stack, alice).listConversations({ query: { limit: 100 } });
    expect(listed.items.find((c) => c.name === groupName)).not.toHaveProperty('markedUnread');
  }, 60_000);

  it('removes a friend after asking, on both sides', async () => {
    await page.getByRole('button', { name: /^People/ }).click();
    const friends = page.getByRole('region', { name: 'Friends' });
    const carolsRow = friends.getByRole('listitem').filter({ hasText: names.carol });
    await carolsRow.waitFor();
    await carolsRow.getByRole('button', { name: 'Remove friend' }).click();
    const asking = page.getByRole('dialog', { name: `Remove ${names.carol} from your friends?` });
    // Cancel is the safe choice, focused first: Esc or Cancel keeps her.
    expect(
      await asking.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === document.activeElement),
    ).toBe(true);
    await page.keyboard.press('Escape');
    await asking.waitFor({ state: 'detached' });
    expect(await carolsRow.count()).toBe(1);
    await carolsRow.getByRole('button', { name: 'Remove friend' }).click();
    await asking.getByRole('button', { name: 'Remove friend' }).click();

    await expect.poll(() => carolsRow.count(), { timeout: 30_000 }).toBe(0);
    const carols = await apiFor(stack, carol).listFriends({ query: { limit: 100 } });
    expect(carols.items.filter((f) => f.user.userId === alice.userId)).toEqual([]);
    expect(await friends.getByRole('listitem').filter({ hasText: names.bob }).count()).toBe(1);
  }, 60_000);
});
