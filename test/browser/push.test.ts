import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/client/api-client';
import type { PushPayload } from '../../shared/push/payload';
import { conversationUrl } from '../../web/src/sw/messages';
import { type Api, apiFor, befriend } from '../support/api';
import {
  accessibilityViolations,
  DESKTOP,
  launchBrowser,
  NO_NOTIFICATIONS_HERE,
  PHONE,
  SHOWS_NOTIFICATIONS,
  screenshot,
  setTabVisible,
  signInInBrowser,
  webUrlOf,
} from '../support/browser';
import { type E2eeTestDevice, openDevice, sendAsWebClient } from '../support/e2ee-device';
import { type Persona, signUp } from '../support/personas';
import { attachToServiceWorker, type ServiceWorkerHandle } from '../support/service-worker';
import { startTestStack, type TestStack } from '../support/stack';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Alice in Chromium, under the site's real Content-Security-Policy (no bypass): the app registers its
 * service worker at `/sw.js`; pushes delivered to it through the DevTools protocol, as a push service
 * would deliver them with every Parley tab closed, show one notification per conversation, replaced and
 * counted; a click's address opens the conversation; and the Notifications switch stores this device's
 * push subscription on the server, or, where the browser cannot subscribe, says notifications come only
 * while Parley is open, and those still do.
 */
describe('the web client in Chromium: Web Push through its service worker', () => {
  let stack: TestStack;
  let browser: Browser;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let aliceApi: Api;
  let bobLaptop: E2eeTestDevice;
  let carolLaptop: E2eeTestDevice;
  let context: BrowserContext;
  let page: Page;
  let origin: string;
  let withBob: string;
  let withCarol: string;
  /** Every console line and page error, for the CSP's verdict. */
  const consoleLines: string[] = [];
  const run = randomUUID().slice(0, 6);
  const names = { bob: `Bob Stone ${run}`, carol: `Carol Zoë ${run}` };

  const list = () => page.getByRole('navigation', { name: 'Conversations' });
  const section = () => page.getByRole('region', { name: 'Notifications' });
  const toggle = () => section().getByRole('checkbox', { name: /Notify me of new messages/ });
  const inTabOnly = () => section().getByText('Notifications come only while Parley is open in this browser');
  const inPageNotifications = () =>
    page.evaluate(() => (window as unknown as { shown: Array<{ title: string; tag: string }> }).shown);
  const myDeviceId = async () => {
    const { items } = await aliceApi.listDevices({ params: { userId: alice.userId } });
    const [device] = items.filter((d) => !d.revoked);
    if (!device) throw new Error('Alice has no device');
    return device.deviceId;
  };
  const storedSubscription = async () => {
    try {
      return await aliceApi.getPushSubscription({ params: { deviceId: await myDeviceId() } });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return 'none';
      throw error;
    }
  };
  const openSettings = async () => {
    await list().getByRole('button', { name: 'Settings', exact: true }).click();
    await section().waitFor();
  };

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
    origin = new URL(webUrlOf(stack)).origin;
    [alice, bob, carol] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
    ]);
    aliceApi = apiFor(stack, alice);
    await apiFor(stack, bob).updateMe({ body: { displayName: names.bob } });
    await apiFor(stack, carol).updateMe({ body: { displayName: names.carol } });
    await Promise.all([befriend(stack, alice, bob), befriend(stack, alice, carol)]);
    withBob = (
      await apiFor(stack, bob).createConversation({ body: { kind: 'direct', userId: alice.userId } })
    ).conversationId;
    withCarol = (
      await apiFor(stack, carol).createConversation({ body: { kind: 'direct', userId: alice.userId } })
    ).conversationId;
    // The site's own CSP, not lifted: what the service worker registers under is what ships.
    context = await browser.newContext({ viewport: DESKTOP });
    // The notifications the page makes itself (while a tab is open), noted as the app makes them.
    await context.addInitScript(() => {
      const Real = window.Notification;
      const shown: unknown[] = [];
      Object.assign(window, { shown });
      window.Notification = class extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push({ title, tag: options?.tag });
        }
      };
    });
    page = await context.newPage();
    page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
    await page.goto(webUrlOf(stack));
    await signInInBrowser(page, alice.email, alice.password);
    bobLaptop = await openDevice(stack, bob, 'laptop');
    carolLaptop = await openDevice(stack, carol, 'laptop');
    await list().locator('.conversation-row', { hasText: names.bob }).waitFor({ timeout: 30_000 });
    await list().locator('.conversation-row', { hasText: names.carol }).waitFor({ timeout: 30_000 });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([bobLaptop?.close(), carolLaptop?.close()]);
    await browser?.close();
    await stack?.stop();
  });

  it('registers its service worker at /sw.js for the whole site, under the strict CSP', async () => {
    const registered = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return { scope: registration.scope, script: registration.active?.scriptURL };
    });
    expect(registered).toEqual({ scope: `${origin}/`, script: `${origin}/sw.js` });

    // Revalidated on every load, so a new version reaches browsers at once; the same headers as the page.
    const response = await context.request.get(`${origin}/sw.js`);
    expect(response.headers()['cache-control']).toBe('no-cache');
    expect(response.headers()['content-type']).toMatch(/^text\/javascript/);
    expect(response.headers()['service-worker-allowed']).toBeUndefined();
    const csp = response.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');

    expect(consoleLines.filter((line) => /Content Security Policy|Refused to/i.test(line))).toEqual([]);
    expect(consoleLines.filter((line) => line.startsWith('pageerror'))).toEqual([]);
  });

  describe('with every Parley tab closed', () => {
    let worker: ServiceWorkerHandle;

    /** What a push service delivers after decrypting: the payload's JSON, or anything at all. */
    const deliver = (payload: PushPayload | string) =>
      worker.deliver(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const windowsSeen = () => worker.windows();
    const shownNow = () => worker.shown();

    beforeAll(async () => {
      await context.grantPermissions(['notifications'], { origin });
      worker = await attachToServiceWorker(context, origin);
      await page.goto('about:blank');
    }, 60_000);

    afterAll(async () => {
      await worker?.close();
    });

    it('shows one notification per conversation: who wrote, replaced and counted as more come', async ({
      skip,
    }) => {
      skip(!SHOWS_NOTIFICATIONS, NO_NOTIFICATIONS_HERE);
      // Closed as far as the worker can tell, too.
      await expect.poll(windowsSeen, { timeout: 15_000 }).toEqual([]);
      await deliver({ v: 1, conversationId: withBob, seq: 3, count: 1, from: names.bob });
      await expect.poll(shownNow, { timeout: 15_000 }).toEqual([
        {
          title: names.bob,
          body: 'New message',
          tag: withBob,
          data: { conversationId: withBob, seq: 3, count: 1 },
        },
      ]);

      await deliver({ v: 1, conversationId: withBob, seq: 4, count: 1, from: names.bob });
      await expect
        .poll(shownNow, { timeout: 15_000 })
        .toEqual([expect.objectContaining({ title: names.bob, body: '2 new messages', tag: withBob })]);

      // A late push, for a message the notification already counts: nothing changes.
      await deliver({ v: 1, conversationId: withBob, seq: 4, count: 1, from: names.bob });
      await deliver({ v: 1, conversationId: withCarol, seq: 1, count: 1, from: names.carol });
      await expect.poll(async () => (await shownNow()).length, { timeout: 15_000 }).toBe(2);
      const shown = await shownNow();
      expect(shown.find((n) => n.tag === withBob)).toMatchObject({ body: '2 new messages' });
      expect(shown.find((n) => n.tag === withCarol)).toMatchObject({
        title: names.carol,
        body: 'New message',
      });
    });

    it('says only that a message came with the private setting, or for a push it cannot read', async ({
      skip,
    }) => {
      skip(!SHOWS_NOTIFICATIONS, NO_NOTIFICATIONS_HERE);
      // Carol's notification counts on, and no longer names her.
      await deliver({ v: 1, conversationId: withCarol, seq: 2, count: 1 });
      await expect
        .poll(async () => (await shownNow()).find((n) => n.tag === withCarol), { timeout: 15_000 })
        .toMatchObject({ title: 'Parley', body: '2 new messages' });

      await deliver('not a payload this version knows');
      await expect
        .poll(async () => (await shownNow()).find((n) => n.tag === 'parley'), { timeout: 15_000 })
        .toMatchObject({ title: 'Parley', body: 'New message' });
    });

    it('opens the conversation at the address a click on its notification opens', async () => {
      // A click cannot be dispatched to a notification in a headless browser. With no Parley window open,
      // the worker opens `conversationUrl(scope, id)` (see `planClick`, unit-tested): that address is opened here.
      await page.goto(conversationUrl(`${origin}/`, withBob));
      await page.locator('.chat-title h2', { hasText: names.bob }).waitFor({ timeout: 60_000 });
    }, 90_000);
  });

  it('opens the conversation the worker names when a click brought an open tab forward', async () => {
    // What the worker posts to the window it focused (`parley:open-conversation`), as the page receives it.
    await page.evaluate(async (conversationId) => {
      const registration = await navigator.serviceWorker.ready;
      navigator.serviceWorker.dispatchEvent(
        new MessageEvent('message', {
          data: { type: 'parley:open-conversation', conversationId },
          source: registration.active,
        }),
      );
    }, withCarol);
    await page.locator('.chat-title h2', { hasText: names.carol }).waitFor();
    expect(page.url()).toBe(conversationUrl(`${origin}/`, withCarol));
  });

  it('says notifications come only while Parley is open when the browser cannot subscribe, and those still come', async ({
    skip,
  }) => {
    skip(!SHOWS_NOTIFICATIONS, NO_NOTIFICATIONS_HERE);
    await openSettings();
    expect(await toggle().isChecked()).toBe(false);
    // Chromium without Google's push service: its own subscribe refuses.
    await toggle().check();
    await inTabOnly().waitFor({ timeout: 30_000 });
    expect(await storedSubscription()).toBe('none');
    await screenshot(page, 'push-settings-in-tab-only-desktop');
    await page.evaluate(AXE_SOURCE);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.setViewportSize(PHONE);
    await section().scrollIntoViewIfNeeded();
    await screenshot(page, 'push-settings-in-tab-only-phone');
    await page.setViewportSize(DESKTOP);

    await list().locator('.conversation-row', { hasText: names.carol }).locator('.conversation').click();
    await setTabVisible(page, false);
    await sendAsWebClient(bobLaptop, withBob, 'While the tab is hidden');
    await expect.poll(inPageNotifications, { timeout: 30_000 }).toEqual([{ title: names.bob, tag: withBob }]);
    await setTabVisible(page, true);
  }, 90_000);

  it('stores the subscription for this device when turned on, with the privacy choice, and removes it when turned off', async ({
    skip,
  }) => {
    skip(!SHOWS_NOTIFICATIONS, NO_NOTIFICATIONS_HERE);
    // A browser that can subscribe: its push manager hands out a subscription with real keys, made here.
    await context.addInitScript(() => {
      const encode = (bytes: ArrayBuffer | Uint8Array) =>
        btoa(String.fromCharCode(...new Uint8Array(bytes)))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
      let current: PushSubscription | null = null;
      PushManager.prototype.getSubscription = async () => current;
      PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
        const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, [
          'deriveBits',
        ])) as CryptoKeyPair;
        const p256dh = encode(await crypto.subtle.exportKey('raw', pair.publicKey));
        const auth = encode(crypto.getRandomValues(new Uint8Array(16)));
        const endpoint = `https://push.example.test/send/${crypto.randomUUID()}`;
        const key = options?.applicationServerKey as Uint8Array;
        const subscription = {
          endpoint,
          expirationTime: null,
          options: { userVisibleOnly: options?.userVisibleOnly, applicationServerKey: key.slice().buffer },
          toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
          unsubscribe: async () => {
            current = null;
            return true;
          },
        } as unknown as PushSubscription;
        current = subscription;
        return subscription;
      };
    });
    // Turned on before: at start the app subscribes and sends the subscription.
    await page.reload();
    await list().waitFor({ timeout: 60_000 });
    await expect
      .poll(storedSubscription, { timeout: 30_000 })
      .toMatchObject({ endpointOrigin: 'https://push.example.test', preview: 'name' });

    await openSettings();
    expect(await toggle().isChecked()).toBe(true);
    await toggle().uncheck();
    await expect.poll(storedSubscription, { timeout: 30_000 }).toBe('none');

    await toggle().check();
    await expect
      .poll(storedSubscription, { timeout: 30_000 })
      .toMatchObject({ endpointOrigin: 'https://push.example.test', preview: 'name' });
    expect(await inTabOnly().count()).toBe(0);

    await section().getByRole('radio', { name: 'Only that a message came' }).check();
    await expect.poll(storedSubscription, { timeout: 30_000 }).toMatchObject({ preview: 'none' });
    await screenshot(page, 'push-settings-desktop');
    await page.setViewportSize(PHONE);
    await section().scrollIntoViewIfNeeded();
    await screenshot(page, 'push-settings-phone');
    await page.setViewportSize(DESKTOP);
    await page.evaluate(AXE_SOURCE);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(consoleLines.filter((line) => /Content Security Policy|Refused to/i.test(line))).toEqual([]);
  }, 120_000);

  it('ends the subscription, here and on the server, when Alice signs out', async ({ skip }) => {
    skip(!SHOWS_NOTIFICATIONS, NO_NOTIFICATIONS_HERE);
    await expect.poll(storedSubscription, { timeout: 30_000 }).not.toBe('none');
    const subscribed = () =>
      page.evaluate(async () => {
        const registration = await navigator.serviceWorker.ready;
        return (await registration.pushManager.getSubscription()) !== null;
      });
    expect(await subscribed()).toBe(true);
    await list().getByRole('button', { name: 'Sign out' }).click();
    await page
      .getByRole('dialog', { name: 'Sign out of Parley?' })
      .getByRole('button', { name: 'Sign out', exact: true })
      .click();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor({ timeout: 30_000 });
    expect(await storedSubscription()).toBe('none');
    expect(await subscribed()).toBe(false);
  }, 60_000);
});
