/**
 * Parley's service worker, for Web Push: it shows a notification for each push the server sends while no
 * Parley window is in view (one per conversation, replaced as more come), and opens the conversation when
 * the notification is clicked. It caches nothing and handles no fetch: the app loads as it always does.
 *
 * A push carries only what `shared/push/payload.ts` describes (who wrote, when the person allows it; never
 * the words, which the server never has), encrypted to this browser's subscription.
 */
import type { OpenConversationMessage, SubscriptionChangedMessage } from './sw/messages';
import { planNotice, readPush } from './sw/notice';
import { planClick, someoneIsLooking } from './sw/windows';
import type { PushEvent, PushSubscriptionChangeEvent, WorkerScope } from './sw/worker-scope';

declare const self: WorkerScope;

// A new version takes over at once: it keeps no caches an older page could depend on.
self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => event.waitUntil(showPush(event)));

async function showPush(event: PushEvent): Promise<void> {
  // The open app tells the person itself (a note in the page); Chrome requires no notification then.
  if (someoneIsLooking(await appWindows())) return;
  const data = event.data;
  const payload = readPush(data ? () => data.text() : undefined);
  const [shown] = payload ? await self.registration.getNotifications({ tag: payload.conversationId }) : [];
  const notice = planNotice(payload, shown?.data);
  if (notice === undefined) {
    // Counted already: the notification stays as it is. It is shown again, silently and unchanged,
    // since Chrome wants a notification for every push and otherwise shows one of its own ("This site
    // has been updated in the background").
    if (shown) {
      await self.registration.showNotification(shown.title, {
        body: shown.body,
        tag: shown.tag,
        silent: true,
        data: shown.data ?? null,
      });
    }
    return;
  }
  await self.registration.showNotification(notice.title, {
    body: notice.body,
    tag: notice.tag,
    // The same tag replaces the notification shown; this makes the replacement alert the person again.
    renotify: true,
    data: notice.data ?? null,
  } as NotificationOptions);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data as { conversationId?: unknown } | null;
  const conversationId = typeof data?.conversationId === 'string' ? data.conversationId : undefined;
  event.waitUntil(openConversation(conversationId));
});

async function openConversation(conversationId: string | undefined): Promise<void> {
  const windows = await appWindows();
  const plan = planClick(windows, self.registration.scope, conversationId);
  if (plan.kind === 'open') {
    await self.clients.openWindow(plan.url);
    return;
  }
  const window = windows[plan.index];
  if (!window) return;
  const focused = await window.focus();
  if (conversationId !== undefined) {
    const message: OpenConversationMessage = { type: 'parley:open-conversation', conversationId };
    focused.postMessage(message);
  }
}

// The push service replaced or ended this browser's subscription. The worker subscribes again with the
// same key if the browser did not; only the app can tell the server (the worker holds no session), so an
// open window sends the new subscription now, else the app does at its next start.
self.addEventListener('pushsubscriptionchange', (event) => event.waitUntil(renewSubscription(event)));

async function renewSubscription(event: PushSubscriptionChangeEvent): Promise<void> {
  const key = event.oldSubscription?.options.applicationServerKey;
  if (event.newSubscription === null && key) {
    await self.registration.pushManager
      .subscribe({ userVisibleOnly: true, applicationServerKey: key })
      .catch(() => undefined);
  }
  const message: SubscriptionChangedMessage = { type: 'parley:push-subscription-changed' };
  for (const window of await appWindows()) window.postMessage(message);
}

/** The origin's windows, those this worker does not control yet included (opened before it was installed). */
function appWindows() {
  return self.clients.matchAll({ type: 'window', includeUncontrolled: true });
}
