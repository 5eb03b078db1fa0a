/**
 * Many people at once, for the load parts of the benchmark: sign-ups, pairs of
 * friends, and a light WebSocket client per device that stamps each frame it
 * gets with its arrival time.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  AdminConfirmSignUpCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import WebSocket from 'ws';
import { apiFor, befriend } from '../test/support/api';
import { cognitoClient, PASSWORD, type Persona } from '../test/support/personas';
import type { TestStack } from '../test/support/stack';

/** Requests in flight at once while building a population: enough to overlap, few enough for two cores. */
const SETUP_CONCURRENCY = 8;

/** Runs `work` over `items`, `concurrency` at a time, and returns the results in order. */
export async function inPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as T, index);
      }
    }),
  );
  return results;
}

/**
 * Signs `count` people up. Unlike `signUp` in `test/support/personas.ts`, the account is confirmed through
 * the stand-in's admin API rather than the emailed code, which hundreds of sign-ups would queue on.
 */
export async function signUpMany(stack: TestStack, count: number, prefix: string): Promise<Persona[]> {
  const client = cognitoClient(stack);
  const clientId = stack.endpoints.userPoolClientId;
  try {
    return await inPool(
      Array.from({ length: count }, (_, index) => `${prefix}${index}`),
      SETUP_CONCURRENCY,
      async (name) => {
        const email = `${name}.${randomUUID().slice(0, 8)}@example.com`;
        const signedUp = await client.send(
          new SignUpCommand({
            ClientId: clientId,
            Username: email,
            Password: PASSWORD,
            UserAttributes: [{ Name: 'email', Value: email }],
          }),
        );
        await client.send(
          new AdminConfirmSignUpCommand({ UserPoolId: stack.endpoints.userPoolId, Username: email }),
        );
        const auth = await client.send(
          new InitiateAuthCommand({
            ClientId: clientId,
            AuthFlow: 'USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: email, PASSWORD },
          }),
        );
        const result = auth.AuthenticationResult;
        if (!result?.AccessToken || !result.IdToken || !result.RefreshToken || !signedUp.UserSub) {
          throw new Error(`Sign-in of ${name} returned no tokens`);
        }
        const me = await apiFor(stack, { accessToken: result.AccessToken }).getMe();
        return {
          name,
          email,
          password: PASSWORD,
          userId: signedUp.UserSub,
          accessToken: result.AccessToken,
          idToken: result.IdToken,
          refreshToken: result.RefreshToken,
          username: me.username,
        };
      },
    );
  } finally {
    client.destroy();
  }
}

/** Two friends; their direct conversation is opened by their first message. */
export interface Pair {
  readonly a: Persona;
  readonly b: Persona;
}

/** Makes friends of the people two by two: the first with the second, the third with the fourth… */
export async function pairUp(stack: TestStack, people: readonly Persona[]): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let index = 0; index + 1 < people.length; index += 2) {
    pairs.push({ a: people[index] as Persona, b: people[index + 1] as Persona });
  }
  await inPool(pairs, SETUP_CONCURRENCY, (pair) => befriend(stack, pair.a, pair.b));
  return pairs;
}

/** A frame a device received, with when it arrived (`performance.now()`). */
export type FrameListener = (
  device: Device,
  frame: { type?: string } & Record<string, unknown>,
  at: number,
) => void;

/** One device of one person: a WebSocket and nothing else (no parsing beyond JSON, no history kept). */
export interface Device {
  readonly persona: Persona;
  /** Which of the person's devices. */
  readonly index: number;
  send(frame: unknown): void;
  close(): Promise<void>;
}

/** Opens a device's WebSocket; every frame it receives goes to `listener`. */
export function connectDevice(
  url: string,
  persona: Persona,
  index: number,
  listener: FrameListener,
): Promise<Device> {
  const ws = new WebSocket(`${url}?token=${encodeURIComponent(persona.accessToken)}`);
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const device: Device = {
    persona,
    index,
    send: (frame) => ws.send(JSON.stringify(frame)),
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
  ws.on('message', (data) => {
    const at = performance.now();
    listener(device, JSON.parse(data.toString()) as { type?: string } & Record<string, unknown>, at);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(device));
    ws.once('unexpected-response', (_request, response) => {
      reject(new Error(`WebSocket refused with ${response.statusCode}`));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/** Opens `devicesEach` devices for every person, a few at a time; `devices[p][d]` is person p's device d. */
export async function connectAll(
  stack: TestStack,
  people: readonly Persona[],
  devicesEach: number,
  listener: FrameListener,
): Promise<Device[][]> {
  const slots = people.flatMap((persona, p) =>
    Array.from({ length: devicesEach }, (_, d) => ({ persona, p, d })),
  );
  const opened = await inPool(slots, SETUP_CONCURRENCY * 2, (slot) =>
    connectDevice(stack.endpoints.webSocketUrl, slot.persona, slot.d, listener),
  );
  return people.map((_, p) => opened.slice(p * devicesEach, (p + 1) * devicesEach));
}
