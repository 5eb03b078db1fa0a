import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessagePayload } from '../../shared/e2ee/attachment-payload';
import { backupApiOf, HistoryBackup } from '../../shared/e2ee/history/backup';
import {
  fetchTransport,
  type HistoryTransferApi,
  historyTransferApiOf,
} from '../../shared/e2ee/history/transfer-api';
import { TransferVerificationError } from '../../shared/e2ee/history/transfer-crypto';
import type { HistoryReceiver } from '../../shared/e2ee/history/transfer-receiver';
import type { HistorySender } from '../../shared/e2ee/history/transfer-sender';
import { InMemoryStateStore } from '../../shared/e2ee/in-memory-state-store';
import {
  createBackupHeader,
  generateRecoveryKey,
  openBackupHeader,
  parseRecoveryKey,
  WrongRecoveryKeyError,
} from '../../shared/e2ee/recovery-key';
import type { DeletedFrame } from '../../shared/protocol/outbound';
import type { HistoryWriter } from '../../web/src/app/history-writer';
import { apiFor, befriend } from '../support/api';
import { type E2eeTestDevice, findMarker, openDevice } from '../support/e2ee-device';
import { historyWriterOf } from '../support/history';
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
  const history = historyWriterOf(device.persona, device.store, conversationIds);
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

  /** A new device of Alice's with an empty history: what it holds after a transfer is what it was sent. */
  const emptyDevice = async (deviceId: string) =>
    keeping(await openDevice(stack, alice, deviceId), conversationIds);

  const transferTo = async (device: KeepingDevice) => {
    const transport = fetchTransport();
    const receiver = () => device.device.client.historyReceiver({ api, transport, sink: device.history });
    // A fresh sender each time, over the same store: what a reload of the laptop's page builds.
    // Small chunks, so a cut falls mid-way.
    const sender = () =>
      laptop.device.client.historySender({
        api,
        transport,
        source: laptop.history.source(),
        archive: { firstChunkTarget: 8 * 1024, chunkTarget: 16 * 1024 },
      });
    const asked = await receiver().request('laptop');
    await sender().offer(asked);
    await sender().approve(asked.transferId);
    return { asked, sender, receiver };
  };

  it('resumes a send and a receive cut off mid-way from where each stopped, with nothing lost or doubled', async () => {
    const desktop = await emptyDevice('desktop');
    const { asked, sender, receiver } = await transferTo(desktop);
    // Only the device it asked may answer: the same transfer naming another of Alice's devices is refused.
    await expect(
      receiver().code({ ...(await api.get(asked.transferId)), fromDeviceId: 'phone' }),
    ).rejects.toThrow('another device than the one asked');
    const cut = new AbortController();
    await expect(
      sender().send(asked.transferId, {
        signal: cut.signal,
        onProgress: (p) => (p.chunks === 2 ? cut.abort(new Error('the laptop went offline')) : undefined),
      }),
    ).rejects.toThrow('the laptop went offline');
    expect((await api.get(asked.transferId)).chunks).toBe(2);

    const stop = new AbortController();
    await expect(
      receiver().receive(asked.transferId, {
        signal: stop.signal,
        onProgress: (p) => (p.chunks === 1 ? stop.abort(new Error('the tab closed')) : undefined),
      }),
    ).rejects.toThrow('the tab closed');
    expect((await api.get(asked.transferId)).received).toBe(1);

    const sent = await sender().send(asked.transferId);
    expect(sent.state).toBe('sent');
    const done = await receiver().receive(asked.transferId);
    expect(done).toMatchObject({ state: 'done', received: sent.chunks });
    expect(await messagesOf(desktop)).toEqual(await messagesOf(laptop));
  }, 120_000);

  it('stops both sides when the new device cancels, and deletes what was uploaded', async () => {
    const work = await emptyDevice('work');
    const { asked, sender } = await transferTo(work);
    const cut = new AbortController();
    await expect(
      sender().send(asked.transferId, {
        signal: cut.signal,
        onProgress: () => cut.abort(new Error('paused')),
      }),
    ).rejects.toThrow('paused');
    await api.cancel(asked.transferId);
    // The laptop, going on, finds the transfer cancelled and sends nothing more.
    const after = await sender().send(asked.transferId);
    expect(after).toMatchObject({ state: 'cancelled', chunks: 1 });
    const { objects } = await serverContents(stack);
    expect(objects.filter((o) => o.startsWith(`history/${asked.transferId}/`))).toEqual([]);
    await expect(
      work.device.client
        .historyReceiver({ api, transport: fetchTransport(), sink: work.history })
        .receive(asked.transferId),
    ).resolves.toMatchObject({ state: 'cancelled' });
    expect((await messagesOf(work)).filter((m) => !m.undecryptable)).toEqual([]);
  }, 60_000);

  it('backs up the history under a recovery key, appends what changed, and restores it identical', async () => {
    const backups = new HistoryBackup({
      api: backupApiOf(apiFor(stack, alice)),
      transport: fetchTransport(),
    });
    const recoveryKey = generateRecoveryKey();
    const { header, dataKey } = await createBackupHeader(recoveryKey);
    const first = await backups.write(dataKey, header, laptop.history.source(), new Map());
    expect(first).toMatchObject({ whole: true });
    expect(first.messages).toBeGreaterThanOrEqual(CONVERSATIONS * MESSAGES_PER_CONVERSATION);

    // The server holds chunks and a head, and none of the markers.
    const { objects, text } = await serverContents(stack);
    expect(objects.filter((o) => o.startsWith('backups/')).length).toBe(first.chunks + 1);
    expect(findMarker(text, markers)).toBeUndefined();

    // Bob writes again, and Alice edits an old message: the next run carries those alone.
    const changed = new Map<string, Set<number>>();
    laptop.history.onChanged = (conversationId, seqs) => {
      const set = changed.get(conversationId) ?? new Set<number>();
      for (const seq of seqs) set.add(seq);
      changed.set(conversationId, set);
    };
    const [direct] = conversationIds as [string];
    const old = (await laptop.history.readAll(direct)).find((m) => m.senderId === alice.userId && !m.deleted);
    if (!old) throw new Error('no old message of Alice');
    await send(laptop.device, direct, 'An old message, edited after the backup', {
      kind: 'edit',
      refSeq: old.seq,
    });
    for (let i = 0; i < 5; i++) await send(bobLaptop, direct, `After the backup ${i}`);
    await eventually(async () => {
      await laptop.keep();
      return laptop.device.texts(direct).some((t) => t.includes('After the backup 4')) ? true : undefined;
    }, 30_000);
    await laptop.keep();
    expect(changed.get(direct)?.has(old.seq)).toBe(true);
    const second = await backups.write(dataKey, header, laptop.history.source(), changed);
    expect(second).toMatchObject({ whole: false, chunks: 1 });
    expect(second.messages).toBeGreaterThanOrEqual(6);
    expect(second.messages).toBeLessThan(20);

    // A browser with nothing: the recovery key, typed, opens it.
    const restored = historyWriterOf(alice, new InMemoryStateStore(), conversationIds);
    await expect(openBackupHeader(header, generateRecoveryKey())).rejects.toThrow(WrongRecoveryKeyError);
    const opened = await openBackupHeader(
      header,
      parseRecoveryKey(recoveryKey.words.join(' ').toUpperCase()),
    );
    const report = await backups.restore(opened, restored);
    expect(report.chunks).toBe(first.chunks + second.chunks);
    for (const id of conversationIds) {
      expect((await restored.readAll(id)).filter((m) => !m.event)).toEqual(
        (await laptop.history.readAll(id)).filter((m) => !m.event),
      );
    }
    expect((await restored.readAll(direct)).find((m) => m.seq === old.seq)).toMatchObject({
      text: 'An old message, edited after the backup',
      edited: true,
    });
    laptop.history.onChanged = undefined;
  }, 180_000);

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
