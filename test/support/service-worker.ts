import type { BrowserContext, Page } from 'playwright-core';

/** A notification the service worker shows, as `registration.getNotifications()` reads it back. */
export interface ShownNotification {
  readonly title: string;
  readonly body: string;
  readonly tag: string;
  readonly data: unknown;
}

/** A window of the origin, as the service worker sees it (`clients.matchAll`). */
export interface WorkerWindow {
  readonly url: string;
  readonly visibilityState: string;
  readonly focused: boolean;
}

/** The site's service worker in one browser context, reached through the DevTools protocol. */
export interface ServiceWorkerHandle {
  /** Delivers a push as a push service hands it to the browser once decrypted: `data` is the event's `data.text()`. */
  deliver(data: string): Promise<void>;
  /** What the worker shows now, read in the worker (a page of the origin would be a Parley window). */
  shown(): Promise<ShownNotification[]>;
  /** The origin's windows as the worker sees them. */
  windows(): Promise<WorkerWindow[]>;
  /** Closes the blank page the DevTools session runs on. */
  close(): Promise<void>;
}

/**
 * Attaches to the service worker `origin` registered in `context` (a page of the origin must have
 * registered it already). The DevTools protocol needs a page: one of no origin, `about:blank`, so it is
 * no Parley window and the context's Parley pages may all be closed.
 */
export async function attachToServiceWorker(
  context: BrowserContext,
  origin: string,
): Promise<ServiceWorkerHandle> {
  const blank: Page = await context.newPage();
  const cdp = await context.newCDPSession(blank);
  const found = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r) => r.scopeURL === `${origin}/` && !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  const registrationId = await found;

  const worker = () => {
    const running = context.serviceWorkers().find((w) => w.url() === `${origin}/sw.js`);
    if (!running) throw new Error('The service worker is not running');
    return running;
  };
  return {
    deliver: async (data) => {
      await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data });
    },
    shown: () =>
      worker().evaluate(async () => {
        const scope = self as unknown as { registration: ServiceWorkerRegistration };
        const shown = await scope.registration.getNotifications();
        return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as unknown }));
      }),
    windows: () =>
      worker().evaluate(async () => {
        const scope = self as unknown as {
          clients: {
            matchAll(o: object): Promise<Array<{ url: string; visibilityState: string; focused: boolean }>>;
          };
        };
        const all = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
        return all.map((c) => ({ url: c.url, visibilityState: c.visibilityState, focused: c.focused }));
      }),
    close: () => blank.close(),
  };
}
