import { type ClientSocket, connect } from '../../tools/client/socket';
import type { Persona } from './personas';
import type { TestStack } from './stack';
import { eventually } from './table';

export { connect };
export type TestSocket = ClientSocket;

/**
 * Connects each person in turn, the next only once the previous one's presence push went out. A push that
 * reaches a connection still in its handshake is lost (the gateway answers 410 until `$connect` returns),
 * so a socket opened at the same moment could miss the other's presence.
 */
export async function connectInTurn(
  stack: TestStack,
  personas: readonly Pick<Persona, 'userId' | 'accessToken'>[],
): Promise<TestSocket[]> {
  const sockets: TestSocket[] = [];
  for (const [index, persona] of personas.entries()) {
    sockets.push(await connect(stack.endpoints.webSocketUrl, persona.accessToken));
    if (index === personas.length - 1) break;
    await eventually(async () =>
      stack.logs.find((log) => log.line.includes('Fan-out done') && log.line.includes(persona.userId)),
    );
  }
  return sockets;
}
