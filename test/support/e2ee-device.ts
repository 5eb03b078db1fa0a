import { createApiClient } from '../../shared/client/api-client';
import { encodeMessagePayload } from '../../shared/e2ee/attachment-payload';
import { type ChatEvent, E2eeClient, type PostMessage } from '../../shared/e2ee/e2ee-client';
import { EncryptedStateStore } from '../../shared/e2ee/encrypted-state-store';
import { InMemoryStateStore } from '../../shared/e2ee/in-memory-state-store';
import type { StateStore } from '../../shared/e2ee/state-store';
import type { PushFrame } from '../../shared/protocol/outbound';
import type { Persona } from './personas';
import { connect, type TestSocket } from './socket';
import type { TestStack } from './stack';

/**
 * One device of a persona, as an app runs it: an E2EE client over the HTTP API, its state encrypted at
 * rest, and a WebSocket whose pushes it handles as they come. What it decrypts lands in `events`.
 */
export interface E2eeTestDevice {
  readonly name: string;
  readonly persona: Persona;
  readonly client: E2eeClient;
  /** The device's raw store under the encryption: what an attacker with the disk would see. */
  readonly disk: InMemoryStateStore;
  /** The same store as the client reads it (decrypted). */
  readonly store: StateStore;
  readonly socket: TestSocket;
  readonly events: ChatEvent[];
  /** Another device of the user revoked this one (a `device` push told it). */
  readonly revoked: boolean;
  /** Failures while handling pushes; a test expects none. */
  readonly errors: unknown[];
  /** Texts of the messages received in a conversation, in `seq` order. */
  texts(conversationId: string): string[];
  /** Waits until a message with this text arrived in the conversation. */
  waitForText(conversationId: string, text: string, timeoutMs?: number): Promise<ChatEvent>;
  /** Waits until every push handled so far is done. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const decoder = new TextDecoder();

export async function openDevice(
  stack: TestStack,
  persona: Persona,
  deviceId: string,
  options: {
    connect?: boolean;
    /** The HTTP client's `fetch`, to hold or watch a device's requests. */
    fetch?: typeof fetch;
    /** How the device posts messages (by default over HTTP). */
    postMessage?: PostMessage;
  } = {},
): Promise<E2eeTestDevice> {
  const api = createApiClient({
    baseUrl: stack.endpoints.httpApiUrl,
    accessToken: () => persona.accessToken,
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
    userId: persona.userId,
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
  const socket =
    options.connect === false ? undefined : await connect(stack.endpoints.webSocketUrl, persona.accessToken);
  socket?.ws.on('message', (data) => {
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
  const texts = (conversationId: string) =>
    events
      .filter((e) => e.kind === 'message' && e.conversationId === conversationId)
      .sort((a, b) => a.seq - b.seq)
      .map((e) => (e.kind === 'message' ? decoder.decode(e.plaintext) : ''));
  return {
    name: `${persona.name}/${deviceId}`,
    persona,
    client,
    disk,
    store,
    get revoked() {
      return revoked;
    },
    get socket() {
      if (socket === undefined) throw new Error('device opened without a socket');
      return socket;
    },
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
              `${persona.name}/${deviceId} did not receive "${text}" in ${timeoutMs} ms; has ${JSON.stringify(texts(conversationId))}, errors ${errors.map(String).join('; ')}`,
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

/** The ways a marker could show up in stored or logged text: as is, in base64 (any alignment), in hex. */
export function markerForms(marker: string): string[] {
  const bytes = Buffer.from(marker, 'utf8');
  const forms = [marker, bytes.toString('hex')];
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), bytes]);
    const encoded = padded.toString('base64').replace(/=+$/, '');
    // Drop the characters that mix in the neighbours' bits: what is left is fixed by the marker alone.
    const start = Math.ceil((shift * 8) / 6) + 1;
    forms.push(encoded.slice(start, encoded.length - 2));
  }
  return forms;
}

/** The first form of any marker found in `text`. */
export function findMarker(text: string, markers: readonly string[]): string | undefined {
  for (const marker of markers) {
    for (const form of markerForms(marker)) if (text.includes(form)) return `${marker} (as ${form})`;
  }
  return undefined;
}

/** Sends `text` from a device as the web client writes it (its payload schema), and resolves to the ack. */
export async function sendAsWebClient(device: E2eeTestDevice, conversationId: string, text: string) {
  const payload = encodeMessagePayload({ text });
  if (!payload) throw new Error(`Not a payload: ${text}`);
  return device.client.send(conversationId, payload);
}
