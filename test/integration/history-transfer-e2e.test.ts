import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessagePayload } from '../../shared/e2ee/attachment-payload';
import {
  fetchTransport,
  type HistoryTransferApi,
  historyTransferApiOf,
} from '../../shared/e2ee/history/transfer-api';
import { TransferVerificationError } from '../../shared/e2ee/history/transfer-crypto';
import type { HistoryReceiver } from '../../shared/e2ee/history/transfer-receiver';
import type { HistorySender } from '../../shared/e2ee/history/transfer-sender';
import type { DeletedFrame } from '../../shared/protocol/outbound';
import { HistoryWriter } from '../../web/src/app/history-writer';
import { type ConversationView, ModelStore } from '../../web/src/app/store';
import { apiFor, befriend } from '../support/api';
import { type E2eeTestDevice, findMarker, openDevice } from '../support/e2ee-device';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';
import { serverContents } from '../support/stored';
import { eventually } from '../support/table';

const CONVERSATIONS = 5;
const MESSAGES_PER_CONVERSATION = 200;

/** A device as the web client runs it: its E2EE client, and the history and search index it keeps. */
interface KeepingDevice {
  readonly device: E2eeTestDevice;
  readonly history: HistoryWriter;
  /** Writes what the device read since the last call into its history, in order. */
  keep(): Promise<void>;
}

function keeping(device: E2eeTestDevice, conversationIds: readonly string[]): KeepingDevice {
  const me = {
    userId: device.persona.userId,
    username: device.persona.name,
    displayName: device.persona.name,
  };
  // The store names this device as the web client does, by its id.
  const store = new ModelStore(me, device.name);
  store.state.conversations = conversationIds.map(
    (conversationId) => ({ conversationId, receipts: {} }) as unknown as ConversationView,
  );
  const history = new HistoryWriter(store, device.store);
  let kept = 0;
  let framesSeen = 0;
  return {
    device,
    history,
    keep: async () => {
      await device.settled();
      const events = device.events.slice(kept);
      kept += events.length;
      await history.write(events);
      // A deletion of a message the device read already comes as a push of its own, as in the web client.
      const frames = device.socket.frames.slice(framesSeen);
      framesSeen += frames.length;
      for (const frame of frames) {
        if ((frame as { type?: string }).type === 'deleted') await history.deleted(frame as DeletedFrame);
      }
    },
  };
}

/**
 * History on a new device: Alice's laptop holds 1,000 messages in 5 conversations (her own and Bob's, with
 * edits, reactions and a deletion); her new phone joins their groups and can read none of them, until the
 * laptop sends it the history. Everything runs on the local stack: the routes, S3's presigned forms, the
 * pushes, and the web client's own history store on both devices.
 */
describe('History transfer to a new device, end to end', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let laptop: KeepingDevice;
  let phone: KeepingDevice;
  let bobLaptop: E2eeTestDevice;
  let conversationIds: string[];
  let api: HistoryTransferApi;
  const run = randomUUID().slice(0, 8);
  const markers: string[] = [];

  const send = async (
    device: E2eeTestDevice,
    conversationId: string,
    text: string,
    ref?: { kind: 'edit' | 'reaction'; refSeq: number },
  ) => {
    const payload = encodeMessagePayload(ref?.kind === 'reaction' ? { emoji: '👍' } : { text });
    if (!payload) throw new Error(`Not a payload: ${text}`);
    return device.client.send(conversationId, payload, ref ? { kind: ref.kind, refSeq: ref.refSeq } : {});
  };

  beforeAll(async () => {
    // 1,000 messages written in a minute or two: above the allowance a person gets.
    stack = await startTestStack({
      rateLimits: {
        send: { limit: 100_000, windowSeconds: 60 },
        write: { limit: 100_000, windowSeconds: 60 },
        read: { limit: 100_000, windowSeconds: 60 },
      },
    });
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    await befriend(stack, alice, bob);
    const aliceLaptop = await openDevice(stack, alice, 'laptop');
    bobLaptop = await openDevice(stack, bob, 'laptop');
    const alices = apiFor(stack, alice);
    conversationIds = [
      (await alices.createConversation({ body: { kind: 'direct', userId: bob.userId } })).conversationId,
    ];
    for (let i = 1; i < CONVERSATIONS; i++) {
      conversationIds.push(
        (
          await alices.createConversation({
            body: { kind: 'group', name: `Group ${i}`, memberIds: [bob.userId] },
          })
        ).conversationId,
      );
    }
    // 200 messages in each conversation, the five written at once: Alice writes three in four, Bob the
    // rest; every tenth carries a marker the server must never see; edits, reactions and a deletion too.
    await Promise.all(
      conversationIds.map(async (conversationId, c) => {
        for (let i = 0; i < MESSAGES_PER_CONVERSATION; i++) {
          const marked = i % 10 === 0;
          const value = marked ? `CANARY-history-${run}-${c}-${i}` : `Message ${i} in conversation ${c}`;
          if (marked) markers.push(value);
          const from = i % 4 === 3 ? bobLaptop : aliceLaptop;
          const ack = await send(from, conversationId, value);
          if (i % 50 === 7)
            await send(from, conversationId, `${value} (edited)`, { kind: 'edit', refSeq: ack.seq });
          if (i % 50 === 9) await send(bobLaptop, conversationId, '', { kind: 'reaction', refSeq: ack.seq });
          if (i === 100) await alices.deleteMessage({ params: { conversationId, seq: ack.seq } });
        }
      }),
    );
    laptop = keeping(aliceLaptop, conversationIds);
    await eventually(async () => {
      await laptop.keep();
      const texts = conversationIds.map((id) => aliceLaptop.texts(id).length);
      return texts.every((n) => n >= MESSAGES_PER_CONVERSATION) ? true : undefined;
    }, 60_000);
    await laptop.keep();
    api = historyTransferApiOf(alices);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([laptop?.device.close(), phone?.device.close(), bobLaptop?.close()]);
    await stack?.stop();
  });

  const messagesOf = async (device: KeepingDevice) => {
    const all = [];
    for (const id of conversationIds) all.push(...(await device.history.readAll(id)).filter((m) => !m.event));
    return all;
  };

  it('shows a new phone the earlier messages as unreadable lines before the transfer', async () => {
    const aliceTexts = (await messagesOf(laptop)).filter((m) => !m.deleted && !m.undecryptable);
    expect(aliceTexts).toHaveLength(CONVERSATIONS * MESSAGES_PER_CONVERSATION - CONVERSATIONS);
    phone = keeping(await openDevice(stack, alice, 'phone'), conversationIds);
    // The laptop and Bob's laptop add the phone to every group; it joins from the Welcomes.
    for (const id of conversationIds) {
      await eventually(
        async () => ((await phone.device.client.epoch(id)) === undefined ? undefined : true),
        30_000,
      );
      await phone.device.client.sync(id);
    }
    await phone.keep();
    const before = await messagesOf(phone);
    expect(before.filter((m) => m.undecryptable === 'before-join').length).toBeGreaterThanOrEqual(
      CONVERSATIONS * MESSAGES_PER_CONVERSATION,
    );
    expect(before.filter((m) => !m.undecryptable && !m.deleted)).toEqual([]);
  }, 120_000);

  it('moves all 1,000 messages in order, identical to the laptop’s, with the same code on both screens', async () => {
    const transport = fetchTransport();
    const sender: HistorySender = laptop.device.client.historySender({
      api,
      transport,
      source: laptop.history.source(),
    });
    const receiver: HistoryReceiver = phone.device.client.historyReceiver({
      api,
      transport,
      sink: phone.history,
    });

    const asked = await receiver.request('laptop');
    expect(asked).toMatchObject({ fromDeviceId: 'laptop', toDeviceId: 'phone', state: 'requested' });
    // The laptop hears of it by push, as the web client does.
    const pushed = await laptop.device.socket.waitFor<{ transfer: { transferId: string; state: string } }>(
      (frame) => (frame as { type?: string }).type === 'history-transfer',
    );
    expect(pushed.transfer).toMatchObject({ transferId: asked.transferId, state: 'requested' });
    const { code: onLaptop, transfer: offered } = await sender.offer(asked);
    expect(offered.state).toBe('offered');
    const onPhone = await receiver.code(await api.get(asked.transferId));
    expect(onPhone).toMatch(/^\d{3} \d{3}$/);
    expect(onPhone).toBe(onLaptop);

    await sender.approve(asked.transferId);
    const progress: number[] = [];
    const sent = await sender.send(asked.transferId, { onProgress: (p) => progress.push(p.messages) });
    expect(sent.state).toBe('sent');
    expect(progress.at(-1)).toBeGreaterThanOrEqual(CONVERSATIONS * MESSAGES_PER_CONVERSATION);
    expect(sent.chunks).toBeGreaterThan(1);

    // While the chunks wait in S3: the server holds them, and none of the markers.
    const { objects, text } = await serverContents(stack);
    expect(objects.filter((o) => o.startsWith('history/'))).toHaveLength(sent.chunks);
    expect(findMarker(text, markers)).toBeUndefined();
    expect(findMarker(stack.traffic.map((r) => r.body).join('\n'), markers)).toBeUndefined();
    expect(findMarker(stack.logs.map((l) => l.line).join('\n'), markers)).toBeUndefined();

    const restored: number[] = [];
    const done = await receiver.receive(asked.transferId, { onProgress: (p) => restored.push(p.messages) });
    expect(done.state).toBe('done');
    expect(done.received).toBe(sent.chunks);
    expect(restored.at(-1)).toBe(progress.at(-1));

    const onTheLaptop = await messagesOf(laptop);
    const onThePhone = await messagesOf(phone);
    expect(onThePhone).toEqual(onTheLaptop);
    expect(onThePhone.filter((m) => !m.deleted && !m.undecryptable)).toHaveLength(
      CONVERSATIONS * MESSAGES_PER_CONVERSATION - CONVERSATIONS,
    );
    expect(onThePhone.filter((m) => m.edited)).toHaveLength(CONVERSATIONS * 4);
    expect(onThePhone.filter((m) => Object.keys(m.reactions).length > 0)).toHaveLength(CONVERSATIONS * 4);
    for (const id of conversationIds) {
      const seqs = (await phone.history.readAll(id)).map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  }, 300_000);

  it('refuses a transfer to or from a device of another user, and to a revoked device', async () => {
    const bobs = historyTransferApiOf(apiFor(stack, bob));
    await expect(
      bobs.request({ fromDeviceId: 'laptop', toDeviceId: 'phone', request: 'AA==' }),
    ).rejects.toMatchObject({
      status: 404,
    });
    const tablet = await openDevice(stack, alice, 'tablet', { connect: false });
    const receiver = tablet.client.historyReceiver({
      api,
      transport: fetchTransport(),
      sink: { restore: async () => undefined },
    });
    const asked = await receiver.request('laptop');
    await laptop.device.client.revokeDevice('tablet');
    // The laptop checks the directory before it offers anything, and the server refuses the next step.
    const sender = laptop.device.client.historySender({
      api,
      transport: fetchTransport(),
      source: laptop.history.source(),
    });
    await expect(sender.offer(asked)).rejects.toThrow(TransferVerificationError);
    expect((await api.get(asked.transferId)).state).toBe('cancelled');
    await tablet.close();
  }, 60_000);
});
