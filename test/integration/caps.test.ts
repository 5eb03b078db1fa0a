import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually, tableReader } from '../support/table';

/** Per-user caps, lowered here so a test can reach them: past each, LIMIT_REACHED and nothing stored. */
describe('caps', () => {
  let stack: TestStack;
  let table: ReturnType<typeof tableReader>;
  let alice: Persona;

  beforeAll(async () => {
    stack = await startTestStack({ caps: { socketsPerUser: 2 } });
    table = tableReader(stack);
    alice = await signUp(stack, 'alice');
  });

  afterAll(async () => {
    table?.destroy();
    await stack?.stop();
  });

  describe('sockets per user', () => {
    it('refuses a WebSocket past the cap with 409 and keeps the open ones; a closed one frees a place', async () => {
      const open: TestSocket[] = [
        await connect(stack.endpoints.webSocketUrl, alice.accessToken),
        await connect(stack.endpoints.webSocketUrl, alice.accessToken),
      ];

      await expect(connect(stack.endpoints.webSocketUrl, alice.accessToken)).rejects.toMatchObject({
        status: 409,
      });

      expect(await table.connections(alice.userId)).toHaveLength(2);
      expect(stack.webSocket.connectionIds()).toHaveLength(2);
      for (const socket of open) expect(socket.ws.readyState).toBe(socket.ws.OPEN);
      await open[0]?.close();
      await eventually(async () => ((await table.connections(alice.userId)).length === 1 ? true : undefined));
      const again = await connect(stack.endpoints.webSocketUrl, alice.accessToken);
      await again.close();
      await open[1]?.close();
    });
  });
});
