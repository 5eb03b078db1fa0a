import { createECDH, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../shared/client/api-client';
import { ErrorCode } from '../../../shared/protocol/errors';
import { PUSH_ENDPOINT_KEY, type PushRoutes, WebPush } from './web-push';

const vapidKey = () => createECDH('prime256v1').generateKeys().toString('base64url');
const KEY = vapidKey();

/** A browser's push manager as far as Parley uses it, holding one subscription at a time. */
class InMemoryPushManager {
  current: PushSubscription | null = null;
  made = 0;
  refuse = false;

  async getSubscription() {
    return this.current;
  }

  async subscribe(options: PushSubscriptionOptionsInit) {
    if (this.refuse) throw new DOMException('Registration failed - push service error', 'AbortError');
    this.made++;
    const key = new Uint8Array(options.applicationServerKey as Uint8Array).buffer;
    const json = {
      endpoint: `https://push.example/send/${this.made}`,
      expirationTime: null,
      keys: {
        p256dh: createECDH('prime256v1').generateKeys().toString('base64url'),
        auth: randomBytes(16).toString('base64url'),
      },
    };
    const subscription = {
      endpoint: json.endpoint,
      options: { userVisibleOnly: options.userVisibleOnly ?? false, applicationServerKey: key },
      toJSON: () => json,
      unsubscribe: async () => {
        if (this.current === subscription) this.current = null;
        return true;
      },
    } as unknown as PushSubscription;
    this.current = subscription;
    return subscription;
  }
}

/** The server's copy of the device's subscription, behind the three routes. */
function serverRoutes() {
  let stored: { endpoint: string; preview: 'name' | 'none' } | undefined;
  const notFound = (routeId: 'getPushSubscription' | 'deletePushSubscription') =>
    new ApiError({ routeId, status: 404, code: ErrorCode.NotFound, detail: 'No push subscription' });
  const routes = {
    putPushSubscription: vi.fn(async ({ body }) => {
      stored = { endpoint: body.endpoint, preview: body.preview ?? 'name' };
    }),
    getPushSubscription: vi.fn(async () => {
      if (!stored) throw notFound('getPushSubscription');
      return { endpointOrigin: new URL(stored.endpoint).origin, preview: stored.preview, updatedAt: '' };
    }),
    deletePushSubscription: vi.fn(async () => {
      if (!stored) throw notFound('deletePushSubscription');
      stored = undefined;
    }),
  };
  return { routes: routes as unknown as PushRoutes & typeof routes, stored: () => stored };
}

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

function setUp(options: { key?: string | undefined; manager?: InMemoryPushManager | undefined } = {}) {
  const manager = 'manager' in options ? options.manager : new InMemoryPushManager();
  const server = serverRoutes();
  const storage = memoryStorage();
  const statuses: string[] = [];
  const push = new WebPush(
    server.routes,
    'device-1',
    'key' in options ? options.key : KEY,
    async () => manager as unknown as PushManager | undefined,
    storage,
    (status) => statuses.push(status),
  );
  return { push, manager: manager as InMemoryPushManager, server, storage, statuses };
}

describe('Web Push for this device', () => {
  it('subscribes with the stage’s key, visibly only, and stores the subscription with the preview chosen', async () => {
    const { push, manager, server, statuses } = setUp();
    expect(await push.enable('none')).toBe('on');
    expect(manager.current?.options.userVisibleOnly).toBe(true);
    expect(
      Buffer.from(manager.current?.options.applicationServerKey as ArrayBuffer).toString('base64url'),
    ).toBe(KEY);
    const { endpoint, keys } = manager.current?.toJSON() ?? {};
    expect(server.routes.putPushSubscription).toHaveBeenCalledWith({
      params: { deviceId: 'device-1' },
      body: { endpoint, keys, preview: 'none' },
    });
    expect(server.stored()).toEqual({ endpoint: manager.current?.endpoint, preview: 'none' });
    expect(statuses).toEqual(['on']);
  });

  it('says notifications come only while Parley is open when the browser cannot subscribe', async () => {
    const refusing = new InMemoryPushManager();
    refusing.refuse = true;
    for (const options of [{ key: undefined }, { manager: undefined }, { manager: refusing }]) {
      const { push, server } = setUp(options);
      expect(await push.enable('name')).toBe('in-tab-only');
      expect(push.status).toBe('in-tab-only');
      expect(server.routes.putPushSubscription).not.toHaveBeenCalled();
    }
  });

  it('keeps the subscription it has, and replaces one made with another key', async () => {
    const { push, manager } = setUp();
    await push.enable('name');
    const first = manager.current;
    await push.enable('none');
    expect(manager.current).toBe(first);
    expect(manager.made).toBe(1);

    const other = setUp({ key: vapidKey(), manager });
    await other.push.enable('name');
    expect(manager.made).toBe(2);
    expect(manager.current).not.toBe(first);
  });

  it('at start, sends the subscription again only when the server lost it or holds another', async () => {
    const { push, manager, server } = setUp();
    await push.enable('name');
    server.routes.putPushSubscription.mockClear();

    await push.sync('name');
    expect(server.routes.putPushSubscription).not.toHaveBeenCalled();

    await push.sync('none');
    expect(server.stored()?.preview).toBe('none');

    await server.routes.deletePushSubscription();
    await push.sync('none');
    expect(server.stored()?.endpoint).toBe(manager.current?.endpoint);

    // The browser renewed its subscription meanwhile.
    await manager.current?.unsubscribe();
    await push.sync('none');
    expect(server.stored()?.endpoint).toBe('https://push.example/send/2');
    expect(server.routes.putPushSubscription).toHaveBeenCalledTimes(3);
  });

  it('turned off, ends the browser’s subscription and the server’s copy', async () => {
    const { push, manager, server, storage } = setUp();
    await push.enable('name');
    await push.disable();
    expect(manager.current).toBeNull();
    expect(server.stored()).toBeUndefined();
    expect(storage.getItem(PUSH_ENDPOINT_KEY)).toBeNull();
    expect(push.status).toBe('off');
    // Off twice: nothing on the server is no failure.
    await expect(push.disable()).resolves.toBeUndefined();
  });

  it('signing out ends the browser’s subscription, and asks the server only when told to', async () => {
    const { push, manager, server } = setUp();
    await push.enable('name');
    await push.forget({ server: false });
    expect(manager.current).toBeNull();
    expect(server.routes.deletePushSubscription).not.toHaveBeenCalled();

    await push.enable('name');
    await push.forget({ server: true });
    expect(server.stored()).toBeUndefined();
  });
});
