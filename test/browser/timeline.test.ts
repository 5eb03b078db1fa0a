import { randomUUID } from 'node:crypto';
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
 * Alice in Chromium, Bob on a device of his own (the E2EE client in Node) writing as the web client does.
 * What a person reads in a chat: formatting and links, large emoji, the day, runs of one sender, the line
 * where unread messages begin, and the way back down to the newest.
 */
describe('the web client in Chromium: a chat over time', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Awaited<ReturnType<typeof openPage>>;
  let bob: Persona;
  let bobLaptop: E2eeTestDevice;
  let conversationId: string;
  let aliceId: string;
  const aliceEmail = `alice.${randomUUID().slice(0, 6)}@example.com`;

  const say = (text: string) => sendAsWebClient(bobLaptop, conversationId, text);
  const list = () => alice.page.getByRole('list', { name: 'Messages' });
  const openChat = () =>
    alice.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /bob/ })
      .click();
  /** Alice's read mark as the server has it. */
  const aliceRead = async () => {
    const detail = await apiFor(stack, bob).getConversation({ params: { conversationId } });
    return detail.members.find((m) => m.user.userId === aliceId)?.read ?? -1;
  };

  beforeAll(async () => {
    stack = await startTestStack({ rateLimits: { send: { limit: 10_000, windowSeconds: 60 } } });
    browser = await launchBrowser();
    alice = await openPage(browser, stack, DESKTOP);
    await signUpInBrowser(alice.page, stack, aliceEmail, PASSWORD);
    bob = await signUp(stack, 'bob');
    bobLaptop = await openDevice(stack, bob, 'laptop');
    const bobs = apiFor(stack, bob);
    aliceId = await befriendInBrowser(alice.page, bobs, aliceEmail);
    conversationId = (await bobs.createConversation({ body: { kind: 'direct', userId: aliceId } }))
      .conversationId;
  }, 120_000);

  afterAll(async () => {
    await bobLaptop?.close();
    await browser?.close();
    await stack?.stop();
  });

  it('shows formatting, safe links, code and large emoji, built as elements', async () => {
    await say(
      '*bold* _slanted_ ~gone~ `a*b*c` snake_case_name see https://example.com/a_(b). javascript:alert(1)',
    );
    await say('```\nconst x = *y*;\n```');
    await say('> quoted\nanswer');
    await say('🎉');
    await openChat();
    await list().getByText('🎉').waitFor({ timeout: 30_000 });

    const first = list().locator('.message', { hasText: 'snake_case_name' });
    expect(await first.locator('strong').textContent()).toBe('bold');
    expect(await first.locator('em').textContent()).toBe('slanted');
    expect(await first.locator('s').textContent()).toBe('gone');
    expect(await first.locator('code').textContent()).toBe('a*b*c');
    const link = first.locator('a');
    expect(await link.count()).toBe(1);
    expect(await link.getAttribute('href')).toBe('https://example.com/a_(b)');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await link.getAttribute('target')).toBe('_blank');
    // Not a link, and still there as text.
    expect(await first.textContent()).toContain('javascript:alert(1)');
    expect(await first.textContent()).toContain('snake_case_name');

    expect(await list().locator('pre code').textContent()).toBe('const x = *y*;');
    expect(await list().locator('.text blockquote').textContent()).toBe('quoted');
    const party = list().locator('.text', { hasText: '🎉' });
    expect(await party.getAttribute('class')).toContain('emoji-only');
    const [big, normal] = await Promise.all([
      party.evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize)),
      first.locator('.text').evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize)),
    ]);
    expect(big).toBeGreaterThan(normal * 2);
    await screenshot(alice.page, 'formatting-desktop');
    expect(await accessibilityViolations(alice.page)).toEqual([]);
  }, 120_000);

  it('says the day once, groups one sender, and gives the full date on hover', async () => {
    expect(await list().locator('.day').allTextContents()).toEqual(['Today']);
    const bobs = list().locator('.message:not(.own)');
    const classes = await bobs.evaluateAll((items) =>
      items.map((item) => item.classList.contains('run-first')),
    );
    // Sent within seconds of each other: one run, its first message marked as such, the rest not.
    expect(classes).toEqual([true, false, false, false]);
    const time = bobs.first().locator('time');
    expect(await time.getAttribute('title')).toContain(String(new Date().getFullYear()));
  }, 60_000);

  it('opens a chat at the line where unread messages begin, and reads them there', async () => {
    // Alice looks elsewhere; Bob writes three.
    await alice.page.getByRole('button', { name: /^People/ }).click();
    for (const value of ['u1', 'u2', 'u3']) await say(value);
    const row = alice.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /bob/ });
    await expect.poll(() => row.locator('.badge').textContent(), { timeout: 30_000 }).toBe('3 unread');
    await openChat();
    const line = list().locator('.unread-line');
    await line.waitFor({ timeout: 30_000 });
    expect(await line.textContent()).toBe('3 unread messages');
    // The line sits right above the first of them.
    const next = await line.evaluate((el) => el.nextElementSibling?.textContent ?? '');
    expect(next).toContain('u1');
    await expect.poll(() => row.locator('.badge').count(), { timeout: 30_000 }).toBe(0);
    await screenshot(alice.page, 'unread-line-desktop');
  }, 60_000);

  it('marks nothing read while Alice reads further up, counts what came on the way down, and jumps there', async () => {
    for (let i = 1; i <= 40; i++) await say(`filler ${i}`);
    await list().getByText('filler 40', { exact: true }).waitFor({ timeout: 30_000 });
    const head = async () =>
      (await apiFor(stack, bob).getConversation({ params: { conversationId } })).lastSeq;
    // At the newest message, all of it is read, on the server too (a receipt goes at most once a second).
    const readAtBottom = await head();
    await expect.poll(aliceRead, { timeout: 30_000 }).toBe(readAtBottom);
    // Alice scrolls up to read an older message.
    await list().evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event('scroll'));
    });
    const jump = alice.page.getByRole('button', { name: /Jump to the latest message/ });
    await jump.waitFor({ timeout: 10_000 });
    await say('while up 1');
    await say('while up 2');
    await expect
      .poll(() => jump.getAttribute('aria-label'), { timeout: 30_000 })
      .toBe('Jump to the latest message, 2 new');
    // Not at the newest, she has not seen them: nothing more is marked read.
    await alice.page.waitForTimeout(1500);
    expect(await aliceRead()).toBe(readAtBottom);
    await screenshot(alice.page, 'jump-to-latest-desktop');
    await alice.page.setViewportSize(PHONE);
    await screenshot(alice.page, 'jump-to-latest-phone');
    expect(await accessibilityViolations(alice.page)).toEqual([]);

    await jump.click();
    await jump.waitFor({ state: 'detached' });
    await expect.poll(aliceRead, { timeout: 30_000 }).toBeGreaterThan(readAtBottom);
    const box = await list().boundingBox();
    const newest = await list().locator('.message').last().boundingBox();
    if (!box || !newest) throw new Error('No box');
    expect(box.y + box.height - (newest.y + newest.height)).toBeLessThan(60);
    await alice.page.setViewportSize(DESKTOP);
  }, 120_000);
});
