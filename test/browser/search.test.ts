import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessagePayload } from '../../shared/e2ee/attachment-payload';
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
  signUpInBrowser,
} from '../support/browser';
import { type E2eeTestDevice, openDevice, sendAsWebClient } from '../support/e2ee-device';
import { PASSWORD, type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

/** Messages Bob sends between the old one and the newest: more than the first page a chat opens with. */
const FILLER_MESSAGES = 260;

/**
 * Alice in Chromium, Bob on a device of his own (the E2EE client in Node). Bob writes a few hundred
 * messages in their chat and a few in a group; Alice searches what her browser keeps, in both, and
 * jumps to a message far up the history.
 */
describe('the web client in Chromium: message search', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Awaited<ReturnType<typeof openPage>>;
  let bob: Persona;
  let bobLaptop: E2eeTestDevice;
  let direct: string;
  let group: string;
  const run = randomUUID().slice(0, 6);
  const groupName = `Trip ${run}`;
  const aliceEmail = `alice.${run}@example.com`;
  const seqOf = new Map<string, number>();

  const say = async (conversationId: string, text: string) => {
    const { seq } = await sendAsWebClient(bobLaptop, conversationId, text);
    seqOf.set(text, seq);
  };
  const navigation = () => alice.page.getByRole('navigation', { name: 'Conversations' });
  const dialog = () => alice.page.getByRole('dialog', { name: 'Search messages' });
  const results = () => dialog().getByRole('list', { name: 'Search results' }).getByRole('listitem');
  /** Searches for `query` and resolves to the results' texts, once the search for it has answered. */
  const search = async (query: string): Promise<string[]> => {
    if (!(await dialog().isVisible())) await alice.page.keyboard.press('Control+Shift+F');
    const field = dialog().getByRole('searchbox', { name: 'Search messages' });
    await field.fill('');
    await field.fill(query);
    await dialog()
      .getByRole('status')
      .filter({ hasText: `“${query}”` })
      .waitFor({ timeout: 30_000 });
    return results().locator('.search-text').allTextContents();
  };

  beforeAll(async () => {
    stack = await startTestStack({ rateLimits: { send: { limit: 10_000, windowSeconds: 60 } } });
    browser = await launchBrowser();
    alice = await openPage(browser, stack, DESKTOP);
    await signUpInBrowser(alice.page, stack, aliceEmail, PASSWORD);
    bob = await signUp(stack, 'bob');
    bobLaptop = await openDevice(stack, bob, 'laptop');
    const bobs = apiFor(stack, bob);
    const aliceId = await befriendInBrowser(alice.page, bobs, aliceEmail);
    direct = (await bobs.createConversation({ body: { kind: 'direct', userId: aliceId } })).conversationId;
    group = (
      await bobs.createConversation({ body: { kind: 'group', name: groupName, memberIds: [aliceId] } })
    ).conversationId;

    await say(direct, 'An old note about the Zeppelin museum');
    await say(direct, 'Café crème at the station');
    for (let i = 1; i <= FILLER_MESSAGES; i++) await say(direct, `filler ${i}`);
    await say(direct, 'meet by the lighthouse');
    await say(direct, 'the password is marmalade');
    await say(direct, '来年は旅行に行きたい');
    await say(direct, 'zeppelin tickets are booked');
    await say(group, 'Who wants a zeppelin ride on Saturday?');
    await say(group, 'last one in the group');
    // Everything has reached Alice's browser once the newest of each chat shows there.
    await navigation().getByRole('button', { name: /bob/ }).click();
    await alice.page
      .getByRole('list', { name: 'Messages' })
      .getByText('zeppelin tickets are booked')
      .waitFor({ timeout: 120_000 });
    await navigation()
      .getByRole('button', { name: new RegExp(groupName) })
      .click();
    await alice.page
      .getByRole('list', { name: 'Messages' })
      .getByText('last one in the group')
      .waitFor({ timeout: 60_000 });
  }, 300_000);

  afterAll(async () => {
    await bobLaptop?.close();
    await browser?.close();
    await stack?.stop();
  });

  it('finds messages in both conversations by a word’s beginning, newest first, the match marked', async () => {
    await alice.page.getByRole('button', { name: 'Search messages' }).click();
    expect(
      await dialog()
        .getByRole('searchbox', { name: 'Search messages' })
        .evaluate((el) => el === document.activeElement),
    ).toBe(true);
    expect(await search('zepp')).toEqual([
      'Who wants a zeppelin ride on Saturday?',
      'zeppelin tickets are booked',
      'An old note about the Zeppelin museum',
    ]);
    expect(await dialog().getByRole('status').textContent()).toBe('3 messages found for “zepp”');
    expect(await results().locator('mark').allTextContents()).toEqual(['zepp', 'zepp', 'Zepp']);
    // Each names its conversation and sender.
    expect(await results().first().locator('.search-title').textContent()).toBe(groupName);
    expect(await results().nth(1).locator('.search-meta').textContent()).toContain('bob');
    expect(await results().first().locator('time').getAttribute('datetime')).toMatch(/^\d{4}-/);

    await screenshot(alice.page, 'search-results-desktop');
    expect(await accessibilityViolations(alice.page)).toEqual([]);
    await alice.page.setViewportSize(PHONE);
    await screenshot(alice.page, 'search-results-phone');
    expect(await accessibilityViolations(alice.page)).toEqual([]);
    await alice.page.setViewportSize(DESKTOP);

    expect(await search('zeppelin museum')).toEqual(['An old note about the Zeppelin museum']);
    expect(await search('nothing-like-this')).toEqual([]);
  }, 120_000);

  it('matches without accents and finds Japanese words inside a sentence', async () => {
    expect(await search('cafe creme')).toEqual(['Café crème at the station']);
    expect(await results().locator('mark').allTextContents()).toEqual(['Café', 'crème']);
    expect(await search('旅行')).toEqual(['来年は旅行に行きたい']);
    expect(await results().locator('mark').allTextContents()).toEqual(['旅行']);
  }, 60_000);

  it('caps the results and shows more on demand', async () => {
    expect(await search('filler')).toHaveLength(50);
    expect(await dialog().getByRole('status').textContent()).toBe('50+ messages found for “filler”');
    await dialog().getByRole('button', { name: 'Show more results' }).click();
    await expect.poll(() => results().count(), { timeout: 30_000 }).toBe(100);
    expect(await results().first().locator('.search-text').textContent()).toBe(`filler ${FILLER_MESSAGES}`);
  }, 60_000);

  it('finds an edited message by its new words, and a deleted one not at all', async () => {
    const edited = encodeMessagePayload({ text: 'meet by the harbour' });
    if (!edited) throw new Error('Not a payload');
    await bobLaptop.client.send(direct, edited, {
      kind: 'edit',
      refSeq: seqOf.get('meet by the lighthouse'),
    });
    await apiFor(stack, bob).deleteMessage({
      params: { conversationId: direct, seq: seqOf.get('the password is marmalade') as number },
    });
    await expect.poll(() => search('harbour'), { timeout: 30_000 }).toEqual(['meet by the harbour']);
    await expect.poll(() => search('marmalade'), { timeout: 30_000 }).toEqual([]);
    expect(await search('lighthouse')).toEqual([]);
    expect(await search('meet')).toEqual(['meet by the harbour']);
  }, 60_000);

  it('keeps the index in IndexedDB, encrypted: no word of a message in any key or value', async () => {
    const storage = await browserStorage(alice.page);
    expect(storage).toMatch(/search\/[^/\s]+\/\d+/);
    for (const word of ['Zeppelin', 'zeppelin', 'harbour', 'marmalade', '旅行', 'creme'])
      expect(storage).not.toContain(word);
  }, 60_000);

  it('after a reload, jumps to an old message: loads the pages above, scrolls to it and marks it', async () => {
    await alice.page.reload();
    await navigation().waitFor({ timeout: 60_000 });
    // The chat opened at its newest messages does not hold the old one.
    await navigation().getByRole('button', { name: /bob/ }).click();
    const list = alice.page.getByRole('list', { name: 'Messages' });
    await list.getByText('zeppelin tickets are booked').waitFor({ timeout: 30_000 });
    const old = list.locator('li.message', { hasText: 'An old note about the Zeppelin museum' });
    expect(await old.count()).toBe(0);

    expect(await search('museum')).toEqual(['An old note about the Zeppelin museum']);
    await results().first().getByRole('button').click();
    await dialog().waitFor({ state: 'detached' });
    await old.waitFor({ timeout: 30_000 });
    expect(await old.getAttribute('class')).toContain('found');
    expect(await old.evaluate((el) => el === document.activeElement)).toBe(true);
    // In view, inside the list's box.
    await expect
      .poll(
        async () => {
          const [box, item] = await Promise.all([list.boundingBox(), old.boundingBox()]);
          return Boolean(box && item && item.y >= box.y && item.y + item.height <= box.y + box.height);
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    await screenshot(alice.page, 'search-jump-desktop');
    // The mark fades and goes.
    await expect.poll(() => old.getAttribute('class'), { timeout: 15_000 }).not.toContain('found');
  }, 120_000);

  it('jumps to a message of another conversation', async () => {
    expect(await search('saturday')).toEqual(['Who wants a zeppelin ride on Saturday?']);
    await results().first().getByRole('button').click();
    await alice.page.getByRole('heading', { name: groupName }).waitFor({ timeout: 30_000 });
    const item = alice.page
      .getByRole('list', { name: 'Messages' })
      .locator('li.message', { hasText: 'Who wants a zeppelin ride on Saturday?' });
    await expect.poll(() => item.getAttribute('class'), { timeout: 30_000 }).toContain('found');
  }, 60_000);

  it('searches offline too, and Esc closes the search', async () => {
    await alice.context.setOffline(true);
    await alice.page
      .getByRole('status')
      .filter({ hasText: /Offline/ })
      .waitFor({ timeout: 30_000 });
    expect(await search('zeppelin')).toHaveLength(3);
    expect(await search('harbour')).toEqual(['meet by the harbour']);
    await alice.page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
    await alice.context.setOffline(false);
  }, 60_000);
});
