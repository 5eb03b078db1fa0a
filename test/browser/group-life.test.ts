import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiFor, befriend } from '../support/api';
import {
  accessibilityViolations,
  DESKTOP,
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

/**
 * Group life in the chat, three people in three browser contexts: the lines a group's changes leave among
 * the messages (who added, removed, renamed, made an admin, left), the same for every member, after a reload
 * and after being away; making a member admin from the Members panel; leaving after a real dialog.
 */
describe('the web client in Chromium: group life', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let dan: Persona;
  let aliceApi: Api;
  let alicePage: OpenPage;
  let bobPage: OpenPage;
  let carolPage: OpenPage;
  let group: string;
  const run = randomUUID().slice(0, 8);
  let groupName = `Trip ${run}`;

  const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });
  /** What the open chat shows, top to bottom: messages' texts and the group's lines, each marked. */
  const lines = (page: Page) =>
    messages(page)
      .locator('li.message:not(.pending) .text, li.group-event')
      .evaluateAll((items) =>
        items.map((item) =>
          item.matches('.group-event') ? `— ${item.textContent}` : (item.textContent ?? ''),
        ),
      );
  const groupLines = async (page: Page) => (await lines(page)).filter((l) => l.startsWith('— '));
  const conversations = (page: Page) => page.getByRole('navigation', { name: 'Conversations' });
  const openGroup = async (page: Page) => {
    if (await page.getByRole('heading', { name: groupName }).isVisible()) return;
    await conversations(page)
      .getByRole('button', { name: new RegExp(groupName) })
      .click({ timeout: 30_000 });
    await messages(page).waitFor();
  };
  const send = async (page: Page, value: string) => {
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill(value);
    await composer.press('Enter');
    await messages(page).getByText(value).waitFor({ timeout: 30_000 });
  };
  const violations = async (page: Page, screen: string) =>
    (await accessibilityViolations(page)).map((v) => `${screen}: ${v}`);
  const rename = async (name: string) => {
    await aliceApi.updateConversation({ params: { conversationId: group }, body: { name } });
    groupName = name;
  };

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    [alice, bob, carol, dan] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
      signUp(stack, 'dan'),
    ]);
    aliceApi = apiFor(stack, alice);
    await Promise.all([
      befriend(stack, alice, bob),
      befriend(stack, alice, carol),
      befriend(stack, alice, dan),
    ]);
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
    group = (
      await aliceApi.createConversation({ body: { kind: 'group', name: groupName, memberIds: [bob.userId] } })
    ).conversationId;
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows who added, renamed and removed as lines among the messages, to every member, not as unread', async () => {
    await openGroup(alicePage.page);
    const hello = `Hello ${run}`;
    await send(alicePage.page, hello);
    // Stored (no longer on its way) before the group changes, so it comes first in the log.
    await messages(alicePage.page)
      .locator('li.message:not(.pending)', { hasText: hello })
      .waitFor({ timeout: 30_000 });

    await aliceApi.addMembers({
      params: { conversationId: group },
      body: { userIds: [carol.userId, dan.userId] },
    });
    const first = groupName;
    await rename(`Trip ${run} 2`);
    await aliceApi.removeMember({ params: { conversationId: group, userId: dan.userId } });

    const expected = [
      hello,
      `— You added ${carol.username} and ${dan.username}`,
      `— You renamed the group to “${groupName}”`,
      `— You removed ${dan.username}`,
    ];
    await expect.poll(() => lines(alicePage.page), { timeout: 30_000 }).toEqual(expected);
    expect(first).not.toBe(groupName);

    // Bob, on his phone's list, has one unread message: the lines are not messages.
    const bobsRow = conversations(bobPage.page).getByRole('button', { name: new RegExp(groupName) });
    await expect.poll(() => bobsRow.locator('.badge').textContent(), { timeout: 30_000 }).toBe('1 unread');
    await openGroup(bobPage.page);
    const asOthers = [
      hello,
      `— ${alice.username} added ${carol.username} and ${dan.username}`,
      `— ${alice.username} renamed the group to “${groupName}”`,
      `— ${alice.username} removed ${dan.username}`,
    ];
    await expect.poll(() => lines(bobPage.page), { timeout: 30_000 }).toEqual(asOthers);
    // A line is no message: no actions, no ticks.
    expect(await messages(bobPage.page).locator('li.group-event button, li.group-event .ticks').count()).toBe(
      0,
    );

    // Carol, added, reads the line about her own joining, in words for her.
    await openGroup(carolPage.page);
    await expect
      .poll(() => groupLines(carolPage.page), { timeout: 30_000 })
      .toEqual([
        `— ${alice.username} added you and ${dan.username}`,
        `— ${alice.username} renamed the group to “${groupName}”`,
        `— ${alice.username} removed ${dan.username}`,
      ]);

    // The lines survive a reload.
    await bobPage.page.reload();
    // The address names the chat: the reload opens it again.
    await bobPage.page.getByRole('heading', { name: groupName }).waitFor({ timeout: 30_000 });
    await expect.poll(() => lines(bobPage.page), { timeout: 30_000 }).toEqual(asOthers);
    await screenshot(alicePage.page, 'group-lines-desktop');
    await screenshot(bobPage.page, 'group-lines-phone');
    expect(await violations(bobPage.page, 'group lines')).toEqual([]);
  }, 150_000);

  it('shows Carol, away while the group was renamed, the line in its place when she comes back', async () => {
    await carolPage.page.close();
    await rename(`Trip ${run} 3`);
    const page = await carolPage.context.newPage();
    carolPage = { ...carolPage, page };
    await page.goto(webUrlOf(stack));
    await openGroup(page);

    await expect
      .poll(async () => (await groupLines(page)).at(-1), { timeout: 30_000 })
      .toBe(`— ${alice.username} renamed the group to “${groupName}”`);
  }, 120_000);

  it('lets Alice make Bob an admin from the Members panel: everyone reads it, and Bob can manage the group', async () => {
    const page = alicePage.page;
    await openGroup(page);
    await page.getByRole('button', { name: 'Members' }).click();
    const panel = page.getByRole('region', { name: 'Group members' });
    await panel.getByRole('button', { name: `Make admin: ${bob.username}` }).click();

    await panel
      .getByRole('button', { name: `Dismiss as admin: ${bob.username}` })
      .waitFor({ timeout: 30_000 });
    await expect
      .poll(() => panel.getByRole('listitem').filter({ hasText: bob.username }).textContent())
      .toContain('Admin');
    await expect
      .poll(async () => (await groupLines(carolPage.page)).at(-1), { timeout: 30_000 })
      .toBe(`— ${alice.username} made ${bob.username} an admin`);
    await openGroup(bobPage.page);
    await expect
      .poll(async () => (await groupLines(bobPage.page)).at(-1), { timeout: 30_000 })
      .toBe(`— ${alice.username} made you an admin`);
    await screenshot(page, 'group-admins-desktop');
    expect(await violations(page, 'members panel')).toEqual([]);

    // Bob now has an admin's controls.
    await bobPage.page.getByRole('button', { name: 'Members' }).click();
    const bobsPanel = bobPage.page.getByRole('region', { name: 'Group members' });
    await bobsPanel
      .getByRole('button', { name: `Make admin: ${carol.username}` })
      .waitFor({ timeout: 30_000 });
    await bobsPanel.getByRole('button', { name: 'Rename' }).waitFor();
    await screenshot(bobPage.page, 'group-admins-phone');
    expect(await violations(bobPage.page, 'members panel phone')).toEqual([]);
    await bobsPanel.getByRole('button', { name: 'Close' }).click();
  }, 120_000);

  it('asks Carol before she leaves; once she does, the group leaves her list and the others read that she left', async () => {
    const page = carolPage.page;
    await openGroup(page);
    await page.getByRole('button', { name: 'Members' }).click();
    const panel = page.getByRole('region', { name: 'Group members' });
    await panel.getByRole('button', { name: 'Leave group' }).click();
    const dialog = page.getByRole('dialog', { name: `Leave “${groupName}”?` });
    await dialog.waitFor();
    await screenshot(page, 'leave-group-dialog-desktop');
    expect(await violations(page, 'leave dialog')).toEqual([]);

    // Cancel keeps her in.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await aliceApi.getConversation({ params: { conversationId: group } })).toMatchObject({
      members: expect.arrayContaining([
        expect.objectContaining({ user: expect.objectContaining({ userId: carol.userId }) }),
      ]),
    });

    await panel.getByRole('button', { name: 'Leave group' }).click();
    await dialog.getByRole('button', { name: 'Leave group' }).click();
    await conversations(page)
      .getByRole('button', { name: new RegExp(groupName) })
      .waitFor({ state: 'detached', timeout: 30_000 });
    for (const other of [alicePage.page, bobPage.page]) {
      await expect
        .poll(async () => (await groupLines(other)).at(-1), { timeout: 30_000 })
        .toBe(`— ${carol.username} left`);
    }
    await alicePage.page.getByText('2 members').waitFor({ timeout: 30_000 });
    for (const { problems } of [alicePage, bobPage, carolPage]) {
      expect(problems.filter((p) => !/status of (400|401|409)/.test(p))).toEqual([]);
    }
  }, 120_000);
});
