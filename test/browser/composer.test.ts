import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor, befriend, logAfter } from '../support/api';
import {
  accessibilityViolations,
  DESKTOP,
  explained,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
  signInInBrowser,
} from '../support/browser';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

type OpenPage = Awaited<ReturnType<typeof openPage>>;

/** As the composer counts: code points, so an emoji is one. */
const charactersOf = (text: string) => Array.from(text).length;

/** `count` characters of prose, emoji and line breaks, starting with `marker`, ending in a letter. */
function prose(marker: string, count: number): string {
  const words = ['tea', 'on', 'the', 'hill', '☕', 'at', 'dawn', '🌄', 'with', 'friends', 'مرحبا', '你好'];
  const parts = [marker];
  for (let i = 0; charactersOf(parts.join(' ')) < count; i++) {
    parts.push(i % 40 === 39 ? `${words[i % words.length]}\n` : (words[i % words.length] ?? ''));
  }
  const text = Array.from(parts.join(' ')).slice(0, count - 1);
  return `${text.join('')}z`;
}

/**
 * Alice (desktop) and Bob (phone) in Chromium, friends: the composer takes a long paste whole, counts it
 * near the limit as a person counts characters, refuses to send past it with the reason shown, grows with
 * its lines; what it sends arrives exactly as written. A message the server refuses (Bob blocked Alice)
 * stays in the chat, marked "Not sent" with the reason, through a reload, until Alice retries it (it
 * arrives once), puts it back in the composer, or deletes it (nothing is sent).
 */
describe('the web client in Chromium: the composer and messages that could not be sent', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Persona;
  let bob: Persona;
  let alicePage: OpenPage;
  let bobPage: OpenPage;
  let conversationId: string;

  const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });
  const composerOf = (page: Page) => page.getByLabel('Message', { exact: true });
  const sendButton = (page: Page) => page.getByRole('button', { name: 'Send', exact: true });
  const counter = (page: Page) => page.locator('#composer-count');
  /** The texts of the messages Bob's open chat shows as received, top to bottom. */
  const bobSees = () => messages(bobPage.page).locator('.message:not(.own) .text').allTextContents();
  const violations = async (page: Page, screen: string) =>
    (await accessibilityViolations(page)).map((v) => `${screen}: ${v}`);
  const why = <T>(promise: Promise<T>) => explained(promise, { alice: alicePage, bob: bobPage }, stack);

  /** Pastes text from the clipboard into the composer, as Ctrl+V does. */
  const paste = async (page: Page, text: string) => {
    await page.evaluate((value) => navigator.clipboard.writeText(value), text);
    await composerOf(page).focus();
    await page.keyboard.press('ControlOrMeta+V');
  };

  /** Waits until Bob's chat shows a received message starting with `marker`, and gives its text. */
  const receivedByBob = async (marker: string) => {
    const bubble = messages(bobPage.page).locator('.message:not(.own) .text', { hasText: marker });
    await why(bubble.first().waitFor({ timeout: 30_000 }));
    return bubble.first().evaluate((element) => element.textContent ?? '');
  };

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    await befriend(stack, alice, bob);
    [alicePage, bobPage] = await Promise.all([
      openPage(browser, stack, DESKTOP),
      openPage(browser, stack, PHONE),
    ]);
    await alicePage.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await signInInBrowser(alicePage.page, alice.email, alice.password);
    await signInInBrowser(bobPage.page, bob.email, bob.password);
    await alicePage.page.getByRole('button', { name: /^People/ }).click();
    await alicePage.page
      .getByRole('region', { name: 'Friends' })
      .getByRole('button', { name: 'Message' })
      .click();
    await composerOf(alicePage.page).fill('Hello Bob');
    await composerOf(alicePage.page).press('Enter');
    await bobPage.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /alice/ })
      .click({ timeout: 30_000 });
    await messages(bobPage.page).getByText('Hello Bob').waitFor({ timeout: 30_000 });
    const [conversation] = (await apiFor(stack, bob).listConversations({ query: { limit: 10 } })).items;
    if (!conversation) throw new Error('Bob has no conversation with Alice');
    conversationId = conversation.conversationId;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('takes a 5,000-character paste whole, says it is 1,000 too many, and keeps Send disabled', async () => {
    const page = alicePage.page;
    const pasted = prose('Long read', 5000);
    const sendsBefore = alicePage.sent.filter((frame) => frame.includes('"action":"send"')).length;
    await paste(page, pasted);

    expect(await composerOf(page).inputValue()).toBe(pasted);
    await expect.poll(() => counter(page).textContent()).toBe('5,000 / 4,000 · 1,000 too many to send');
    expect(await sendButton(page).isDisabled()).toBe(true);
    expect(await sendButton(page).getAttribute('aria-describedby')).toBe('composer-count');
    expect(await counter(page).getAttribute('role')).toBe('alert');
    // Enter does not send it either, and nothing of it is cut.
    await composerOf(page).press('Enter');
    expect(await composerOf(page).inputValue()).toBe(pasted);
    expect(alicePage.sent.filter((frame) => frame.includes('"action":"send"')).length).toBe(sendsBefore);
    // Seven lines at most: the rest scrolls inside the composer.
    const box = await composerOf(page).evaluate((e) => ({ client: e.clientHeight, scroll: e.scrollHeight }));
    expect(box.scroll).toBeGreaterThan(box.client);

    await screenshot(page, 'composer-over-limit-desktop');
    expect(await violations(page, 'over the limit')).toEqual([]);
    await page.setViewportSize(PHONE);
    await screenshot(page, 'composer-over-limit-phone');
    await page.setViewportSize(DESKTOP);
  }, 60_000);

  it('sends the text cut to the limit by the person, and Bob gets exactly that text, emoji and line breaks included', async () => {
    const page = alicePage.page;
    const text = prose('At the limit', 4000);
    expect(text.length).toBeGreaterThan(4000);
    expect(text).toContain('\n');
    await composerOf(page).fill(text);
    await expect.poll(() => counter(page).textContent()).toBe('4,000 / 4,000');
    expect(await counter(page).getAttribute('class')).not.toContain('over');
    await screenshot(page, 'composer-at-limit-desktop');
    expect(await violations(page, 'at the limit')).toEqual([]);
    await sendButton(page).click();
    expect(await composerOf(page).inputValue()).toBe('');
    const received = await receivedByBob('At the limit');
    expect(received.length).toBe(text.length);
    expect(received).toBe(text);
  }, 90_000);

  it('counts an emoji as one character near the limit, and delivers a message of 4,000 emoji whole', async () => {
    const page = alicePage.page;
    const emoji = `Wave${'👋'.repeat(3996)}`;
    expect(charactersOf(emoji)).toBe(4000);
    await composerOf(page).fill(emoji);
    await expect.poll(() => counter(page).textContent()).toBe('4,000 / 4,000');
    expect(await sendButton(page).isEnabled()).toBe(true);
    await composerOf(page).press('End');
    await page.keyboard.insertText('🎉');
    await expect.poll(() => counter(page).textContent()).toBe('4,001 / 4,000 · 1 too many to send');
    expect(await sendButton(page).isDisabled()).toBe(true);
    await page.keyboard.press('Backspace');
    await expect.poll(() => counter(page).textContent()).toBe('4,000 / 4,000');
    expect(await composerOf(page).inputValue()).toBe(emoji);
    await bobPage.page.setViewportSize(PHONE);
    await composerOf(bobPage.page).fill(`${'b'.repeat(3700)} nearly there`);
    await expect.poll(() => counter(bobPage.page).textContent()).toBe('3,713 / 4,000');
    await screenshot(bobPage.page, 'composer-near-limit-phone');
    expect(await violations(bobPage.page, 'near the limit')).toEqual([]);
    await composerOf(bobPage.page).fill('');
    expect(await counter(bobPage.page).count()).toBe(0);

    await composerOf(page).press('Enter');
    const received = await receivedByBob('Wave👋');
    expect(received).toBe(emoji);
  }, 90_000);

  it('grows the composer with Shift+Enter lines, sends on Enter, and Bob gets the lines as written', async () => {
    const page = alicePage.page;
    const composer = composerOf(page);
    const height = () => composer.evaluate((e) => e.getBoundingClientRect().height);
    const oneLine = await height();
    await composer.pressSequentially('Shopping list:');
    for (const item of ['bread', 'milk', 'olives']) {
      await composer.press('Shift+Enter');
      await composer.pressSequentially(item);
    }
    expect(await composer.inputValue()).toBe('Shopping list:\nbread\nmilk\nolives');
    const fourLines = await height();
    expect(fourLines).toBeGreaterThan(oneLine * 2);
    await composer.press('Enter');
    expect(await composer.inputValue()).toBe('');
    expect(await height()).toBe(oneLine);
    expect(await receivedByBob('Shopping list:')).toBe('Shopping list:\nbread\nmilk\nolives');
  }, 60_000);

  it('puts emoji from the picker where the caret is, keeps it open for more, and offers the recent ones first', async () => {
    const page = alicePage.page;
    const composer = composerOf(page);
    await composer.fill('Picked there');
    // The caret after "Picked".
    await composer.press('Home');
    for (let i = 0; i < 'Picked'.length; i++) await composer.press('ArrowRight');
    await page.getByRole('button', { name: 'Emoji', exact: true }).click();
    const panel = page.getByRole('dialog', { name: 'Emoji' });
    await panel.getByRole('tab', { name: 'People' }).click();
    await panel.getByRole('button', { name: '👋' }).click();
    await panel.getByRole('tab', { name: 'Hearts' }).click();
    await panel.getByRole('button', { name: '❤️' }).click();
    expect(await composer.inputValue()).toBe('Picked👋❤️ there');
    await screenshot(page, 'emoji-picker-desktop');
    expect(await accessibilityViolations(page)).toEqual([]);
    // Esc closes it, and the message box has the focus again.
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(await composer.evaluate((el) => el === document.activeElement)).toBe(true);
    // Opened again, it starts with what was just used, the last first.
    await page.getByRole('button', { name: 'Emoji', exact: true }).click();
    expect(await panel.getByRole('tab', { name: 'Recent' }).getAttribute('aria-selected')).toBe('true');
    const recent = await panel.getByRole('tabpanel').getByRole('button').allTextContents();
    expect(recent.slice(0, 2)).toEqual(['❤️', '👋']);
    await page.setViewportSize(PHONE);
    await screenshot(page, 'emoji-picker-phone');
    await page.setViewportSize(DESKTOP);
    await page.keyboard.press('Escape');
    await composer.press('Enter');
    expect(await receivedByBob('Picked')).toBe('Picked👋❤️ there');
  }, 60_000);

  it('keeps a message refused because Bob blocked Alice in the chat, marked with why, through a reload; Retry once he unblocks delivers it once', async () => {
    const page = alicePage.page;
    const bobs = apiFor(stack, bob);
    await bobs.blockUser({ params: { userId: alice.userId } });
    const text = 'Are we still on for Saturday?';
    await composerOf(page).fill(text);
    await composerOf(page).press('Enter');

    const failed = messages(page).locator('.message.failed', { hasText: text });
    await why(failed.getByRole('alert').getByText('Not sent:').waitFor({ timeout: 30_000 }));
    expect(await failed.getByRole('alert').textContent()).toContain(
      'Not sent: You can’t message this person now: you are not friends.',
    );
    expect(await composerOf(page).inputValue()).toBe('');
    expect(await failed.locator('.text').textContent()).toBe(text);
    const messageId = await failed.getAttribute('data-message-id');
    expect(messageId).toBeTruthy();
    // The chat's row in the list says so too, in place of the last message.
    const row = page.getByRole('navigation', { name: 'Conversations' }).locator('.conversation-row', {
      has: page.locator('.title-text', { hasText: /bob/ }),
    });
    expect(await row.locator('.preview').textContent()).toBe(`Not sent: ${text}`);
    await screenshot(page, 'failed-message-desktop');
    expect(await violations(page, 'failed message')).toEqual([]);
    await page.setViewportSize(PHONE);
    await failed.scrollIntoViewIfNeeded();
    await screenshot(page, 'failed-message-phone');
    expect(await violations(page, 'failed message, phone')).toEqual([]);
    await page.setViewportSize(DESKTOP);

    // A reload keeps it, marked, with its text.
    await page.reload();
    await page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /bob/ })
      .click({ timeout: 60_000 });
    await failed.getByRole('alert').getByText('Not sent:').waitFor({ timeout: 30_000 });
    expect(await failed.locator('.text').textContent()).toBe(text);

    await bobs.unblockUser({ params: { userId: alice.userId } });
    await befriend(stack, bob, alice);
    await failed.getByRole('button', { name: 'Retry' }).click();
    await why(failed.waitFor({ state: 'detached', timeout: 30_000 }));
    await messages(page).locator('.message.own:not(.pending)', { hasText: text }).waitFor();
    await expect.poll(() => row.locator('.preview').textContent()).toBe(text);
    expect(await receivedByBob(text)).toBe(text);
    // Once on Bob's screen, once in the log: the retry went under the first message id.
    expect((await bobSees()).filter((shown) => shown === text)).toHaveLength(1);
    const stored = (await logAfter(bobs, conversationId)).filter((entry) => entry.messageId === messageId);
    expect(stored).toHaveLength(1);
  }, 180_000);

  it('puts a refused message back in the composer with Edit, and deletes another with Delete: nothing of it is sent', async () => {
    const page = alicePage.page;
    const bobs = apiFor(stack, bob);
    await bobs.blockUser({ params: { userId: alice.userId } });
    const kept = 'Call me when you can';
    const dropped = 'Never mind, forget it';
    for (const text of [kept, dropped]) {
      await composerOf(page).fill(text);
      await composerOf(page).press('Enter');
      await why(
        messages(page)
          .locator('.message.failed', { hasText: text })
          .getByText('Not sent:')
          .waitFor({ timeout: 30_000 }),
      );
    }
    const droppedBubble = messages(page).locator('.message.failed', { hasText: dropped });
    const droppedId = await droppedBubble.getAttribute('data-message-id');
    if (droppedId === null) throw new Error('The refused message has no id');
    const triesOfDropped = () => alicePage.sent.filter((frame) => frame.includes(droppedId)).length;
    const triedBeforeDelete = triesOfDropped();
    // Delete asks nothing: it was never sent.
    await droppedBubble.getByRole('button', { name: 'Delete' }).click();
    await droppedBubble.waitFor({ state: 'detached' });
    const keptBubble = messages(page).locator('.message.failed', { hasText: kept });
    await keptBubble.getByRole('button', { name: 'Edit' }).click();
    await keptBubble.waitFor({ state: 'detached' });
    expect(await composerOf(page).inputValue()).toBe(kept);

    await bobs.unblockUser({ params: { userId: alice.userId } });
    await befriend(stack, bob, alice);
    await composerOf(page).press('Enter');
    expect(await receivedByBob(kept)).toBe(kept);
    // The reconnection of a reload flushes what is left of the outbox: nothing is.
    await page.reload();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 60_000 });
    await composerOf(bobPage.page).fill('Got it');
    await composerOf(bobPage.page).press('Enter');
    await messages(bobPage.page).locator('.message.own:not(.pending)', { hasText: 'Got it' }).waitFor({
      timeout: 30_000,
    });
    expect(await bobSees()).not.toContain(dropped);
    const log = await logAfter(bobs, conversationId);
    expect(log.some((entry) => entry.messageId === droppedId)).toBe(false);
    expect(triesOfDropped()).toBe(triedBeforeDelete);
  }, 180_000);
});
