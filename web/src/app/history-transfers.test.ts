import { describe, expect, it } from 'vitest';
import type { TransferView } from '../../../shared/e2ee/history/transfer-api';
import { TransferVerificationError } from '../../../shared/e2ee/history/transfer-crypto';
import type { HistoryReceiver } from '../../../shared/e2ee/history/transfer-receiver';
import type { HistorySender, TransferProgress } from '../../../shared/e2ee/history/transfer-sender';
import { InMemoryStateStore } from '../../../shared/e2ee/in-memory-state-store';
import type { Device } from '../../../shared/protocol/resources';
import { HistoryTransfers } from './history-transfers';
import { ModelStore } from './store';

const ALICE = { userId: 'alice', username: 'alice', displayName: 'Alice' };

const device = (deviceId: string, name: string, createdAt: string, revoked = false): Device => ({
  userId: 'alice',
  deviceId,
  name,
  signaturePublicKey: 'AAAA',
  createdAt,
  revoked,
});

const DEVICES = [
  device('laptop', 'Firefox on Linux', '2026-01-01T00:00:00.000Z'),
  device('tablet', 'Safari on iPad', '2026-02-01T00:00:00.000Z'),
  device('old', 'Chrome on Windows', '2026-01-15T00:00:00.000Z', true),
  device('phone', 'Chrome on Android', '2026-12-01T00:00:00.000Z'),
];

const transfer = (state: TransferView['state'], fields: Partial<TransferView> = {}): TransferView => ({
  transferId: 't1',
  fromDeviceId: 'laptop',
  toDeviceId: 'phone',
  state,
  request: 'cmVx',
  chunks: 0,
  bytes: 0,
  received: 0,
  ...fields,
});

/** The sending side as the controller sees it: each call recorded, each answer scripted. */
function fakeSender(script: Partial<Record<'offer' | 'approve' | 'send', () => Promise<unknown>>> = {}) {
  const calls: string[] = [];
  const sender = {
    offer: async (t: TransferView) => {
      calls.push('offer');
      await script.offer?.();
      return { code: '214 378', transfer: { ...t, state: 'offered' as const } };
    },
    approve: async (transferId: string) => {
      calls.push('approve');
      await script.approve?.();
      return transfer('approved', { transferId });
    },
    send: async (transferId: string, options: { onProgress?: (progress: TransferProgress) => void } = {}) => {
      calls.push('send');
      await script.send?.();
      options.onProgress?.({ chunks: 1, bytes: 100, messages: 40, total: 80, done: false });
      options.onProgress?.({ chunks: 2, bytes: 200, messages: 80, total: 80, done: true });
      return transfer('sent', { transferId, chunks: 2 });
    },
    forget: async () => {
      calls.push('forget');
    },
  };
  return { calls, sender: sender as unknown as HistorySender };
}

function setup(
  deviceId: string,
  sender: HistorySender,
  options: { online?: string[]; receiver?: Partial<HistoryReceiver> } = {},
) {
  const store = new ModelStore(ALICE, deviceId);
  const vault = new InMemoryStateStore();
  const cancelled: string[] = [];
  const transfers = new HistoryTransfers({
    store,
    vault,
    deviceId,
    sender,
    receiver: (options.receiver ?? { asked: async () => false }) as HistoryReceiver,
    listTransfers: async () => [],
    cancelTransfer: async (transferId) => {
      cancelled.push(transferId);
    },
    listDevices: async () => DEVICES,
    onlineDevices: async () => options.online ?? [],
  });
  return { store, vault, transfers, cancelled };
}

describe('HistoryTransfers on the old device', () => {
  it('offers at once, shows the code with the new device’s name, and sends once approved', async () => {
    const { calls, sender } = fakeSender();
    const { store, transfers } = setup('laptop', sender);
    await transfers.heard(transfer('requested'));
    expect(store.state.historyTransfer).toMatchObject({
      role: 'send',
      stage: 'confirm',
      code: '214 378',
      peer: 'Chrome on Android',
    });
    await transfers.approve();
    expect(calls).toEqual(['offer', 'approve', 'send']);
    // Sent is not done: done is the new device's word, when it took the last chunk.
    expect(store.state.historyTransfer).toMatchObject({ stage: 'moving', messages: 80, total: 80 });
    await transfers.heard(transfer('done', { chunks: 2, received: 2 }));
    expect(store.state.historyTransfer).toMatchObject({ stage: 'done' });
    expect(calls.at(-1)).toBe('forget');
  });

  it('stops for good, and cancels on the server, when the request does not check out', async () => {
    const { sender } = fakeSender({
      offer: () => Promise.reject(new TransferVerificationError('A device of this transfer was revoked')),
    });
    const { store, transfers, cancelled } = setup('laptop', sender);
    await transfers.heard(transfer('requested'));
    expect(store.state.historyTransfer).toMatchObject({
      stage: 'failed',
      error: 'A device of this transfer was revoked',
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(cancelled).toEqual(['t1']);
    // The cancellation's own push leaves the failure as it was said.
    await transfers.heard(transfer('cancelled'));
    expect(store.state.historyTransfer).toMatchObject({ stage: 'failed' });
  });

  it('pauses when the connection fails mid-way, and goes on at the next push', async () => {
    let offline = true;
    const { calls, sender } = fakeSender({
      send: () => (offline ? Promise.reject(new TypeError('Failed to fetch')) : Promise.resolve()),
    });
    const { store, transfers, cancelled } = setup('laptop', sender);
    await transfers.heard(transfer('approved'));
    expect(store.state.historyTransfer).toMatchObject({ stage: 'paused' });
    expect(cancelled).toEqual([]);
    offline = false;
    await transfers.heard(transfer('approved', { chunks: 1 }));
    expect(store.state.historyTransfer).toMatchObject({ stage: 'moving', messages: 80 });
    expect(calls.filter((c) => c === 'send')).toHaveLength(2);
  });

  it('runs one transfer at a time: a push during a run is taken after it, with the newest state', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { calls, sender } = fakeSender({ send: () => held });
    const { store, transfers } = setup('laptop', sender);
    const first = transfers.heard(transfer('approved'));
    await transfers.heard(transfer('approved', { chunks: 1 }));
    await transfers.heard(transfer('done', { chunks: 2, received: 2 }));
    expect(calls).toEqual(['send']);
    release();
    await first;
    expect(calls).toEqual(['send', 'forget']);
    expect(store.state.historyTransfer).toMatchObject({ stage: 'done' });
  });
});

describe('HistoryTransfers on a new browser', () => {
  it('offers the devices registered before it, not revoked, those online first', async () => {
    const { store, transfers } = setup('phone', fakeSender().sender, { online: ['tablet'] });
    await transfers.resume();
    expect(store.state.historySources).toEqual([
      { deviceId: 'tablet', name: 'Safari on iPad', online: true },
      { deviceId: 'laptop', name: 'Firefox on Linux', online: false },
    ]);
  });

  it('offers nothing once the person said no, nor on the account’s first device', async () => {
    const phone = setup('phone', fakeSender().sender);
    await phone.transfers.decline();
    await phone.transfers.resume();
    expect(phone.store.state.historySources).toBeUndefined();
    expect(phone.store.state.historyAnswered).toBe(true);

    const laptop = setup('laptop', fakeSender().sender);
    await laptop.transfers.resume();
    expect(laptop.store.state.historySources).toBeUndefined();
    expect(await laptop.vault.get('history-transfer/answered')).toBeDefined();
  });

  it('shows the code once the old device offered, and brings the history once approved', async () => {
    const received: string[] = [];
    const receiver = {
      asked: async () => true,
      code: async () => '214 378',
      receive: async (_id: string, options: { onProgress?: (p: TransferProgress) => void } = {}) => {
        received.push('receive');
        options.onProgress?.({ chunks: 1, bytes: 100, messages: 50, done: false });
        return transfer('done', { chunks: 1, received: 1 });
      },
      forget: async () => {
        received.push('forget');
      },
    };
    const { store, transfers, vault } = setup('phone', fakeSender().sender, { receiver });
    await transfers.heard(transfer('requested'));
    expect(store.state.historyTransfer).toMatchObject({
      role: 'receive',
      stage: 'waiting',
      peer: 'Firefox on Linux',
    });
    await transfers.heard(transfer('offered', { offer: 'b2Zm' }));
    expect(store.state.historyTransfer).toMatchObject({ stage: 'confirm', code: '214 378' });
    await transfers.heard(transfer('approved', { offer: 'b2Zm', approval: 'YXBw', chunks: 1 }));
    expect(store.state.historyTransfer).toMatchObject({ stage: 'done', messages: 50 });
    expect(received).toEqual(['receive', 'forget']);
    expect(await vault.get('history-transfer/answered')).toBeDefined();
  });

  it('leaves alone a transfer this browser did not ask for', async () => {
    const { store, transfers } = setup('phone', fakeSender().sender, {
      receiver: { asked: async () => false },
    });
    await transfers.heard(transfer('offered'));
    expect(store.state.historyTransfer).toBeUndefined();
  });
});
