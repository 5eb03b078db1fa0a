import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pingFrame } from '../../shared/protocol/inbound';
import { befriend } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';

/** The gateway's idle timeout here: API Gateway's 10 minutes, shortened. */
const IDLE_TIMEOUT_IN_MS = 1_000;

const lambdaCounts = (stack: TestStack) =>
  Object.entries(stack.meter.snapshot()).filter(([operation]) => operation.startsWith('lambda '));

/** Sends `ping` every third of the idle timeout until stopped, as a client that only receives does. */
function keepAlive(socket: TestSocket): () => void {
  const timer = setInterval(() => socket.send(pingFrame()), IDLE_TIMEOUT_IN_MS / 3);
  return () => clearInterval(timer);
}

describe('the heartbeat', () => {
  let stack: TestStack;
  let ada: Persona;
  let ben: Persona;

  beforeAll(async () => {
    stack = await startTestStack({ idleTimeoutMs: IDLE_TIMEOUT_IN_MS });
    [ada, ben] = await Promise.all([signUp(stack, 'ada'), signUp(stack, 'ben')]);
    await befriend(stack, ada, ben);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('is answered pong by the gateway itself, without invoking a function', async () => {
    const socket = await connect(stack.endpoints.webSocketUrl, ada.accessToken);
    // $connect's own invocations are done once the socket is open.
    const before = lambdaCounts(stack);
    for (let i = 0; i < 3; i += 1) {
      socket.send(pingFrame());
      expect(await socket.next('pong')).toEqual({ type: 'pong' });
    }
    expect(lambdaCounts(stack)).toEqual(before);
    expect(stack.meter.snapshot()['apigateway message out (mock reply)']).toBeGreaterThanOrEqual(3);
    await socket.close();
  });

  it('keeps a socket that only receives open past the idle timeout, and it still gets pushes', async () => {
    const listener = await connect(stack.endpoints.webSocketUrl, ada.accessToken);
    const stop = keepAlive(listener);
    let closed = false;
    void listener.closed().then(() => {
      closed = true;
    });
    // Three idle timeouts go by with nothing but pings from the listener.
    await new Promise((resolve) => setTimeout(resolve, 3 * IDLE_TIMEOUT_IN_MS));
    expect(closed).toBe(false);

    const friend = await connect(stack.endpoints.webSocketUrl, ben.accessToken);
    expect(
      await listener.waitFor(
        (frame) =>
          (frame as { type?: string; userId?: string }).type === 'presence' &&
          (frame as { userId?: string }).userId === ben.userId,
      ),
    ).toMatchObject({ type: 'presence', userId: ben.userId, online: true });
    stop();
    await friend.close();
    await listener.close();
  });

  it('does not keep a socket that sends nothing: it is closed at the idle timeout', async () => {
    const silent = await connect(stack.endpoints.webSocketUrl, ada.accessToken);
    expect((await silent.closed()).code).toBe(1001);
  });
});
