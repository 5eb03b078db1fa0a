import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor, befriend } from '../support/api';
import {
  accessibilityViolations,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
  signInInBrowser,
} from '../support/browser';
import { type E2eeTestDevice, openDevice, sendAsWebClient } from '../support/e2ee-device';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

/** A large desktop screen, where a stretched layout shows its gaps. */
const WIDE = { width: 1440, height: 900 };

/**
 * How the app looks, at 1440 px and on a phone: icon buttons with names in the headers and the composer,
 * bubbles that point at their sender with the sender's avatar and colour in a group, and panels of a
 * readable width. Each screen is looked at in a screenshot and checked with axe (contrast included).
 */
describe('the web client in Chromium: the look of it', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let bobLaptop: E2eeTestDevice;
  let carolLaptop: E2eeTestDevice;
  let wide: Page;
  let phone: Page;
  let group: string;
  const run = randomUUID().slice(0, 6);
  const groupName = `Weekend ${run}`;

  const list = (page: Page) => page.getByRole('navigation', { name: 'Conversations' });
  const open = async (page: Page, title: string) => {
    await list(page).locator('.conversation-row', { hasText: title }).locator('.conversation').click();
    await page.locator('.chat-title h2', { hasText: title }).waitFor();
  };
  /** The buttons in a region that show words rather than an icon. */
  const textButtons = (page: Page, selector: string) =>
    page.locator(selector).evaluate((root) =>
      [...root.querySelectorAll('button')]
        .filter((b) => !b.closest('.conversation-list, .menu, .emoji-panel, .composer-context'))
        .filter((b) => b.offsetParent !== null && (b.textContent ?? '').trim().replace(/\d+/g, '') !== '')
        .map((b) => (b.textContent ?? '').trim()),
    );
  const violations = async (page: Page, screen: string) =>
    (await accessibilityViolations(page)).map((v) => `${screen}: ${v}`);

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    [alice, bob, carol] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
    ]);
    await apiFor(stack, bob).updateMe({ body: { displayName: `Bob Stone ${run}` } });
    await apiFor(stack, carol).updateMe({ body: { displayName: `Carol Zoë ${run}` } });
    await Promise.all([
      befriend(stack, alice, bob),
      befriend(stack, alice, carol),
      befriend(stack, bob, carol),
    ]);
    bobLaptop = await openDevice(stack, bob, 'laptop');
    carolLaptop = await openDevice(stack, carol, 'laptop');
    ({ page: wide } = await openPage(browser, stack, WIDE));
    await signInInBrowser(wide, alice.email, alice.password);
    group = (
      await apiFor(stack, bob).createConversation({
        body: { kind: 'group', name: groupName, memberIds: [alice.userId, carol.userId] },
      })
    ).conversationId;
    await list(wide).locator('.conversation-row', { hasText: groupName }).waitFor({ timeout: 30_000 });
    // Two from Bob in a row, then one from Carol: two runs.
    await sendAsWebClient(bobLaptop, group, 'Climbing on Saturday?');
    await sendAsWebClient(bobLaptop, group, 'The wall opens at 10');
    await carolLaptop.client.sync(group);
    await sendAsWebClient(carolLaptop, group, 'I am in 🧗');
    ({ page: phone } = await openPage(browser, stack, PHONE));
    await signInInBrowser(phone, alice.email, alice.password);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([bobLaptop?.close(), carolLaptop?.close()]);
    await browser?.close();
    await stack?.stop();
  });

  it('greets with something to do, not an empty pane, when no chat is open on a wide screen', async () => {
    const main = wide.getByRole('main');
    await main.getByRole('heading', { name: 'Pick a conversation' }).waitFor();
    await expect.poll(() => main.locator('kbd').count()).toBeGreaterThan(0);
    await screenshot(wide, 'design-start-wide');
    expect(await violations(wide, 'start')).toEqual([]);
  }, 60_000);

  it('shows icons, each with a name and a tooltip, in place of words in the headers and the composer', async () => {
    expect(await textButtons(wide, '.sidebar-header')).toEqual([]);
    for (const name of ['Search messages', 'New group', 'People', 'Settings']) {
      const button = list(wide).getByRole('button', { name, exact: true });
      expect(await button.locator('svg').count(), name).toBe(1);
      expect(await button.getAttribute('title'), name).toBeTruthy();
    }

    // A row's ⋯ sits inside the row, at its end.
    const row = list(wide).locator('.conversation-row', { hasText: groupName });
    await row.hover();
    const rowBox = await row.boundingBox();
    const menuBox = await row.getByRole('button', { name: 'Chat options' }).boundingBox();
    if (!rowBox || !menuBox) throw new Error('The row or its menu button is not on screen');
    expect(menuBox.x).toBeGreaterThan(rowBox.x + rowBox.width / 2);
    expect(menuBox.y).toBeGreaterThanOrEqual(rowBox.y);
    expect(menuBox.y + menuBox.height).toBeLessThanOrEqual(rowBox.y + rowBox.height);

    await open(wide, groupName);
    await wide.locator('.message', { hasText: 'I am in 🧗' }).waitFor({ timeout: 30_000 });
    expect(await textButtons(wide, '.chat-header')).toEqual([]);
    expect(await textButtons(wide, '.composer')).toEqual([]);
    for (const name of ['Members', 'Attach files', 'Emoji', 'Record a voice note']) {
      expect(await wide.getByRole('button', { name, exact: true }).locator('svg').count(), name).toBe(1);
    }
    await wide.getByLabel('Message', { exact: true }).fill('See you there');
    const send = wide.getByRole('button', { name: 'Send', exact: true });
    expect(await send.locator('svg').count()).toBe(1);
    await send.click();
    // Sent: no longer the outbox's pending copy.
    await wide
      .locator('.message.own:not(.pending)', { hasText: 'See you there' })
      .waitFor({ timeout: 30_000 });
  }, 60_000);

  it('draws a group as runs: a tail and the avatar on each run’s first bubble, the name in the sender’s colour', async () => {
    const message = (text: string) => wide.locator('.message:not(.pending)', { hasText: text });
    await message('See you there').waitFor();
    const looks = async (text: string) =>
      message(text).evaluate((li) => {
        const bubble = li.querySelector('.bubble') as HTMLElement;
        const tail = getComputedStyle(bubble, '::before');
        const sender = li.querySelector('.sender');
        return {
          tail: tail.content !== 'none' && tail.content !== '',
          avatar: li.querySelector(':scope > .avatar')?.textContent ?? null,
          gap: li.querySelector(':scope > .avatar-gap') !== null,
          sender: sender?.textContent ?? null,
          senderColour: sender ? getComputedStyle(sender).color : null,
          text: getComputedStyle(bubble).color,
        };
      });

    const first = await looks('Climbing on Saturday?');
    expect(first).toMatchObject({ tail: true, avatar: 'BS', gap: false, sender: `Bob Stone ${run}` });
    // A colour of Bob's own, not the text's.
    expect(first.senderColour).not.toBe(first.text);
    expect(await looks('The wall opens at 10')).toMatchObject({
      tail: false,
      avatar: null,
      gap: true,
      sender: null,
    });
    const carols = await looks('I am in 🧗');
    expect(carols).toMatchObject({ tail: true, avatar: 'CZ', sender: `Carol Zoë ${run}` });
    expect(carols.senderColour).not.toBe(carols.text);
    // Mine: a tail on my side, no avatar and no name.
    expect(await looks('See you there')).toMatchObject({
      tail: true,
      avatar: null,
      gap: false,
      sender: null,
    });

    await screenshot(wide, 'design-group-wide');
    expect(await violations(wide, 'group')).toEqual([]);
  }, 60_000);

  it('keeps People and Settings to a readable column on a wide screen', async () => {
    for (const name of ['People', 'Settings']) {
      await list(wide).getByRole('button', { name, exact: true }).click();
      const panel = wide.getByRole('region', { name });
      await panel.waitFor();
      const { width } = (await panel.boundingBox()) ?? { width: 0 };
      const { width: main } = (await wide.getByRole('main').boundingBox()) ?? { width: 0 };
      // A column, not the whole of a 1,090-pixel pane: a line of text stays easy to read.
      expect(width, name).toBeLessThan(main * 0.8);
      await screenshot(wide, `design-${name.toLowerCase()}-wide`);
      expect(await violations(wide, name)).toEqual([]);
    }
  }, 60_000);

  it('fits the same screens on a phone', async () => {
    await list(phone).locator('.conversation-row', { hasText: groupName }).waitFor({ timeout: 30_000 });
    expect(await textButtons(phone, '.sidebar-header')).toEqual([]);
    await screenshot(phone, 'design-list-phone');
    expect(await violations(phone, 'list on a phone')).toEqual([]);
    await open(phone, groupName);
    await phone.locator('.message', { hasText: 'See you there' }).waitFor({ timeout: 30_000 });
    expect(await textButtons(phone, '.chat-header')).toEqual([]);
    // Nothing runs off the side.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(phone, 'design-group-phone');
    expect(await violations(phone, 'group on a phone')).toEqual([]);
  }, 60_000);
});
