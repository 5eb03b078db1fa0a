import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedPush, StandInSubscription } from '../../infra/local/push-service';
import { conversationUrl } from '../../web/src/sw/messages';
import { type Api, apiFor, befriend } from '../support/api';
import {
  DESKTOP,
  explained,
  launchBrowser,
  NO_NOTIFICATIONS_HERE,
  observe,
  SHOWS_NOTIFICATIONS,
  signInInBrowser,
  webUrlOf,
} from '../support/browser';
import { type E2eeTestDevice, findMarker, openDevice, sendAsWebClient } from '../support/e2ee-device';
import { type Persona, signUp } from '../support/personas';
import { attachToServiceWorker, type ServiceWorkerHandle } from '../support/service-worker';
import { startTestStack, type TestStack } from '../support/stack';
import { tableReader } from '../support/table';

/**
 * The whole Web Push chain, nothing stood in for but the push service itself: Bob turns notifications on
 * in Settings in Chromium (its push manager hands out a subscription made at the local push service, as
 * Chrome's would be made at Google's), closes Parley, and Alice writes to him. The fan-out queues a push
 * for his device, the push sender signs it with the stage's VAPID key and encrypts it to his
 * subscription, the push service decrypts what arrived exactly as his browser would, and that very text,
 * handed to his service worker through the DevTools protocol, shows Alice's name and "New message",
 * never her words. With Parley open, her next message comes over the socket and nothing is pushed.
 */
describe('Web Push end to end: from Alice’s message to a notification on Bob’s closed Parley', () => {
  let stack: TestStack;
  let browser: Browser;
  let table: ReturnType<typeof tableReader>;
  let alice: Persona;
  let bob: Persona;
  let bobApi: Api;
  let aliceLaptop: E2eeTestDevice;
  let context: BrowserContext;
  let page: Page;
  let worker: ServiceWorkerHandle;
  let origin: string;
  let direct: string;
  let subscription: StandInSubscription;
  let bobDevice: string;
  /** The message Bob's closed Parley was notified of. */
  let notifiedSeq = 0;
  const run = randomUUID().slice(0, 6);
  const aliceName = `Alice Reed ${run}`;
  /** Words of Alice's messages: in no push, no notification. */
  const markers = [1, 2, 3].map((n) => `Marker ${n} ${randomUUID()}`);
  const greeting = `Hello Bob ${run}`;

  const list = () => page.getByRole('navigation', { name: 'Conversations' });
  const section = () => page.getByRole('region', { name: 'Notifications' });
  const pushes = (): readonly ReceivedPush[] => stack.pushService.received(subscription.endpoint);
  const payloads = () => pushes().map((push) => JSON.parse(push.payload) as unknown);
  /** Bob's stored connections: none once every Parley page of his is closed and `$disconnect` ran. */
  const bobsConnections = async () => (await table.connections(bob.userId)).length;
  /** Whether the fan-out has done a message's job: its push jobs, if any, are queued by then. */
  const fannedOut = (seq: number) =>
    stack.logs.some(({ functionName, line }) => {
      if (functionName !== 'fanoutSender' || !line.includes('"Fan-out done"')) return false;
      const logged = JSON.parse(line) as { conversationId?: string; seq?: number };
      return logged.conversationId === direct && logged.seq === seq;
    });
  /** Bob's Parley pages, watched: a wait in vain fails with what they and the functions did. */
  const observed: Record<string, ReturnType<typeof observe>> = {};
  const explain = <T>(promise: Promise<T>) => explained(promise, observed, stack);
  const openBobsParley = async (name: string, url: string) => {
    page = await context.newPage();
    observed[name] = observe(page);
    await page.goto(url);
  };

  beforeAll(async () => {
    if (!SHOWS_NOTIFICATIONS) return;
    stack = await startTestStack();
    table = tableReader(stack);
    browser = await launchBrowser();
    origin = new URL(webUrlOf(stack)).origin;
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    bobApi = apiFor(stack, bob);
    await apiFor(stack, alice).updateMe({ body: { displayName: aliceName } });
    await befriend(stack, alice, bob);
    direct = (await apiFor(stack, alice).createConversation({ body: { kind: 'direct', userId: bob.userId } }))
      .conversationId;
    // What Chrome would get from its push service when the app subscribes with the stage's key.
    subscription = stack.pushService.subscribe(stack.vapidPublicKey);

    // The site's own CSP, not lifted: the worker runs as it ships.
    context = await browser.newContext({ viewport: DESKTOP });
    await context.grantPermissions(['notifications'], { origin });
    await context.addInitScript(replacePushManager, {
      ...subscription,
      vapidPublicKey: stack.vapidPublicKey,
    });
    await openBobsParley('Bob signs in', webUrlOf(stack));
    await explain(signInInBrowser(page, bob.email, bob.password));
    aliceLaptop = await openDevice(stack, alice, 'laptop');
    await explain(list().locator('.conversation-row', { hasText: aliceName }).waitFor({ timeout: 30_000 }));
    // They have talked: both devices are in the chat's group, and what Bob's page did to get there (it may
    // have founded the group) is done and saved before he closes it.
    await list().locator('.conversation-row', { hasText: aliceName }).locator('.conversation').click();
    await sendAsWebClient(aliceLaptop, direct, greeting);
    await explain(
      page.getByRole('list', { name: 'Messages' }).getByText(greeting).waitFor({ timeout: 30_000 }),
    );
    const { items } = await bobApi.listDevices({ params: { userId: bob.userId } });
    const [device] = items.filter((d) => !d.revoked);
    if (!device) throw new Error('Bob’s browser registered no device');
    bobDevice = device.deviceId;
  }, 180_000);

  afterAll(async () => {
    await aliceLaptop?.close();
    await browser?.close();
    table?.destroy();
    await stack?.stop();
  });

  it('stores the subscription the browser made at the push service when Bob turns notifications on', async ({
    skip,
  }) => {
    skip(!SHOWS_NOTIFICATIONS, NO_NOTIFICATIONS_HERE);
    await list().getByRole('button', { name: 'Settings', exact: true }).click();
    await section()
      .getByRole('checkbox', { name: /Notify me of new messages/ })
      .check();

    await expect
      .poll(
        () => bobApi.getPushSubscription({ params: { deviceId: bobDevice } }).catch(() => 'none' as const),
        { timeout: 30_000 },
      )
      .toMatchObject({ endpointOrigin: stack.pushService.origin, preview: 'name' });
    const presence = await table.get(`USER#${bob.userId}`, 'PRESENCE');
    expect([...((presence?.pushDevices as Set<string> | undefined) ?? [])]).toEqual([bobDevice]);
  }, 60_000);

  it('notifies Bob’s closed Parley of Alice’s message with her name, the push service’s very payload, and none of her words', async ({
    skip,
  }) => {
    skip(!SHOWS_NOTIFICATIONS, NO_NOTIFICATIONS_HERE);
    // A page of no origin carries the DevTools session; then Bob closes Parley, and the server sees it.
    worker = await attachToServiceWorker(context, origin);
    await page.close();
    await expect.poll(bobsConnections, { timeout: 30_000 }).toBe(0);
    await expect.poll(() => worker.windows(), { timeout: 15_000 }).toEqual([]);

    const { seq } = await sendAsWebClient(aliceLaptop, direct, markers[0] as string);
    notifiedSeq = seq;

    await explain(expect.poll(() => pushes().length, { timeout: 30_000 }).toBe(1));
    const [push] = pushes();
    if (!push) throw new Error('No push');
    expect(JSON.parse(push.payload)).toEqual({
      v: 1,
      conversationId: direct,
      seq,
      count: 1,
      from: aliceName,
    });
    expect(push.vapid.aud).toBe(stack.pushService.origin);
    expect(stack.pushService.refusals).toEqual([]);

    // What the push service decrypted is what Bob's browser would hand its worker.
    await worker.deliver(push.payload);
    await expect
      .poll(() => worker.shown(), { timeout: 15_000 })
      .toEqual([
        {
          title: aliceName,
          body: 'New message',
          tag: direct,
          data: { conversationId: direct, seq, count: 1 },
        },
      ]);
    expect(findMarker(JSON.stringify(stack.pushService.all()), [greeting, ...markers])).toBeUndefined();
    expect(findMarker(JSON.stringify(await worker.shown()), [greeting, ...markers])).toBeUndefined();
  }, 90_000);

  it('pushes nothing while Bob has Parley open, and pushes again once he closes it', async ({ skip }) => {
    skip(!SHOWS_NOTIFICATIONS, NO_NOTIFICATIONS_HERE);
    // Where a click on the notification takes him: the conversation, with Alice's message in it.
    await openBobsParley('Bob opens the conversation', conversationUrl(`${origin}/`, direct));
    const messages = page.getByRole('list', { name: 'Messages' });
    await explain(messages.getByText(markers[0] as string).waitFor({ timeout: 60_000 }));
    await expect.poll(bobsConnections, { timeout: 30_000 }).toBeGreaterThan(0);

    const open = await sendAsWebClient(aliceLaptop, direct, markers[1] as string);
    await explain(messages.getByText(markers[1] as string).waitFor({ timeout: 30_000 }));
    // Its push jobs, had it made any, are queued once its fan-out is done.
    await explain(expect.poll(() => fannedOut(open.seq), { timeout: 30_000 }).toBe(true));

    await page.close();
    await expect.poll(bobsConnections, { timeout: 30_000 }).toBe(0);
    const closed = await sendAsWebClient(aliceLaptop, direct, markers[2] as string);

    // A push for the message sent while Parley was open would have been queued before this one's, so it
    // would have arrived first, or been folded into this one (`count: 2`).
    await explain(expect.poll(() => pushes().length, { timeout: 30_000 }).toBeGreaterThan(1));
    expect(payloads()).toEqual([
      { v: 1, conversationId: direct, seq: notifiedSeq, count: 1, from: aliceName },
      { v: 1, conversationId: direct, seq: closed.seq, count: 1, from: aliceName },
    ]);
    expect(findMarker(JSON.stringify(stack.pushService.all()), [greeting, ...markers])).toBeUndefined();
  }, 120_000);
});

/**
 * Bob's browser's push manager, as Chrome's would be with a push service: `subscribe` with the stage's key
 * gives the subscription the test made at the local push service (its endpoint and public keys), which
 * `getSubscription` then returns. Runs in the page, before the app.
 */
function replacePushManager(made: {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  vapidPublicKey: string;
}) {
  const bytes = (base64url: string) =>
    Uint8Array.from(atob(base64url.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
  let current: PushSubscription | null = null;
  PushManager.prototype.getSubscription = async () => current;
  PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
    const key = new Uint8Array(options?.applicationServerKey as ArrayBuffer | Uint8Array);
    const expected = new Uint8Array(bytes(made.vapidPublicKey));
    if (key.length !== expected.length || key.some((byte, i) => byte !== expected[i])) {
      throw new DOMException('Subscribed with another key than the stage’s', 'InvalidAccessError');
    }
    const { endpoint, keys } = made;
    const subscription = {
      endpoint,
      expirationTime: null,
      options: {
        userVisibleOnly: options?.userVisibleOnly ?? false,
        applicationServerKey: key.slice().buffer,
      },
      getKey: (name: PushEncryptionKeyName) => bytes(keys[name]),
      toJSON: () => ({ endpoint, expirationTime: null, keys: { ...keys } }),
      unsubscribe: async () => {
        current = null;
        return true;
      },
    } as unknown as PushSubscription;
    current = subscription;
    return subscription;
  };
}
