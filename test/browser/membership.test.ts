import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiFor, befriend } from '../support/api';
import {
  accessibilityViolations,
  DESKTOP,
  explained,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
  signInInBrowser,
  webUrlOf,
} from '../support/browser';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

type OpenPage = Awaited<ReturnType<typeof openPage>>;

const SAFETY_NUMBER = /(\d{5} ){11}\d{5}/;

/**
 * What people see when the people and devices around them change: safety numbers kept current when anyone
 * adds a browser (and a warning only about the side that changed), a removed member added back, and a
 * direct chat with someone who is no longer a friend.
 */
describe('the web client in Chromium: devices and members that come and go', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let alices: Api;
  let alicePage: OpenPage;
  let bobPage: OpenPage;
  let carolPage: OpenPage;
  const run = randomUUID().slice(0, 8);
  const groupName = `Book club ${run}`;

  const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });
  const conversations = (page: Page) => page.getByRole('navigation', { name: 'Conversations' });
  const send = async (page: Page, value: string) => {
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill(value);
    await composer.press('Enter');
    // Stored by the server, not only waiting to be sent.
    await messages(page).locator('.message:not(.pending)').getByText(value).waitFor({ timeout: 30_000 });
  };
  const openConversation = async (page: Page, name: string) => {
    if (await page.getByRole('heading', { name }).isVisible()) return;
    await conversations(page)
      .getByRole('button', { name: new RegExp(name) })
      .click({ timeout: 30_000 });
    await messages(page).waitFor();
  };
  /** The safety number a page's open settings show for a friend, spaces normalized. */
  const numberOn = async (page: Page, friend: string) =>
    (
      await page
        .getByRole('region', { name: 'Safety numbers' })
        .getByRole('listitem')
        .filter({ hasText: friend })
        .getByText(SAFETY_NUMBER)
        .textContent({ timeout: 30_000 })
    )
      ?.replace(/\s+/g, ' ')
      .trim();
  const changedWarning = (page: Page, friend: string) =>
    page.getByRole('alert').filter({ hasText: `safety number with ${friend} changed` });
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
    alices = apiFor(stack, alice);
    await Promise.all([befriend(stack, alice, bob), befriend(stack, alice, carol)]);
    [alicePage, bobPage, carolPage] = await Promise.all([
      openPage(browser, stack, DESKTOP),
      openPage(browser, stack, PHONE),
      openPage(browser, stack, DESKTOP),
    ]);
    for (const [page, persona] of [
      [alicePage, alice],
      [bobPage, bob],
      [carolPage, carol],
    ] as const) {
      await signInInBrowser(page.page, persona.email, persona.password);
    }
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('updates open safety numbers when Alice adds a browser, warning Bob about her but not her about him', async () => {
    for (const { page } of [alicePage, bobPage]) {
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Safety numbers' }).waitFor();
    }
    const before = await numberOn(alicePage.page, bob.username);
    expect(before).toMatch(SAFETY_NUMBER);
    expect(await numberOn(bobPage.page, alice.username)).toBe(before);

    // Alice signs in on a phone: a second device of hers, while both settings screens stay open.
    const phone = await openPage(browser, stack, PHONE);
    await signInInBrowser(phone.page, alice.email, alice.password);
    const pages = { alice: alicePage, bob: bobPage, phone };
    await explained(
      expect.poll(() => numberOn(alicePage.page, bob.username), { timeout: 30_000 }).not.toBe(before),
      pages,
      stack,
    );
    // Both sides show the same new number, without leaving the screen.
    const after = await numberOn(alicePage.page, bob.username);
    await expect.poll(() => numberOn(bobPage.page, alice.username), { timeout: 30_000 }).toBe(after);

    // Bob is told that Alice's devices changed; Alice is not told that Bob's did, which they did not.
    await changedWarning(bobPage.page, alice.username).waitFor({ timeout: 30_000 });
    expect(await changedWarning(alicePage.page, bob.username).count()).toBe(0);
    // Nor when she opens settings again: what she compared of Bob still holds.
    await alicePage.page.getByRole('button', { name: /^People/ }).click();
    await alicePage.page.getByRole('button', { name: 'Settings' }).click();
    expect(await numberOn(alicePage.page, bob.username)).toBe(after);
    expect(await changedWarning(alicePage.page, bob.username).count()).toBe(0);
    // Her new phone shows the same number, and no warning on its first look.
    await phone.page.getByRole('button', { name: 'Settings' }).click();
    expect(await numberOn(phone.page, bob.username)).toBe(after);
    expect(await changedWarning(phone.page, bob.username).count()).toBe(0);

    await screenshot(alicePage.page, 'safety-number-own-device-desktop');
    await screenshot(bobPage.page, 'safety-number-friend-device-phone');
    expect(await violations(alicePage.page, 'settings desktop')).toEqual([]);
    expect(await violations(bobPage.page, 'settings phone')).toEqual([]);

    // Bob compares again: the warning goes, and the number stays.
    await changedWarning(bobPage.page, alice.username).getByRole('button', { name: 'I compared it' }).click();
    await changedWarning(bobPage.page, alice.username).waitFor({ state: 'detached' });
    expect(await numberOn(bobPage.page, alice.username)).toBe(after);
    await phone.context.close();
  }, 150_000);

  it('takes a removed member back: the notice goes, and the gap reads as one line', async () => {
    const { conversationId } = await alices.createConversation({
      body: { kind: 'group', name: groupName, memberIds: [carol.userId] },
    });
    await openConversation(alicePage.page, groupName);
    const first = `Welcome, Carol ${run}`;
    await send(alicePage.page, first);
    await openConversation(carolPage.page, groupName);
    await messages(carolPage.page).getByText(first).waitFor({ timeout: 30_000 });

    await alices.removeMember({ params: { conversationId, userId: carol.userId } });
    const removed = carolPage.page.getByRole('alert').filter({ hasText: /removed you from/ });
    await removed.waitFor({ timeout: 30_000 });
    const inCarolsList = conversations(carolPage.page).getByRole('button', { name: new RegExp(groupName) });
    await inCarolsList.waitFor({ state: 'detached', timeout: 30_000 });

    // Two messages while she is out.
    const away = [`While you were out 1 ${run}`, `While you were out 2 ${run}`];
    for (const text of away) await send(alicePage.page, text);

    await alices.addMembers({ params: { conversationId }, body: { userIds: [carol.userId] } });
    // Back in her list, and the notice that she was removed is gone.
    await inCarolsList.waitFor({ timeout: 30_000 });
    await removed.waitFor({ state: 'detached', timeout: 30_000 });

    const back = `Good to have you back ${run}`;
    await send(alicePage.page, back);
    await openConversation(carolPage.page, groupName);
    const pages = { alice: alicePage, carol: carolPage };
    await explained(messages(carolPage.page).getByText(back).waitFor({ timeout: 30_000 }), pages, stack);

    // One line says what she missed and why; nothing says this browser joined late.
    const gap = messages(carolPage.page).locator('.message.system');
    await expect
      .poll(() => gap.allTextContents())
      .toEqual(['2 messages sent while you were not in the group are not shown here.']);
    expect(await messages(carolPage.page).textContent()).not.toContain('before this browser joined');
    // In order: what she read before, the gap, then the new message.
    const rows = await messages(carolPage.page).locator('.message').allTextContents();
    const at = (text: string) => rows.findIndex((row) => row.includes(text));
    expect(at(first)).toBeGreaterThanOrEqual(0);
    expect(at(first)).toBeLessThan(at('not in the group'));
    expect(at('not in the group')).toBeLessThan(at(back));
    for (const text of away) expect(at(text)).toBe(-1);

    await screenshot(carolPage.page, 're-added-member-desktop');
    expect(await violations(carolPage.page, 're-added member')).toEqual([]);
    await carolPage.page.setViewportSize(PHONE);
    await screenshot(carolPage.page, 're-added-member-phone');
    expect(await violations(carolPage.page, 're-added member phone')).toEqual([]);
    await carolPage.page.setViewportSize(DESKTOP);
  }, 150_000);

  it('keeps a direct chat titled with the other person’s name after they unfriend me', async () => {
    const bobName = (await apiFor(stack, bob).getMe()).displayName;
    await alices.createConversation({ body: { kind: 'direct', userId: bob.userId } });
    await openConversation(alicePage.page, bobName);
    await send(alicePage.page, `Hi Bob ${run}`);

    await apiFor(stack, bob).removeFriend({ params: { userId: alice.userId } });
    // Alice's browser starts again on her list, with Bob no longer among her friends.
    await alicePage.page.goto(webUrlOf(stack));
    const list = conversations(alicePage.page);
    await list.waitFor({ timeout: 30_000 });
    await explained(
      list.getByRole('button', { name: new RegExp(bobName) }).waitFor({ timeout: 30_000 }),
      { alice: alicePage },
      stack,
    );
    expect(await list.getByRole('button', { name: /Someone/ }).count()).toBe(0);
    await openConversation(alicePage.page, bobName);
    await alicePage.page.getByRole('heading', { name: bobName }).waitFor();
  }, 150_000);
});
