import { createApiClient } from '../../shared/client/api-client';
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
