import { createApiClient } from '../../shared/client/api-client';
import { type ChatEvent, E2eeClient, type PostMessage } from '../../shared/e2ee/e2ee-client';
import { EncryptedStateStore } from '../../shared/e2ee/encrypted-state-store';
import { InMemoryStateStore } from '../../shared/e2ee/in-memory-state-store';
import type { StateStore } from '../../shared/e2ee/state-store';
import type { PushFrame } from '../../shared/protocol/outbound';
import type { ClientSocket } from './socket';

/** Who a device belongs to: a signed-in user. */
export interface DeviceUser {
  /** A name for messages (`alice`, `smoke-1`). */
  readonly name: string;
  readonly userId: string;
  readonly accessToken: string;
}

/**
 * One device of a user, as an app runs it: an E2EE client over the HTTP API, its state encrypted at rest,
 * and (when given one) a WebSocket whose pushes it handles as they come. What it decrypts lands in `events`.
 */
export interface E2eeDevice<U extends DeviceUser = DeviceUser> {
  readonly name: string;
  readonly user: U;
  readonly client: E2eeClient;
  /** The device's raw store under the encryption: what an attacker with the disk would see. */
  readonly disk: InMemoryStateStore;
  /** The same store as the client reads it (decrypted). */
  readonly store: StateStore;
  /** The socket the device handles pushes from; throws before {@link listen}. */
  readonly socket: ClientSocket;
  /** Handles every push that comes on this socket of the user from now on. */
  listen(socket: ClientSocket): void;
  readonly events: ChatEvent[];
  /** Another device of the user revoked this one (a `device` push told it). */
  readonly revoked: boolean;
  /** Failures while handling pushes; a healthy device has none. */
  readonly errors: unknown[];
  /** Texts of the messages received in a conversation, in `seq` order. */
  texts(conversationId: string): string[];
  /** Waits until a message with this text arrived in the conversation. */
  waitForText(conversationId: string, text: string, timeoutMs?: number): Promise<ChatEvent>;
  /** Waits until every push handled so far is done. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDeviceOptions {
  /** The HTTP client's `fetch`, to hold or watch a device's requests. */
  readonly fetch?: typeof fetch;
  /** How the device posts messages (by default over HTTP; see {@link postOverSocket}). */
  readonly postMessage?: PostMessage;
}

const decoder = new TextDecoder();

/**
 * Opens a device with a fresh store, registers it and uploads its key packages.
 *
 * @example
 * const phone = await openE2eeDevice(stage.httpApiUrl, user, 'phone');
 * phone.listen(await connect(stage.webSocketUrl, user.accessToken));
 * await phone.waitForText(conversationId, 'hello');
 */
export async function openE2eeDevice<U extends DeviceUser>(
  httpApiUrl: string,
  user: U,
  deviceId: string,
  options: OpenDeviceOptions = {},
): Promise<E2eeDevice<U>> {
  const api = createApiClient({
    baseUrl: httpApiUrl,
    accessToken: () => user.accessToken,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const disk = new InMemoryStateStore();
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const store = new EncryptedStateStore(disk, key);
  const events: ChatEvent[] = [];
  const errors: unknown[] = [];
  let revoked = false;
  const listeners = new Set<() => void>();
  let pending: Promise<unknown> = Promise.resolve();
  const client = await E2eeClient.open({
    api,
    userId: user.userId,
    deviceId,
    store,
    ...(options.postMessage === undefined ? {} : { postMessage: options.postMessage }),
    onEvents: (found) => {
      events.push(...found);
      for (const listener of listeners) listener();
    },
    onRevoked: () => {
      revoked = true;
    },
  });
  let socket: ClientSocket | undefined;
  const listen = (opened: ClientSocket) => {
    if (socket !== undefined) throw new Error(`${user.name}/${deviceId} listens to a socket already`);
    socket = opened;
    opened.ws.on('message', (data) => {
      let frame: PushFrame;
      try {
        frame = JSON.parse(data.toString()) as PushFrame;
      } catch (error) {
        errors.push(error);
        return;
      }
      const handled = client.handlePush(frame).catch((error: unknown) => errors.push(error));
      pending = Promise.all([pending, handled]);
    });
  };
  const texts = (conversationId: string) =>
    events
      .filter((e) => e.kind === 'message' && e.conversationId === conversationId)
      .sort((a, b) => a.seq - b.seq)
      .map((e) => (e.kind === 'message' ? decoder.decode(e.plaintext) : ''));
  const name = `${user.name}/${deviceId}`;
  return {
    name,
    user,
    client,
    disk,
    store,
    get revoked() {
      return revoked;
    },
    get socket() {
      if (socket === undefined) throw new Error(`${name} has no socket`);
      return socket;
    },
    listen,
    events,
    errors,
    texts,
    waitForText: (conversationId, text, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(
            (e) =>
              e.kind === 'message' &&
              e.conversationId === conversationId &&
              decoder.decode(e.plaintext) === text,
          );
          if (found === undefined) return false;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `${name} did not receive "${text}" in ${timeoutMs} ms; has ${JSON.stringify(texts(conversationId))}, errors ${errors.map(String).join('; ')}`,
            ),
          );
        }, timeoutMs);
        if (!check()) listeners.add(check);
      }),
    settled: async () => {
      let seen: Promise<unknown>;
      do {
        seen = pending;
        await seen;
      } while (seen !== pending);
    },
    close: async () => {
      await socket?.close();
    },
  };
}
