import { encodeMessagePayload } from '../../shared/e2ee/attachment-payload';
import type { PostMessage } from '../../shared/e2ee/e2ee-client';
import { type E2eeDevice, openE2eeDevice } from '../../tools/client/e2ee-device';
import type { Persona } from './personas';
import { connect } from './socket';
import type { TestStack } from './stack';

/** One device of a persona (see {@link E2eeDevice}), which the persona's tests reach as `persona`. */
export interface E2eeTestDevice extends E2eeDevice<Persona> {
  readonly persona: Persona;
}

/** Opens a device of a persona on the test stack, connected unless told otherwise. */
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
  const device = await openE2eeDevice(stack.endpoints.httpApiUrl, persona, deviceId, {
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.postMessage === undefined ? {} : { postMessage: options.postMessage }),
  });
  if (options.connect !== false)
    device.listen(await connect(stack.endpoints.webSocketUrl, persona.accessToken));
  return Object.assign(device, { persona });
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
