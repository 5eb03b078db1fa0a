import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFor } from '../support/api';
import {
  befriendInBrowser,
  DESKTOP,
  launchBrowser,
  openPage,
  screenshot,
  signUpInBrowser,
} from '../support/browser';
import { type E2eeTestDevice, openDevice } from '../support/e2ee-device';
import { PASSWORD, type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

const text = (value: string) => new TextEncoder().encode(value);

/**
 * Alice in Chromium, Bob on a device of his own (the E2EE client in Node). Alice reloads and stays signed in
 * with her history; she goes offline, Bob writes meanwhile and Alice writes too; back online, she has every
 * message once, in order, and hers reaches Bob.
 */
describe('the web client in Chromium: reload and reconnect', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Awaited<ReturnType<typeof openPage>>;
  let bob: Persona;
  let bobLaptop: E2eeTestDevice;
  let conversationId: string;
  const aliceEmail = `alice.${randomUUID().slice(0, 6)}@example.com`;

  /** The texts in Alice's open conversation, top to bottom. */
  const shown = () =>
    alice.page
      .getByRole('list', { name: 'Messages' })
      .locator('.message:not(.pending) .text')
      .allTextContents();

  /** Read receipts the gateways received so far (Alice's: Bob's device sends none). */
  const receiptsSent = () =>
    stack.traffic.filter((r) => r.body.includes('"action":"receipt"') || r.body.includes('"read":')).length;

  beforeAll(async () => {
    // Bob writes a long history in seconds, faster than the per-user send limit allows a person.
    stack = await startTestStack({ rateLimits: { send: { limit: 10_000, windowSeconds: 60 } } });
    browser = await launchBrowser();
    alice = await openPage(browser, stack, DESKTOP);
    await signUpInBrowser(alice.page, stack, aliceEmail, PASSWORD);
    bob = await signUp(stack, 'bob');
    bobLaptop = await openDevice(stack, bob, 'laptop');
    const bobs = apiFor(stack, bob);
    const aliceId = await befriendInBrowser(alice.page, bobs, aliceEmail);
    conversationId = (await bobs.createConversation({ body: { kind: 'direct', userId: aliceId } }))
      .conversationId;
  }, 120_000);

  afterAll(async () => {
    await bobLaptop?.close();
    await browser?.close();
    await stack?.stop();
  });

  it('keeps the session and the decrypted history across a reload, without duplicates', async () => {
    await bobLaptop.client.send(conversationId, text('one'));
    await bobLaptop.client.send(conversationId, text('two'));
    await alice.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /bob/ })
      .click();
    await alice.page.getByRole('list', { name: 'Messages' }).getByText('two').waitFor({ timeout: 30_000 });
    await alice.page.reload();
    await alice.page.getByRole('list', { name: 'Messages' }).getByText('two').waitFor({ timeout: 30_000 });
    expect(await shown()).toEqual(['one', 'two']);
    // A short chat sits at the bottom of its pane, by the composer, not at the top far from it.
    const list = await alice.page.getByRole('list', { name: 'Messages' }).boundingBox();
    const newest = await alice.page.locator('.messages .message').last().boundingBox();
    const oldest = await alice.page.locator('.messages .message').first().boundingBox();
    if (!list || !newest || !oldest) throw new Error('The list or its messages have no box');
    const below = list.y + list.height - (newest.y + newest.height);
    const above = oldest.y - list.y;
    expect(below).toBeLessThan(above);
    expect(below).toBeLessThan(40);
  }, 150_000);

  it('resumes after going offline: no gap, no duplicate, and what Alice wrote offline is sent', async () => {
    const header = alice.page.locator('.chat-header');
    await header.getByText('Online').waitFor({ timeout: 30_000 });
    await alice.context.setOffline(true);
    await alice.page.getByRole('status').filter({ hasText: 'Offline' }).waitFor({ timeout: 30_000 });
    // Offline, Alice's browser cannot know whether Bob is still online: it does not say he is.
    await header.getByText('Online').waitFor({ state: 'detached', timeout: 30_000 });
    for (const value of ['three', 'four', 'five']) await bobLaptop.client.send(conversationId, text(value));
    const composer = alice.page.getByLabel('Message', { exact: true });
    await composer.fill('written offline');
    await composer.press('Enter');
    await alice.page.getByText('Waiting to send…').waitFor();
    await screenshot(alice.page, 'offline-desktop');
    // A search needs the connection: the person is told so, not that messages will be sent.
    await alice.page.getByRole('button', { name: /^People/ }).click();
    await alice.page.getByLabel('Username or email').fill('carol');
    await alice.page.getByRole('button', { name: 'Find' }).click();
    const notice = alice.page.getByRole('alert');
    await notice.getByText(/offline/i).waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).not.toMatch(/messages/i);
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await alice.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /bob/ })
      .click();

    await alice.context.setOffline(false);
    // The web client's plaintext is JSON (`{ text }`, or `{ emoji }` for a reaction), inside the MLS ciphertext.
    const offline = JSON.stringify({ text: 'written offline' });
    await bobLaptop.waitForText(conversationId, offline, 60_000);
    await alice.page.getByRole('list', { name: 'Messages' }).getByText('five').waitFor({ timeout: 60_000 });
    await expect
      .poll(shown, { timeout: 30_000 })
      .toEqual(['one', 'two', 'three', 'four', 'five', 'written offline']);
    await expect.poll(() => alice.page.getByText('Waiting to send…').count(), { timeout: 30_000 }).toBe(0);
    expect(bobLaptop.texts(conversationId)).toEqual(['one', 'two', 'three', 'four', 'five', offline]);
  }, 150_000);

  it('pages back through a long history after a reload, from the newest to the first message', async () => {
    // More than one stored chunk (200 messages each): paging back reads the one before from the store.
    const before = (await shown()).length;
    const count = 300;
    const receiptsBefore = receiptsSent();
    for (let i = 1; i <= count; i++) await bobLaptop.client.send(conversationId, text(`n${i}`));
    const list = alice.page.getByRole('list', { name: 'Messages' });
    await list.getByText(`n${count}`, { exact: true }).waitFor({ timeout: 60_000 });
    // Alice read them as they came, and told the server at most once a second, not once a message: a
    // receipt per message would spend her write allowance, which registering her device on reload needs.
    const receipts = receiptsSent() - receiptsBefore;
    expect(receipts).toBeGreaterThan(0);
    expect(receipts).toBeLessThan(count / 2);
    await alice.page.reload();
    await list
      .getByText(`n${count}`, { exact: true })
      .waitFor({ timeout: 60_000 })
      .catch(async (error: unknown) => {
        const text = await alice.page.evaluate(() => (document.body.textContent ?? '').slice(0, 300));
        throw new Error(
          `After the reload the page shows …${(await shown()).slice(-5).join(', ')}; it reads "${text}"; problems ${alice.problems.join('; ')}`,
          { cause: error },
        );
      });
    // The first screen shows the newest page only.
    expect((await shown()).length).toBeLessThan(count);
    const earlier = alice.page.getByRole('button', { name: 'Show earlier messages' });
    for (let page = 0; page < 20 && (await earlier.count()) > 0; page++) {
      const shownBefore = (await shown()).length;
      // The button goes once the first message is on screen, which scrolling up may do first.
      await earlier.click({ timeout: 5_000 }).catch(() => undefined);
      await expect
        .poll(async () => (await shown()).length > shownBefore || (await earlier.count()) === 0, {
          timeout: 30_000,
        })
        .toBe(true);
    }
    const all = await shown();
    expect(all).toHaveLength(before + count);
    expect(all.slice(before)).toEqual(Array.from({ length: count }, (_, i) => `n${i + 1}`));
    expect(all[0]).toBe('one');
  }, 240_000);
});
