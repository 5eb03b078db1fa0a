import { randomUUID } from 'node:crypto';
import { InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityViolations,
  DESKTOP,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
  setTabVisible,
  signUpInBrowser,
  webUrlOf,
} from '../support/browser';
import { cognitoClient, PASSWORD } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Two people in two browser contexts on the local stack: they sign up, become friends live, chat both ways
 * with receipts and typing, in several scripts, and sign out. Screenshots of each screen at desktop and
 * phone width go to `.local/screenshots/`.
 */
describe('the web client in Chromium: a direct chat', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Awaited<ReturnType<typeof openPage>>;
  let bob: Awaited<ReturnType<typeof openPage>>;
  const run = randomUUID().slice(0, 6);
  const aliceEmail = `alice.${run}@example.com`;
  const bobEmail = `bob.${run}@example.com`;
  const hello = `Hello Bob 👋 — مرحبا — 你好 — ${run}`;

  beforeAll(async () => {
    // A low search allowance, so that the test can show what a person is told when they hit it.
    stack = await startTestStack({ rateLimits: { search: { limit: 3, windowSeconds: 60 } } });
    browser = await launchBrowser();
    alice = await openPage(browser, stack, DESKTOP);
    bob = await openPage(browser, stack, PHONE);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const violations = async (page: Page, screen: string) => {
    const found = await accessibilityViolations(page);
    return found.map((v) => `${screen}: ${v}`);
  };

  it('loads under the strict Content-Security-Policy without a violation', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The browser reports each violation as an event, even one the page's code catches.
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { violations: string[] }).violations = seen;
      document.addEventListener('securitypolicyviolation', (e) =>
        seen.push(
          `${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`,
        ),
      );
    });
    await page.goto(webUrlOf(stack));
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const violations = await page.evaluate(() => (window as unknown as { violations: string[] }).violations);
    const policy = (await page.request.get(webUrlOf(stack))).headers()['content-security-policy'] ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(violations).toEqual([]);
    await context.close();
  }, 150_000);

  it('signs both up with the emailed code, and explains a wrong code and a weak password', async () => {
    await alice.page.getByRole('button', { name: 'New here? Create an account' }).click();
    await screenshot(alice.page, 'sign-up-desktop');
    expect(await violations(alice.page, 'sign-up')).toEqual([]);
    await alice.page.getByLabel('Email').fill(aliceEmail);
    // The page checks the user pool's policy before asking the service, and says what is missing.
    await alice.page.getByLabel('Password').fill('longbutweakpassword');
    await alice.page.getByRole('button', { name: 'Create account' }).click();
    await expect
      .poll(() => alice.page.getByRole('alert').textContent(), { timeout: 30_000 })
      .toContain('Choose a stronger password');
    await alice.page.getByLabel('Password').fill(PASSWORD);
    await alice.page.getByRole('button', { name: 'Create account' }).click();
    await alice.page.getByLabel('Code from the email').fill('000000');
    await alice.page.getByRole('button', { name: 'Confirm' }).click();
    await expect
      .poll(() => alice.page.getByRole('alert').textContent(), { timeout: 30_000 })
      .toContain('That code is not right');
    await screenshot(alice.page, 'confirm-wrong-code-desktop');
    const mail = await stack.mailbox.waitFor(aliceEmail);
    await alice.page.getByLabel('Code from the email').fill(mail.code);
    await alice.page.getByRole('button', { name: 'Confirm' }).click();
    await alice.page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 30_000 });

    await signUpInBrowser(bob.page, stack, bobEmail, PASSWORD);
    await screenshot(bob.page, 'empty-list-phone');
    expect(await violations(bob.page, 'empty list')).toEqual([]);
  }, 150_000);

  it('loads the chat after sign-up under the strict Content-Security-Policy too, with no violation', async () => {
    // Without the test's CSP bypass: the chat's lazy chunk must set zod up before it builds a schema.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { violations: string[] }).violations = seen;
      document.addEventListener('securitypolicyviolation', (e) =>
        seen.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
      );
    });
    await page.goto(webUrlOf(stack));
    await signUpInBrowser(page, stack, `carol.${run}@example.com`, PASSWORD);
    await page.getByRole('button', { name: /^People/ }).click();
    await page.getByLabel('Username or email').fill(aliceEmail);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('button', { name: 'Add friend' }).waitFor({ timeout: 30_000 });
    const violations = await page.evaluate(() => (window as unknown as { violations: string[] }).violations);
    expect(violations).toEqual([]);
    await context.close();
  }, 150_000);

  it('sends a friend request that the other side sees and accepts live', async () => {
    await alice.page.getByRole('button', { name: /^People/ }).click();
    await alice.page.getByLabel('Username or email').fill(bobEmail);
    await alice.page.getByRole('button', { name: 'Find' }).click();
    await alice.page.getByRole('button', { name: 'Add friend' }).click();
    await alice.page
      .getByText('Request sent')
      .or(alice.page.getByRole('region', { name: 'Sent requests' }))
      .first()
      .waitFor();
    await screenshot(alice.page, 'people-desktop');

    // Bob's People button shows the request without a reload.
    await bob.page.getByRole('button', { name: 'People, 1 requests' }).waitFor({ timeout: 30_000 });
    await bob.page.getByRole('button', { name: /^People/ }).click();
    await screenshot(bob.page, 'people-request-phone');
    expect(await violations(bob.page, 'people')).toEqual([]);
    await bob.page
      .getByRole('region', { name: 'Friend requests' })
      .getByRole('button', { name: 'Accept' })
      .click();
    await bob.page.getByRole('region', { name: 'Friends' }).getByText('alice').first().waitFor();
    // Alice sees the friendship live too.
    await alice.page
      .getByRole('region', { name: 'Friends' })
      .getByRole('button', { name: 'Message' })
      .waitFor({ timeout: 30_000 })
      .catch((error: unknown) => {
        throw new Error(`Alice's page got the frames ${alice.frames.join('\n')}`, { cause: error });
      });
  }, 150_000);

  it('chats both ways, end to end encrypted, with receipts and typing', async () => {
    await alice.page
      .getByRole('region', { name: 'Friends' })
      .getByRole('button', { name: 'Message' })
      .click();
    const composer = alice.page.getByLabel('Message', { exact: true });
    await composer.fill(hello);
    await composer.press('Enter');
    await alice.page.getByText(hello).waitFor({ timeout: 30_000 });

    // Bob's list shows the conversation with an unread badge and a preview decrypted in his browser.
    await bob.page.getByRole('button', { name: 'Back', exact: true }).click();
    const item = bob.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /alice/ });
    await item.getByText(hello).waitFor({ timeout: 30_000 });
    await expect.poll(() => item.locator('.badge').textContent(), { timeout: 30_000 }).toBe('1 unread');
    // In Bob's browser but not opened yet: Alice sees two ticks, "Delivered", not "Read".
    const ticks = alice.page.getByRole('list', { name: 'Messages' }).locator('.message.own .ticks').last();
    await expect.poll(() => ticks.textContent(), { timeout: 30_000 }).toBe('Delivered');
    await screenshot(bob.page, 'list-unread-phone');
    await item.click();
    await bob.page.getByRole('list', { name: 'Messages' }).getByText(hello).waitFor();
    // Alice is online: her presence shows in the chat's header.
    await bob.page.locator('.chat-header').getByText('Online').waitFor({ timeout: 30_000 });

    // Alice's message turns "Read" once Bob's browser shows it.
    await expect.poll(() => ticks.textContent(), { timeout: 30_000 }).toBe('Read');

    // Typing shows on the other side, then the reply arrives.
    const bobComposer = bob.page.getByLabel('Message', { exact: true });
    await bobComposer.pressSequentially('Hi Alice', { delay: 20 });
    await alice.page.getByText(/is typing/).waitFor({ timeout: 30_000 });
    await bobComposer.press('Enter');
    await alice.page
      .getByRole('list', { name: 'Messages' })
      .getByText('Hi Alice')
      .waitFor({ timeout: 30_000 });
    await screenshot(alice.page, 'chat-desktop');
    await screenshot(bob.page, 'chat-phone');
    expect(await violations(alice.page, 'chat')).toEqual([]);

    // Alice's browser sent over its socket and got the ack there; no copy of her message came back to it,
    // and it made no HTTP request to post it.
    const parse = (frames: readonly string[]) => frames.map((f) => JSON.parse(f) as Record<string, unknown>);
    const sends = parse(alice.sent).filter((f) => f.action === 'send');
    const acks = parse(alice.frames).filter((f) => f.type === 'ack');
    expect(sends.length).toBeGreaterThanOrEqual(1);
    expect(acks.map((a) => a.messageId)).toEqual(expect.arrayContaining(sends.map((s) => s.messageId)));
    const ownIds = new Set(sends.map((s) => s.messageId));
    expect(parse(alice.frames).filter((f) => f.type === 'message' && ownIds.has(f.messageId))).toEqual([]);
    expect(alice.requests.filter((r) => /^POST .*\/messages$/.test(r))).toEqual([]);
    expect(alice.sockets.some((socket) => socket.url.includes('deviceId=web-'))).toBe(true);

    // The server never saw the text: not in any request the gateways received.
    const traffic = stack.traffic.map((r) => r.body).join('\n');
    expect(traffic).not.toContain(run);
    expect(traffic).not.toContain(Buffer.from(hello).toString('base64').slice(4, 24));
  }, 150_000);

  it('takes "is typing…" away on its own when no stop comes, with nothing else happening on the page', async () => {
    const bobComposer = bob.page.getByLabel('Message', { exact: true });
    await bobComposer.pressSequentially('Still thinking', { delay: 20 });
    const typing = alice.page.getByText(/is typing/);
    await typing.waitFor({ timeout: 30_000 });
    // Bob stops typing and sends nothing: his composer still holds text, so no stop frame goes.
    await typing.waitFor({ state: 'hidden', timeout: 15_000 });
    await bobComposer.fill('');
  }, 60_000);

  it('marks a message that came while the tab was in the background read when the person comes back', async () => {
    // The tab goes to the background, as when another tab is chosen: the page is told, as browsers tell it.
    const setVisible = (visible: boolean) => setTabVisible(bob.page, visible);
    await setVisible(false);
    const composer = alice.page.getByLabel('Message', { exact: true });
    await composer.fill('While you were away');
    await composer.press('Enter');
    await bob.page
      .getByRole('list', { name: 'Messages' })
      .getByText('While you were away')
      .waitFor({ timeout: 30_000 });
    const status = alice.page
      .getByRole('list', { name: 'Messages' })
      .locator('.message.own', { hasText: 'While you were away' })
      .locator('.ticks');
    // It reached Bob's browser: delivered at once, seen or not.
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toBe('Delivered');
    // Shown in a hidden tab is not seen: a read mark would have gone within a second.
    await bob.page.waitForTimeout(1500);
    expect(await status.textContent()).toBe('Delivered');
    // The tab says a message waits: in its title, and a red dot with the count on its icon.
    const icon = () => bob.page.locator('link[rel="icon"]').getAttribute('href');
    await expect.poll(() => bob.page.title()).toBe('(1) Parley');
    expect(decodeURIComponent((await icon()) ?? '')).toContain('>1</text>');

    await setVisible(true);
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toBe('Read');
    await expect.poll(() => bob.page.title()).toBe('Parley');
    expect(decodeURIComponent((await icon()) ?? '')).not.toContain('<circle');
  }, 60_000);

  it("opens the newest message's menu where it can be seen, and closes it with Esc or a click outside", async () => {
    const list = alice.page.getByRole('list', { name: 'Messages' });
    const newest = list.locator('.message.own').last();
    const open = async () => {
      await newest.getByRole('button', { name: 'Message actions' }).click();
      return newest.locator('.menu');
    };
    let menu = await open();
    const [area, box] = await Promise.all([list.boundingBox(), menu.boundingBox()]);
    if (!area || !box) throw new Error('The list or the menu has no box');
    // Wholly inside the list as it is on screen: every action reachable without scrolling.
    expect(box.y).toBeGreaterThanOrEqual(area.y);
    expect(box.y + box.height).toBeLessThanOrEqual(area.y + area.height);
    expect(box.x).toBeGreaterThanOrEqual(area.x);
    expect(box.x + box.width).toBeLessThanOrEqual(area.x + area.width);
    await screenshot(alice.page, 'message-menu-desktop');

    await alice.page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    menu = await open();
    await alice.page.locator('.chat-header').click();
    await menu.waitFor({ state: 'detached' });
  }, 60_000);

  it('keeps keyboard focus in the chat: a few Tabs from the list to the composer, arrows through messages', async () => {
    const page = alice.page;
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return 'body';
        return `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ')[0]}` : ''}:${el.getAttribute('aria-label') ?? ''}`;
      });
    const composer = page.getByLabel('Message', { exact: true });
    await composer.focus();
    // Back from the composer to the message list: focus is never dropped on the page.
    const path: string[] = [];
    for (let i = 0; i < 6 && !path.at(-1)?.startsWith('ol.messages'); i++) {
      await page.keyboard.press('Shift+Tab');
      path.push(await focused());
    }
    expect(path).not.toContain('body');
    expect(path.at(-1)).toBe('ol.messages:Messages');
    // And forwards again: the messages are one stop, not one per message.
    const forward: string[] = [];
    for (let i = 0; i < 6 && !forward.at(-1)?.includes('composer-input'); i++) {
      await page.keyboard.press('Tab');
      forward.push(
        `${await focused()}${(await composer.evaluate((el) => el === document.activeElement)) ? ' composer-input' : ''}`,
      );
    }
    expect(forward).not.toContain('body');
    expect(forward.at(-1)).toContain('composer-input');
    expect(forward.length).toBeLessThanOrEqual(3);

    // Within the list, arrows go from message to message; Enter opens the focused one's actions, Esc closes them.
    await page.getByRole('list', { name: 'Messages' }).focus();
    await page.keyboard.press('End');
    const newest = page.getByRole('list', { name: 'Messages' }).locator('.message').last();
    expect(await newest.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('ArrowUp');
    const previous = page.getByRole('list', { name: 'Messages' }).locator('.message').nth(-2);
    expect(await previous.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await previous.locator('.menu').waitFor();
    // The focus goes into the menu once it is drawn (a frame later).
    await expect.poll(focused).toMatch(/^button/);
    await page.keyboard.press('Escape');
    await previous.locator('.menu').waitFor({ state: 'detached' });
    expect(await previous.evaluate((el) => el.contains(document.activeElement))).toBe(true);
  }, 60_000);

  it("changes Alice's name in Settings, and Bob's screen shows the new one at once", async () => {
    const page = alice.page;
    await page.getByRole('button', { name: 'Settings' }).click();
    const profile = page.getByRole('region', { name: 'Your profile' });
    const name = `Alice Liddell 🐇 ${run}`;
    await profile.getByLabel('Display name').fill(name);
    // A username that breaks the rule is said so, and cannot be saved.
    await profile.getByLabel('Username').fill('No Spaces');
    expect(await profile.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await profile.getByLabel('Username').fill(`alice_${run}`);
    await screenshot(page, 'profile-desktop');
    expect(await violations(page, 'profile')).toEqual([]);
    await profile.getByRole('button', { name: 'Save' }).click();
    await profile.getByRole('status').getByText('Saved').waitFor({ timeout: 30_000 });
    await page.locator('.sidebar-header').getByText(name).waitFor();
    await page.locator('.sidebar-header').getByText(`@alice_${run}`).waitFor();

    // Bob's open chat with Alice takes the new name without a reload.
    await bob.page.locator('.chat-header h2').getByText(name).waitFor({ timeout: 30_000 });
    await page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /bob/ })
      .click();
  }, 60_000);

  it('blocks and unblocks, and explains a refusal and a rate limit in plain words', async () => {
    // Bob blocks Alice from People.
    await bob.page.getByRole('button', { name: 'Back to conversations' }).click();
    await bob.page.getByRole('button', { name: /^People/ }).click();
    await bob.page.getByRole('region', { name: 'Friends' }).getByRole('button', { name: 'Block' }).click();
    await bob.page
      .getByRole('dialog', { name: /^Block / })
      .getByRole('button', { name: 'Block' })
      .click();
    const blocked = bob.page.getByRole('region', { name: 'Blocked' });
    await blocked.getByText('alice').waitFor({ timeout: 30_000 });
    await screenshot(bob.page, 'people-blocked-phone');

    // Alice writes to Bob: refused, and she is told so in words, on the message, which stays.
    const composer = alice.page.getByLabel('Message', { exact: true });
    await composer.fill('Are you there?');
    await composer.press('Enter');
    await expect
      .poll(() => alice.page.getByRole('alert').allTextContents(), { timeout: 30_000 })
      .toContainEqual(expect.stringContaining('Not sent: You can’t message this person now'));
    const refused = alice.page.locator('.message.failed', { hasText: 'Are you there?' });
    await refused.getByRole('button', { name: 'Delete' }).click();
    await refused.waitFor({ state: 'detached' });

    // Bob unblocks her.
    await blocked.getByRole('button', { name: 'Unblock' }).click();
    await blocked.waitFor({ state: 'detached', timeout: 30_000 });

    // Searching faster than the allowance (3 a minute in this test's stack) says when to try again.
    await alice.page.getByRole('button', { name: /^People/ }).click();
    await alice.page.getByLabel('Username or email').fill(bobEmail);
    for (let i = 0; i < 4; i++) await alice.page.getByRole('button', { name: 'Find' }).click();
    await expect
      .poll(() => alice.page.getByRole('alert').allTextContents(), { timeout: 30_000 })
      .toContainEqual(expect.stringMatching(/Slow down a little: try again in \d+ seconds/));
    await screenshot(alice.page, 'rate-limited-desktop');
    // No longer friends: Bob's presence is not shown any more, and nothing is left unread (Alice read it all).
    const item = alice.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /bob/ });
    await expect.poll(() => item.textContent(), { timeout: 30_000 }).toContain('offline');
    expect(await item.locator('.badge').count()).toBe(0);
  }, 150_000);

  it('signs out, which ends the session and closes the socket', async () => {
    const stored = await alice.page.evaluate(() => localStorage.getItem('parley.session'));
    const { refreshToken } = JSON.parse(stored ?? '{}') as { refreshToken?: string };
    expect(refreshToken).toBeTruthy();
    const refresh = () =>
      cognitoClient(stack).send(
        new InitiateAuthCommand({
          ClientId: stack.endpoints.userPoolClientId,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: refreshToken ?? '' },
        }),
      );
    // The token works until she signs out.
    expect((await refresh()).AuthenticationResult?.AccessToken).toBeTruthy();
    expect(alice.sockets.some((socket) => !socket.closed)).toBe(true);
    await alice.page.getByRole('button', { name: 'Sign out' }).click();
    // This browser is her only device: she keeps its messages and keys (the default there).
    await alice.page
      .getByRole('dialog', { name: 'Sign out of Parley?' })
      .getByRole('button', { name: 'Sign out' })
      .click();
    await alice.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // The session ended on the server: the refresh token this browser held is refused. The socket closed.
    await expect(refresh()).rejects.toThrow();
    await expect.poll(() => alice.sockets.every((socket) => socket.closed)).toBe(true);
    await screenshot(alice.page, 'sign-in-desktop');
    expect(await violations(alice.page, 'sign in')).toEqual([]);
    await alice.page.reload();
    await alice.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // Expected refusals the browser logs: Cognito's 400 for the wrong code, 401 after signing out, 403 for
    // writing to someone who blocked her, 409 for a commit that lost its epoch (the client applies the winner
    // and retries) and 429 for searching too fast. Nothing else.
    // A failure names what the stand-ins saw fail (an authorizer or `$connect` that threw, say).
    const seen = `stand-in errors: ${stack.errors.join('\n') || 'none'}`;
    expect(
      alice.problems.filter((p) => !/status of (400|401|403|409|429)/.test(p)),
      seen,
    ).toEqual([]);
    expect(
      bob.problems.filter((p) => !/status of (400|401|409)/.test(p)),
      seen,
    ).toEqual([]);
  }, 150_000);
});
