import { createApiClient } from '../../shared/client/api-client';
import type { MessageEnvelope } from '../../shared/protocol/resources';
import type { Persona } from './personas';
import type { TestStack } from './stack';

/** The typed HTTP client, signed in as a persona. */
export function apiFor(stack: TestStack, persona: Pick<Persona, 'accessToken'>) {
  return createApiClient({ baseUrl: stack.endpoints.httpApiUrl, accessToken: () => persona.accessToken });
}

export type Api = ReturnType<typeof apiFor>;

/** Makes two personas friends through the API: one asks, the other accepts. */
export async function befriend(stack: TestStack, first: Persona, second: Persona): Promise<void> {
  await apiFor(stack, first).sendFriendRequest({ body: { userId: second.userId } });
  await apiFor(stack, second).acceptFriendRequest({ params: { userId: first.userId } });
}

/** Every log entry of a conversation after `after` (all of it by default), as a member reads it over HTTP. */
export async function logAfter(api: Api, conversationId: string, after = 0): Promise<MessageEnvelope[]> {
  const items: MessageEnvelope[] = [];
  for (;;) {
    const page = await api.listMessages({ params: { conversationId }, query: { after, limit: 100 } });
    items.push(...page.items);
    const last = page.items.at(-1);
    if (page.next === undefined || last === undefined) return items;
    after = last.seq;
  }
}

/**
 * A raw request as a persona, bypassing the typed client's validation: for bodies the client would refuse
 * to send.
 */
export function rawRequest(
  stack: TestStack,
  persona: Pick<Persona, 'accessToken'>,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${stack.endpoints.httpApiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${persona.accessToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}
