import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamodb/keys';
import type { PostMessage } from '../../shared/e2ee/e2ee-client';
import { SKIPPED_SENDER_ID, skippedMessageId } from '../../shared/protocol/ids';
import { sendFrame } from '../../shared/protocol/inbound';
import type { AckFrame, MessageFrame } from '../../shared/protocol/outbound';
import { type Api, apiFor, befriend, logAfter } from '../support/api';
import { type E2eeTestDevice, openDevice } from '../support/e2ee-device';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { tableReader } from '../support/table';

const UNLIMITED = { send: { limit: 100_000, windowSeconds: 60 } };
const SENDS_PER_SOCKET = 15;

const body = (text: string) => Buffer.from(text).toString('base64');
const isType =
  <T>(type: string, conversationId: string) =>
  (frame: unknown): frame is T =>
    (frame as { type?: string }).type === type &&
    (frame as { conversationId?: string }).conversationId === conversationId;

/** The order of a conversation through the local stack, when many send at once and when a send stalls. */
describe('message order', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let alices: Api;
  let group: string;

  beforeAll(async () => {
    stack = await startTestStack({ rateLimits: UNLIMITED });
    [alice, bob, carol] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
    ]);
    alices = apiFor(stack, alice);
    await Promise.all([befriend(stack, alice, bob), befriend(stack, alice, carol)]);
    group = (
      await alices.createConversation({
        body: { kind: 'group', name: 'Order', memberIds: [bob.userId, carol.userId] },
      })
    ).conversationId;
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('numbers a burst from every member at once 1..n: every device gets each message once, none missing', async () => {
    const personas = [alice, alice, bob, carol];
    const sockets: TestSocket[] = await Promise.all(
      personas.map((persona) => connect(stack.endpoints.webSocketUrl, persona.accessToken)),
    );
    const total = sockets.length * SENDS_PER_SOCKET;
    const isAck = isType<AckFrame>('ack', group);
    const isMessage = isType<MessageFrame>('message', group);

    sockets.forEach((socket, index) => {
      for (let n = 0; n < SENDS_PER_SOCKET; n += 1) {
        socket.send(
          sendFrame({ conversationId: group, messageId: `s${index}-${n}`, body: body(`${index}/${n}`) }),
        );
      }
    });
    // Each socket has its own acks and everyone else's pushes: together, the whole conversation.
    await Promise.all(
      sockets.map((socket) =>
        socket.waitFor(() => socket.frames.filter((f) => isAck(f) || isMessage(f)).length >= total, {
          timeoutMs: 60_000,
          since: 0,
        }),
      ),
    );

    const acks = sockets.flatMap((socket) => socket.frames.filter(isAck));
    expect(acks.map((ack) => ack.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: total }, (_, index) => index + 1),
    );
    for (const socket of sockets) {
      const seen = socket.frames.filter((f) => isAck(f) || isMessage(f)).map((frame) => frame.seq);
      expect(new Set(seen).size, 'each seq once on each socket').toBe(total);
      expect(Math.max(...seen)).toBe(total);
    }
    const log = await logAfter(alices, group);
    expect(log.map((entry) => entry.seq)).toEqual(Array.from({ length: total }, (_, index) => index + 1));
    expect(new Set(log.map((entry) => `${entry.senderId}/${entry.messageId}`)).size).toBe(total);
    await Promise.all(sockets.map((socket) => socket.close()));
  }, 90_000);

  describe('with a seq taken and not placed yet', () => {
    let aliceLaptop: E2eeTestDevice;
    let bobPhone: E2eeTestDevice;
    let direct: string;

    beforeAll(async () => {
      aliceLaptop = await openDevice(stack, alice, 'laptop');
      bobPhone = await openDevice(stack, bob, 'phone');
      direct = (await alices.createConversation({ body: { kind: 'direct', userId: bob.userId } }))
        .conversationId;
      await aliceLaptop.client.send(direct, new TextEncoder().encode('first'));
      await bobPhone.waitForText(direct, 'first');
    }, 60_000);

    afterAll(async () => {
      await Promise.all([aliceLaptop?.close(), bobPhone?.close()]);
    });

    it('shows a message pushed past it once the seq is filled, and nothing for the seq itself', async () => {
      const table = tableReader(stack);
      // A send that took the next seq and stalls: the head moves, no message is placed.
      const { Attributes } = await table.client.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: keys.head(direct),
          UpdateExpression: 'SET seq = seq + :one, contentCount = contentCount + :one, lastAt = :now',
          ExpressionAttributeValues: { ':one': 1, ':now': Date.now() },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const stalled = Number(Attributes?.seq);

      await aliceLaptop.client.send(direct, new TextEncoder().encode('overtook'));
      // Bob's device has the push but the log stops before the stalled seq: it waits, and shows nothing out of order.
      await bobPhone.socket.waitFor(
        (frame) => isType<MessageFrame>('message', direct)(frame) && frame.seq === stalled + 1,
      );
      const pending = await apiFor(stack, bob).listMessages({
        params: { conversationId: direct },
        query: { after: stalled - 1, limit: 10 },
      });
      expect(pending.items).toEqual([]);
      expect(bobPhone.texts(direct)).toEqual(['first']);

      // The seq is filled (as a reader does once its writer cannot still be running).
      await table.client.send(
        new PutCommand({
          TableName: table.tableName,
          Item: {
            ...keys.message(direct, stalled),
            conversationId: direct,
            seq: stalled,
            messageId: skippedMessageId(stalled),
            senderId: SKIPPED_SENDER_ID,
            sentAt: Date.now(),
            kind: 'skipped',
            contentCount: Number(Attributes?.contentCount),
          },
        }),
      );

      await bobPhone.waitForText(direct, 'overtook', 20_000);
      expect(bobPhone.texts(direct)).toEqual(['first', 'overtook']);
      await bobPhone.settled();
      expect(bobPhone.errors).toEqual([]);
      const log = await logAfter(alices, direct);
      expect(log.map((entry) => entry.kind).slice(-2)).toEqual(['skipped', 'message']);
    }, 60_000);
  });

  describe('a device that sends over its socket', () => {
    it('reads the messages before its own from the log when their pushes have not reached it', async () => {
      // Alice's device posts on a socket of its own and handles no pushes: as the web client's tab, which
      // gets an ack for its message and no push of it.
      const sender = await connect(stack.endpoints.webSocketUrl, alice.accessToken);
      let requests = 0;
      const overSocket: PostMessage = async (conversationId, fields) => {
        const requestId = `r-${++requests}`;
        sender.send({ ...sendFrame({ conversationId, ...fields }), requestId });
        const reply = await sender.waitFor<AckFrame>(
          (frame) => (frame as { requestId?: string }).requestId === requestId,
        );
        return { conversationId, messageId: reply.messageId, seq: reply.seq, sentAt: reply.sentAt };
      };
      const laptop = await openDevice(stack, alice, 'quiet-laptop', {
        connect: false,
        postMessage: overSocket,
      });
      const carolPhone = await openDevice(stack, carol, 'phone-2');
      const chat = (
        await alices.createConversation({ body: { kind: 'group', name: 'Quiet', memberIds: [carol.userId] } })
      ).conversationId;
      await laptop.client.send(chat, new TextEncoder().encode('hello'));
      await carolPhone.waitForText(chat, 'hello');

      await carolPhone.client.send(chat, new TextEncoder().encode('from carol'));
      await laptop.client.send(chat, new TextEncoder().encode('after carol'));

      expect(laptop.texts(chat)).toEqual(['hello', 'from carol', 'after carol']);
      await Promise.all([laptop.close(), carolPhone.close(), sender.close()]);
    }, 60_000);
  });

  describe("a device's own copy", () => {
    it('pushes a message posted over HTTP to every device but the one that named itself', async () => {
      const [cli, bobPhone, alicePhone] = await Promise.all([
        connect(stack.endpoints.webSocketUrl, bob.accessToken, { deviceId: 'bob-cli' }),
        connect(stack.endpoints.webSocketUrl, bob.accessToken),
        connect(stack.endpoints.webSocketUrl, alice.accessToken),
      ]);
      const isOwn = (frame: unknown) =>
        isType<MessageFrame>('message', group)(frame) && frame.messageId === 'from-the-cli';

      await apiFor(stack, bob).postMessage({
        params: { conversationId: group },
        body: { messageId: 'from-the-cli', body: body('hello'), deviceId: 'bob-cli' },
      });
      await Promise.all([bobPhone.waitFor(isOwn), alicePhone.waitFor(isOwn)]);
      // A later push to the same socket shows the earlier one had its chance to arrive.
      await apiFor(stack, alice).postMessage({
        params: { conversationId: group },
        body: { messageId: 'after-it', body: body('later') },
      });
      await cli.waitFor(
        (frame) => isType<MessageFrame>('message', group)(frame) && frame.messageId === 'after-it',
      );

      expect(cli.frames.filter(isOwn)).toEqual([]);
      await Promise.all([cli, bobPhone, alicePhone].map((socket) => socket.close()));
    });

    it('refuses a connection that names a malformed device', async () => {
      await expect(
        connect(stack.endpoints.webSocketUrl, bob.accessToken, { deviceId: 'no spaces/or slashes' }),
      ).rejects.toThrow(/400/);
    });
  });
});
