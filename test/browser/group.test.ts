import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend } from '../support/api';
import {
  accessibilityViolations,
  browserStorage,
  DESKTOP,
  explained,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
  setTabVisible,
  signInInBrowser,
} from '../support/browser';
import { findMarker } from '../support/e2ee-device';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';
import { serverContents } from '../support/stored';

type OpenPage = Awaited<ReturnType<typeof openPage>>;

/**
 * Three people in three browser contexts: Alice makes a group with Bob and Carol in the UI, all three talk,
 * then Alice removes Carol, who sees nothing sent after. Every message carries a marker; afterwards no
 * marker is in the gateways' traffic, the function logs, the table, S3 or any browser's storage, while the
 * group's name, sent in the clear, is found there.
 */
describe('the web client in Chromium: a group of three, one removed', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let alicePage: OpenPage;
  let bobPage: OpenPage;
  let carolPage: OpenPage;
  const run = randomUUID().slice(0, 8);
  const groupName = `Trip ${run}`;
  const markers: string[] = [];
  const marker = (label: string) => {
    const value = `CANARY-${label}-${run}-${markers.length} ✈️ رحلة 旅行`;
    markers.push(value);
    return value;
  };

  const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });
  /** The texts the page shows in its open conversation, top to bottom. */
  const shown = (page: Page) => messages(page).locator('.message:not(.pending) .text').allTextContents();
  const send = async (page: Page, value: string) => {
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill(value);
    await composer.press('Enter');
    await messages(page).getByText(value).waitFor({ timeout: 30_000 });
  };
  /** Opens the group from the list, unless the page shows it already. */
  const openGroup = async ({ page, frames }: OpenPage) => {
    if (await page.getByRole('heading', { name: groupName }).isVisible()) return;
    await page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: new RegExp(groupName) })
      .click({ timeout: 30_000 })
      .catch(async (error: unknown) => {
        await screenshot(page, 'failed-open-group');
        throw new Error(`The group is not in the list; the page got ${frames.join('\n')}`, { cause: error });
      });
    await messages(page).waitFor();
  };
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
    await Promise.all([befriend(stack, alice, bob), befriend(stack, alice, carol)]);
    [alicePage, bobPage, carolPage] = await Promise.all([
      openPage(browser, stack, DESKTOP),
      openPage(browser, stack, PHONE),
      openPage(browser, stack, DESKTOP),
    ]);
    // Each browser signs in and makes its device keys.
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

  it('makes a group in the UI, and every member reads every message in the same order', async () => {
    const page = alicePage.page;
    await page.getByRole('button', { name: 'New group' }).click();
    await page.getByLabel('Group name').fill(groupName);
    await page.getByRole('checkbox', { name: new RegExp(bob.username) }).check();
    await page.getByRole('checkbox', { name: new RegExp(carol.username) }).check();
    await screenshot(page, 'new-group-desktop');
    expect(await violations(page, 'new group')).toEqual([]);
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('heading', { name: groupName }).waitFor({ timeout: 30_000 });

    const sent: string[] = [];
    for (const [from, label] of [
      [alicePage, 'alice'],
      [bobPage, 'bob'],
      [carolPage, 'carol'],
    ] as const) {
      await openGroup(from);
      const value = marker(label);
      await send(from.page, value);
      sent.push(value);
      for (const reader of [alicePage, bobPage, carolPage]) {
        await openGroup(reader);
        await messages(reader.page).getByText(value).waitFor({ timeout: 30_000 });
      }
    }
    for (const reader of [alicePage, bobPage, carolPage]) expect(await shown(reader.page)).toEqual(sent);
    await bobPage.page.getByText('3 members').waitFor();
    await screenshot(alicePage.page, 'group-chat-desktop');
    await screenshot(bobPage.page, 'group-chat-phone');
    expect(await violations(bobPage.page, 'group chat')).toEqual([]);
  }, 150_000);

  it('shows a reaction, a reply, an edit and a deletion to every member', async () => {
    const [fromAlice, fromBob] = markers as [string, string, string];
    /** The message whose own text (not a quote of it) is `text`. */
    const bubble = (page: Page, text: string) =>
      messages(page)
        .locator('.message')
        .filter({ has: page.locator('.text', { hasText: text }) });
    const act = async (page: Page, text: string, action: string) => {
      await bubble(page, text).getByRole('button', { name: 'Message actions' }).click();
      await bubble(page, text).getByRole('button', { name: action }).click();
    };
    const everyone = [alicePage, bobPage, carolPage];

    await act(bobPage.page, fromAlice, 'React 👍');
    for (const { page } of everyone) {
      await bubble(page, fromAlice)
        .getByRole('button', { name: `👍 1, from ${bob.username}` })
        .waitFor({ timeout: 30_000 });
    }

    await act(carolPage.page, fromBob, 'Reply');
    const reply = marker('carol-reply');
    await send(carolPage.page, reply);
    for (const { page } of everyone) {
      await bubble(page, reply).locator('blockquote', { hasText: fromBob }).waitFor({ timeout: 30_000 });
    }

    await act(alicePage.page, fromAlice, 'Edit');
    const edited = marker('alice-edited');
    const composer = alicePage.page.getByLabel('Message', { exact: true });
    await composer.fill(edited);
    await composer.press('Enter');
    for (const { page } of everyone) {
      await bubble(page, edited).locator('.meta', { hasText: 'edited' }).waitFor({ timeout: 30_000 });
      await expect.poll(() => bubble(page, fromAlice).count()).toBe(0);
    }

    await act(bobPage.page, fromBob, 'Delete');
    await bobPage.page
      .getByRole('dialog', { name: 'Delete this message for everyone?' })
      .getByRole('button', { name: 'Delete for everyone' })
      .click();
    for (const { page } of everyone) {
      await expect.poll(() => bubble(page, fromBob).count(), { timeout: 30_000 }).toBe(0);
      // The reply still quotes it, as deleted.
      await bubble(page, reply).locator('blockquote', { hasText: 'Message deleted' }).waitFor();
    }
    await screenshot(carolPage.page, 'group-edits-desktop');
    expect(await violations(carolPage.page, 'reactions and replies')).toEqual([]);
  }, 150_000);

  it('shows Alice, on demand, who has read her message and whose browser only has it', async () => {
    // Carol's tab is in the background: her browser gets the message, she does not see it.
    const setVisible = (visible: boolean) => setTabVisible(carolPage.page, visible);
    for (const page of [alicePage, bobPage, carolPage]) await openGroup(page);
    await setVisible(false);
    const value = marker('receipts');
    await send(alicePage.page, value);
    await messages(carolPage.page).getByText(value).waitFor({ timeout: 30_000 });
    await messages(bobPage.page).getByText(value).waitFor({ timeout: 30_000 });

    // Read by Bob, only delivered to Carol: the message as a whole is "Delivered", one tick short of read.
    const ticks = messages(alicePage.page).locator('.message.own', { hasText: value }).locator('.ticks');
    await expect.poll(() => ticks.textContent(), { timeout: 30_000 }).toBe('Delivered');
    await ticks.click();
    const info = messages(alicePage.page)
      .locator('.message.own', { hasText: value })
      .locator('.receipt-info');
    const row = (heading: string) =>
      info
        .locator('div', { has: alicePage.page.locator('dt', { hasText: heading }) })
        .locator('dd')
        .allTextContents();
    await expect.poll(() => row('Read by'), { timeout: 30_000 }).toEqual([bob.username]);
    expect(await row('Delivered to')).toEqual([carol.username]);
    await screenshot(alicePage.page, 'group-receipt-info-desktop');
    expect(await violations(alicePage.page, 'receipt info')).toEqual([]);

    // Carol comes back to the tab: read by everyone.
    await setVisible(true);
    await expect.poll(() => ticks.textContent(), { timeout: 30_000 }).toBe('Read');
    const everyone = (await row('Read by'))[0]?.split(', ').sort();
    expect(everyone).toEqual([bob.username, carol.username].sort());
    expect(await row('Delivered to')).toEqual([]);
  }, 120_000);

  it('removes Carol: she loses the group and sees nothing sent after', async () => {
    const page = alicePage.page;
    await page.getByRole('button', { name: 'Members' }).click();
    const panel = page.getByRole('region', { name: 'Group members' });
    await panel.getByRole('button', { name: new RegExp(`Remove ${carol.username}`) }).waitFor();
    await screenshot(page, 'group-members-desktop');
    expect(await violations(page, 'group members')).toEqual([]);
    // Removing asks first; Cancel keeps her.
    const confirm = page.getByRole('dialog', { name: `Remove ${carol.username} from “${groupName}”?` });
    await panel.getByRole('button', { name: new RegExp(`Remove ${carol.username}`) }).click();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect(await page.getByText('3 members').count()).toBe(1);
    await panel.getByRole('button', { name: new RegExp(`Remove ${carol.username}`) }).click();
    await screenshot(page, 'group-remove-confirm-desktop');
    expect(await violations(page, 'remove confirmation')).toEqual([]);
    await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByText('2 members').waitFor({ timeout: 30_000 });
    await bobPage.page.getByText('2 members').waitFor({ timeout: 30_000 });

    // Carol's list no longer has the group, and she is told why.
    await carolPage.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: new RegExp(groupName) })
      .waitFor({ state: 'detached', timeout: 30_000 });
    await carolPage.page
      .getByRole('alert')
      .getByText(/removed you/)
      .waitFor({ timeout: 30_000 });
    await screenshot(carolPage.page, 'removed-desktop');

    const framesBeforeRemoval = carolPage.frames.length;
    const after = marker('after-removal');
    await send(page, after);
    await messages(bobPage.page).getByText(after).waitFor({ timeout: 30_000 });
    const reply = marker('bob-after-removal');
    await send(bobPage.page, reply);
    await messages(page).getByText(reply).waitFor({ timeout: 30_000 });
    expect((await shown(page)).slice(-2)).toEqual([after, reply]);
    expect((await shown(bobPage.page)).slice(-2)).toEqual([after, reply]);

    // Carol's browser got neither message: the server pushed her no message of the group since her removal
    // (the frames are ciphertext, so this is what would show a leak), and neither is on her screen.
    const groupId = /#(.+)$/.exec(page.url())?.[1];
    const pushedToCarol = carolPage.frames
      .slice(framesBeforeRemoval)
      .map((frame) => JSON.parse(frame) as { type?: string; conversationId?: string })
      .filter((frame) => frame.type === 'message' && frame.conversationId === groupId);
    expect(groupId).toBeDefined();
    expect(pushedToCarol).toEqual([]);
    // Alice and Bob's screens did get them, by push: the filter above would have found them.
    expect(
      bobPage.frames.some((frame) => frame.includes('"type":"message"') && frame.includes(groupId ?? '?')),
    ).toBe(true);
    const carolSees = (await carolPage.page.content()) + carolPage.frames.join('\n');
    expect(carolSees).not.toContain(after);
    expect(carolSees).not.toContain(reply);
    // Her socket is still the one that received the group's earlier messages: the search above is not empty.
    expect(carolPage.frames.join('\n')).toContain(groupName);
  }, 150_000);

  it('leaves no marker in traffic, function logs, the table, S3 or any browser storage', async () => {
    const traffic = stack.traffic.map((record) => record.body).join('\n');
    const logs = stack.logs.map((log) => log.line).join('\n');
    const stored = await serverContents(stack);
    const browsers = await Promise.all([alicePage, bobPage, carolPage].map((p) => browserStorage(p.page)));

    // The searches work: the group's name travels and is stored in the clear and is found; the browsers'
    // storage is read (the stored history is keyed by conversation, in the clear), and its values are
    // there as ciphertext.
    expect(findMarker(traffic, [groupName])).toBeDefined();
    expect(findMarker(stored.text, [groupName])).toBeDefined();
    const groupId = /#(.+)$/.exec(alicePage.page.url())?.[1];
    expect(groupId).toBeDefined();
    for (const storage of browsers) expect(storage).toContain(`history/${groupId}`);
    expect(browsers[0]).toContain('[CryptoKey extractable=false]');

    expect(markers).toHaveLength(8);
    expect(findMarker(traffic, markers)).toBeUndefined();
    expect(findMarker(logs, markers)).toBeUndefined();
    expect(findMarker(stored.text, markers)).toBeUndefined();
    for (const storage of browsers) expect(findMarker(storage, markers)).toBeUndefined();
  }, 150_000);

  it('shows settings with devices and safety numbers at both widths', async () => {
    for (const [{ page }, width] of [
      [alicePage, 'desktop'],
      [bobPage, 'phone'],
    ] as const) {
      if (width === 'phone') await page.getByRole('button', { name: 'Back to conversations' }).click();
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Your devices' }).waitFor();
      await page
        .getByText(/(\d{5} ){11}\d{5}/)
        .first()
        .waitFor({ timeout: 30_000 });
      await screenshot(page, `settings-${width}`);
      expect(await violations(page, `settings ${width}`)).toEqual([]);
    }
    // Alice and Bob see the same safety number for each other.
    const numberOn = async (page: Page, name: string) =>
      (
        await page
          .getByRole('listitem')
          .filter({ hasText: name })
          .getByText(/(\d{5} ){11}\d{5}/)
          .textContent()
      )
        ?.replace(/\s+/g, ' ')
        .trim();
    expect(await numberOn(alicePage.page, bob.username)).toBe(await numberOn(bobPage.page, alice.username));
    for (const { problems } of [alicePage, bobPage, carolPage]) {
      expect(problems.filter((p) => !/status of (400|401|409)/.test(p))).toEqual([]);
    }
  }, 150_000);

  it('revokes a browser from settings: it is signed out and forgets its keys; friends are warned', async () => {
    // Alice signs in on a phone: a second device, which her laptop's settings list at once.
    const phone = await openPage(browser, stack, PHONE);
    await signInInBrowser(phone.page, alice.email, alice.password);
    const devices = alicePage.page.getByRole('region', { name: 'Your devices' });
    await devices.getByRole('listitem').nth(1).waitFor({ timeout: 30_000 });
    expect(await devices.getByRole('listitem').count()).toBe(2);

    // Bob compared his safety number with Alice before: now it changed, and his settings say so.
    const bobs = bobPage.page;
    await bobs.getByRole('button', { name: 'Back', exact: true }).click();
    await bobs.getByRole('button', { name: 'Settings' }).click();
    await bobs
      .getByRole('alert')
      .filter({ hasText: `safety number with ${alice.username} changed` })
      .waitFor({ timeout: 30_000 });
    await screenshot(bobs, 'safety-number-changed-phone');

    await devices.getByRole('button', { name: /^Revoke/ }).click();
    await alicePage.page
      .getByRole('dialog', { name: /^Revoke / })
      .getByRole('button', { name: 'Revoke' })
      .click();
    // A revoked device leaves the list.
    await expect.poll(() => devices.getByRole('listitem').count(), { timeout: 30_000 }).toBe(1);

    // The phone learns it at once: it signs out, says why, and its encrypted store is gone.
    const pages = { alice: alicePage, bob: bobPage, phone };
    await explained(
      phone.page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 }),
      pages,
      stack,
    );
    await phone.page.getByText(/removed from your devices/).waitFor();
    await screenshot(phone.page, 'revoked-phone');
    expect(await phone.page.evaluate(() => localStorage.getItem('parley.session'))).toBeNull();
    const databases = await phone.page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    expect(databases).not.toContain(`parley-${alice.userId}`);
    // Alice's laptop goes on.
    await openGroup(alicePage);
    const still = marker('after-revoke');
    await send(alicePage.page, still);
    await bobPage.page.getByRole('button', { name: 'Back', exact: true }).click();
    await openGroup(bobPage);
    await explained(messages(bobPage.page).getByText(still).waitFor({ timeout: 30_000 }), pages, stack);
    await phone.context.close();
  }, 150_000);
});
