import type { ApiClient } from '../../../shared/client/api-client';
import { ApiError } from '../../../shared/client/api-client';
import type { PushSubscriptionView } from '../../../shared/protocol/resources';
import type { NotificationPreview } from './notify';
import { SERVICE_WORKER_URL } from './service-worker';

/**
 * Whether notifications reach this browser while Parley is closed: `on`, subscribed to Web Push and the
 * subscription on the server; `in-tab-only`, turned on but the browser could not subscribe (no push
 * support, no key for the stage, or no push service, as in a Chromium without Google's); `off`.
 */
export type PushStatus = 'off' | 'on' | 'in-tab-only';

/** The routes of this device's push subscription. */
export type PushRoutes = Pick<
  ApiClient,
  'putPushSubscription' | 'getPushSubscription' | 'deletePushSubscription'
>;

/**
 * What of the browser's push support this needs: its service worker's push manager. `ready`: once the
 * worker is active, to subscribe (registered first if need be); otherwise whatever is registered now, to
 * end a subscription without waiting on a worker.
 */
export type PushManagerSource = (need: 'ready' | 'registered') => Promise<PushManager | undefined>;

/** Where the endpoint last sent to the server is kept: the server answers only with its origin. */
export const PUSH_ENDPOINT_KEY = 'parley.pushEndpoint';

/**
 * This device's Web Push subscription, kept in step with the server's copy: subscribed and sent when the
 * person turns notifications on (with what they may show), sent again when that choice changes or the
 * browser's subscription did, removed when they turn them off or sign out.
 */
export class WebPush {
  status: PushStatus = 'off';

  constructor(
    private readonly api: PushRoutes,
    private readonly deviceId: string,
    /** The stage's VAPID public key; without it, no push reaches this stage's browsers. */
    private readonly vapidPublicKey: string | undefined,
    private readonly pushManager: PushManagerSource = browserPushManager,
    private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> = localStorage,
    private readonly onChange: (status: PushStatus) => void = () => {},
  ) {}

  /** Subscribes (or keeps the subscription) and stores it on the server with `preview`. */
  async enable(preview: NotificationPreview): Promise<PushStatus> {
    try {
      const subscription = await this.subscription();
      if (!subscription) return this.set('in-tab-only');
      await this.send(subscription, preview);
      return this.set('on');
    } catch (error) {
      console.warn('Push notifications could not be turned on', { name: (error as Error)?.name });
      return this.set('in-tab-only');
    }
  }

  /**
   * At start, with notifications on: the server gets the subscription again if it lost it, holds another
   * endpoint (the browser renewed it) or another preview.
   */
  async sync(preview: NotificationPreview): Promise<PushStatus> {
    try {
      const subscription = await this.subscription();
      if (!subscription) return this.set('in-tab-only');
      const stored = await this.stored();
      const endpoint = subscription.toJSON().endpoint ?? '';
      const same =
        stored !== undefined &&
        stored.preview === preview &&
        stored.endpointOrigin === new URL(endpoint).origin &&
        this.storage.getItem(PUSH_ENDPOINT_KEY) === `${this.deviceId} ${endpoint}`;
      if (!same) await this.send(subscription, preview);
      return this.set('on');
    } catch (error) {
      console.warn('Push notifications could not be renewed', { name: (error as Error)?.name });
      return this.set('in-tab-only');
    }
  }

  /** Turned off: the browser's subscription ends and the server forgets it. */
  async disable(): Promise<void> {
    this.set('off');
    await this.unsubscribe();
    await this.api.deletePushSubscription({ params: { deviceId: this.deviceId } }).catch(ignoreNotFound);
  }

  /**
   * Signing out: the server forgets the subscription while the session still may ask (`server`), and the
   * browser's subscription ends, so nothing more comes to it for this user.
   */
  async forget(options: { server: boolean }): Promise<void> {
    this.set('off');
    if (options.server) {
      await this.api
        .deletePushSubscription({ params: { deviceId: this.deviceId } })
        .catch((error: unknown) =>
          console.warn('Push subscription not removed', { name: (error as Error)?.name }),
        );
    }
    await this.unsubscribe().catch(() => undefined);
  }

  /** The browser's subscription with the stage's key: the one it has, or a new one. */
  private async subscription(): Promise<PushSubscription | undefined> {
    const key = this.vapidPublicKey ? decodeBase64Url(this.vapidPublicKey) : undefined;
    const manager = key ? await this.pushManager('ready') : undefined;
    if (!key || !manager) return undefined;
    const current = await manager.getSubscription();
    if (current && sameBytes(current.options.applicationServerKey, key)) return current;
    // Made with another stage's key (or an older one): its pushes would be refused.
    if (current) await current.unsubscribe();
    return manager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  }

  private async stored(): Promise<PushSubscriptionView | undefined> {
    try {
      return await this.api.getPushSubscription({ params: { deviceId: this.deviceId } });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  private async send(subscription: PushSubscription, preview: NotificationPreview): Promise<void> {
    const { endpoint, keys } = subscription.toJSON();
    await this.api.putPushSubscription({
      params: { deviceId: this.deviceId },
      body: {
        endpoint: endpoint ?? '',
        keys: { p256dh: keys?.p256dh ?? '', auth: keys?.auth ?? '' },
        preview,
      },
    });
    this.storage.setItem(PUSH_ENDPOINT_KEY, `${this.deviceId} ${endpoint}`);
  }

  private async unsubscribe(): Promise<void> {
    this.storage.removeItem(PUSH_ENDPOINT_KEY);
    const manager = await this.pushManager('registered');
    const current = await manager?.getSubscription();
    await current?.unsubscribe();
  }

  private set(status: PushStatus): PushStatus {
    if (status !== this.status) {
      this.status = status;
      this.onChange(status);
    }
    return status;
  }
}

/** The push manager of this page's service worker; none where the browser has no push. */
async function browserPushManager(need: 'ready' | 'registered'): Promise<PushManager | undefined> {
  if (!('serviceWorker' in navigator) || typeof PushManager === 'undefined') return undefined;
  if (need === 'registered') return (await navigator.serviceWorker.getRegistration('/'))?.pushManager;
  // Registered already after the page's load, unless that failed: then this fails too, rather than wait
  // for a worker that will never be ready.
  await navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: '/' });
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager;
}

function ignoreNotFound(error: unknown): void {
  if (error instanceof ApiError && error.status === 404) return;
  throw error;
}

function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function sameBytes(a: ArrayBuffer | null, b: Uint8Array): boolean {
  if (a === null || a.byteLength !== b.length) return false;
  const bytes = new Uint8Array(a);
  return bytes.every((byte, i) => byte === b[i]);
}
