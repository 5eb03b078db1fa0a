import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTING_GRACE_IN_MS } from '../../functions/chat/push/post-all';
import { pingFrame, sendFrame } from '../../shared/protocol/inbound';
import type { PresencePush } from '../../shared/protocol/outbound';
import { apiFor, befriend } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, connectInTurn, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';

/** The gateway's idle timeout in the first suite: API Gateway's 10 minutes, shortened. */
const IDLE_TIMEOUT_IN_MS = 1_500;

const offline = (userId: string) => (frame: unknown) =>
  (frame as PresencePush).type === 'presence' &&
  (frame as PresencePush).userId === userId &&
  (frame as PresencePush).online === false;

/** The connection ids the gateway holds that are not in `before`. */
const newConnection = (stack: TestStack, before: readonly string[]): string => {
  const [id] = stack.webSocket.connectionIds().filter((candidate) => !before.includes(candidate));
  if (!id) throw new Error('No new connection');
  return id;
};

/** Whether a `$disconnect` ran for the connection. */
const disconnectRan = (stack: TestStack, connectionId: string) =>
  stack.logs.some(
    (log) =>
      log.functionName === 'wsDisconnect' &&
      log.line.includes('Connection closed') &&
      log.line.includes(connectionId),
  );

describe('presence after a connection ends with no $disconnect', () => {
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

  it('goes offline within about an idle timeout, and a friend is pushed the offline', async () => {
    const watcher = await connect(stack.endpoints.webSocketUrl, ada.accessToken);
    const keepAlive = setInterval(() => watcher.send(pingFrame()), IDLE_TIMEOUT_IN_MS / 3);
    try {
      const before = stack.webSocket.connectionIds();
      await connect(stack.endpoints.webSocketUrl, ben.accessToken);
      const lost = newConnection(stack, before);
      await watcher.waitFor((frame) => (frame as PresencePush).type === 'presence');

      expect(stack.faults.dropConnectionWithoutDisconnect(lost)).toBe(true);

      const push = await watcher.waitFor<PresencePush>(offline(ben.userId));
      expect(push.lastSeenAt).toEqual(expect.any(String));
      const { items } = await apiFor(stack, ada).getPresence({ query: { userIds: ben.userId } });
      expect(items).toEqual([expect.objectContaining({ userId: ben.userId, online: false })]);
      // Nothing but the liveness check found it: its $disconnect never ran.
      expect(disconnectRan(stack, lost)).toBe(false);
      expect(stack.errors).toEqual([]);
    } finally {
      clearInterval(keepAlive);
      await watcher.close();
    }
  });
});

describe('presence when a push finds the last connection gone', () => {
  let stack: TestStack;
  let cleo: Persona;
  let dan: Persona;
  let sockets: TestSocket[];

  beforeAll(async () => {
    // API Gateway's own idle timeout: no liveness check comes due during the test.
    stack = await startTestStack();
    [cleo, dan] = await Promise.all([signUp(stack, 'cleo'), signUp(stack, 'dan')]);
    await befriend(stack, cleo, dan);
  });

  afterAll(async () => {
    for (const socket of sockets ?? []) await socket.close();
    await stack?.stop();
  });

  it('sends the offline push to the friends $disconnect would', async () => {
    const before = stack.webSocket.connectionIds();
    sockets = await connectInTurn(stack, [dan, cleo]);
    const [, sender] = sockets as [TestSocket, TestSocket];
    const lost = stack.webSocket.connectionIds().filter((id) => !before.includes(id))[0] as string;
    // A connection younger than this is taken for one still in its handshake, and kept.
    await new Promise((resolve) => setTimeout(resolve, CONNECTING_GRACE_IN_MS));
    expect(stack.faults.dropConnectionWithoutDisconnect(lost)).toBe(true);

    sender.send(sendFrame({ requestId: 'r1', recipientId: dan.userId, messageId: 'm1', body: 'aGk=' }));
    await sender.next('ack');

    await sender.waitFor(offline(dan.userId));
    const { items } = await apiFor(stack, cleo).getPresence({ query: { userIds: dan.userId } });
    expect(items).toEqual([expect.objectContaining({ userId: dan.userId, online: false })]);
    expect(disconnectRan(stack, lost)).toBe(false);
    expect(stack.errors).toEqual([]);
  });
});
