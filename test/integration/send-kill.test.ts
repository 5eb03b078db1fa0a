import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendFrame } from '../../shared/protocol/inbound';
import { type Api, apiFor, befriend, logAfter } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';

const body = (text: string) => Buffer.from(text).toString('base64');
type Frame = { type?: string; message?: string; requestId?: string; messageId?: string; code?: string };

/**
 * The send function dies mid-way (its execution environment killed, as when Lambda's runtime process
 * dies) right after one of its writes landed. The client sees API Gateway's failure frame and sends again
 * with the same `messageId`, waiting as long as `Retry-After` says: the message is stored and pushed
 * exactly once, whichever write was the last.
 */
describe('a send whose function dies mid-way', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let alices: Api;
  let alicePhone: TestSocket;
  let bobPhone: TestSocket;

  beforeAll(async () => {
    stack = await startTestStack();
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    await befriend(stack, alice, bob);
    alices = apiFor(stack, alice);
    [alicePhone, bobPhone] = await Promise.all([
      connect(stack.endpoints.webSocketUrl, alice.accessToken),
      connect(stack.endpoints.webSocketUrl, bob.accessToken),
    ]);
  });

  afterAll(async () => {
    await Promise.all([alicePhone?.close(), bobPhone?.close()]);
    await stack?.stop();
  });

  /**
   * The log as a member reads it once it has caught up with `seq`: a seq taken by the function that died
   * and never placed holds readers back until its writer cannot still be running (twice the writer
   * deadline), and is then filled as `skipped`.
   */
  async function logUpTo(conversationId: string, seq: number) {
    for (let attempt = 0; ; attempt += 1) {
      const log = await logAfter(alices, conversationId);
      if ((log.at(-1)?.seq ?? 0) >= seq || attempt >= 45) return log;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /** Sends until acknowledged, as a client's outbox does: again after a failure, after `Retry-After`. */
  async function sendUntilAcked(
    conversationId: string,
    messageId: string,
  ): Promise<{ seq: number; attempts: string[] }> {
    const attempts: string[] = [];
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const requestId = `${messageId}-${attempt}`;
      const since = alicePhone.frames.length;
      alicePhone.send(sendFrame({ requestId, conversationId, messageId, body: body(messageId) }));
      const answer = await alicePhone.waitFor<Frame & { seq?: number; retryAfterSeconds?: number }>(
        (frame) =>
          (frame as Frame).requestId === requestId || (frame as Frame).message === 'Internal server error',
        { since, timeoutMs: 20_000 },
      );
      if (answer.type === 'ack') return { seq: answer.seq as number, attempts: [...attempts, 'ack'] };
      attempts.push(answer.type === 'error' ? String(answer.code) : 'died');
      await new Promise((resolve) => setTimeout(resolve, (answer.retryAfterSeconds ?? 0.2) * 1000));
    }
    throw new Error(`never acknowledged: ${attempts.join(', ')}`);
  }

  const killPoints: Array<
    [string, (messageId: string, conversationId: string) => (operation: string, body: string) => boolean]
  > = [
    [
      'its claim on the message id',
      (id) => (op, b) => op === 'PutItem' && b.includes('"SEND#') && b.includes(id),
    ],
    [
      'taking a seq',
      (_, conversationId) => (op, b) =>
        op === 'UpdateItem' && b.includes('"HEAD"') && b.includes(conversationId),
    ],
    ['storing the message', (id) => (op, b) => op === 'PutItem' && b.includes('"MSG#') && b.includes(id)],
    [
      'recording where it stored it',
      (id) => (op, b) => op === 'UpdateItem' && b.includes('"SEND#') && b.includes(id),
    ],
  ];

  it.each(killPoints)(
    'stores and pushes it exactly once when the function dies right after %s',
    async (_, point) => {
      // A conversation of its own: a seq abandoned by one case holds no other back.
      const { conversationId } = await alices.createConversation({
        body: { kind: 'group', name: 'Kill', memberIds: [bob.userId] },
      });
      const messageId = `kill-${Math.random().toString(36).slice(2, 10)}`;
      const pushedBefore = bobPhone.frames.length;
      stack.faults.killAfterDynamoDbRequest('wsSend', point(messageId, conversationId));

      const { seq, attempts } = await sendUntilAcked(conversationId, messageId);

      expect(attempts[0]).toBe('died');
      const log = await logUpTo(conversationId, seq);
      expect(log.filter((entry) => entry.messageId === messageId).map((entry) => entry.seq)).toEqual([seq]);
      // Nothing else took a place: every other seq is one the dead function took and never placed.
      expect(log.filter((entry) => entry.seq !== seq).every((entry) => entry.kind === 'skipped')).toBe(true);
      await bobPhone.waitFor((frame) => (frame as Frame).messageId === messageId, { since: pushedBefore });
      // Anything else on its way has arrived by the time a later message does.
      const marker = `after-${messageId}`;
      await sendUntilAcked(conversationId, marker);
      await bobPhone.waitFor((frame) => (frame as Frame).messageId === marker, { since: pushedBefore });
      const pushed = bobPhone.frames
        .slice(pushedBefore)
        .filter((frame) => (frame as Frame).type === 'message' && (frame as Frame).messageId === messageId);
      expect(pushed).toHaveLength(1);
      expect(stack.errors.filter((error) => !error.includes('Runtime.ExitError'))).toEqual([]);
    },
    120_000,
  );

  it('pushes a message whose send died after storing it even when no retry comes, once', async () => {
    const { conversationId } = await alices.createConversation({
      body: { kind: 'group', name: 'No retry', memberIds: [bob.userId] },
    });
    const messageId = `orphan-${Math.random().toString(36).slice(2, 10)}`;
    const pushedBefore = bobPhone.frames.length;
    stack.faults.killAfterDynamoDbRequest(
      'wsSend',
      (op, b) => op === 'PutItem' && b.includes('"MSG#') && b.includes(messageId),
    );
    const since = alicePhone.frames.length;
    alicePhone.send(sendFrame({ requestId: messageId, conversationId, messageId, body: body(messageId) }));
    await alicePhone.waitFor((frame) => (frame as Frame).message === 'Internal server error', { since });

    // Its fan-out job was queued before the message was placed: the sender pushes it once it finds it.
    const pushed = await bobPhone.waitFor<Frame & { seq: number }>(
      (frame) => (frame as Frame).type === 'message' && (frame as Frame).messageId === messageId,
      { since: pushedBefore, timeoutMs: 45_000 },
    );

    // A retry after all is answered with the stored message, and pushes nothing again.
    const { seq } = await sendUntilAcked(conversationId, messageId);
    expect(seq).toBe(pushed.seq);
    const marker = `after-${messageId}`;
    await sendUntilAcked(conversationId, marker);
    await bobPhone.waitFor((frame) => (frame as Frame).messageId === marker, { since: pushedBefore });
    expect(
      bobPhone.frames
        .slice(pushedBefore)
        .filter((frame) => (frame as Frame).type === 'message' && (frame as Frame).messageId === messageId),
    ).toHaveLength(1);
    expect(stack.errors.filter((error) => !error.includes('Runtime.ExitError'))).toEqual([]);
  }, 120_000);
});
