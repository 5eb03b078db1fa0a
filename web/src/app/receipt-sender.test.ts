import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../../../shared/client/api-client';
import type { ChatEvent } from '../../../shared/e2ee/e2ee-client';
import type { ReceiptFrame } from '../../../shared/protocol/inbound';
import { ReceiptSender } from './receipt-sender';
import { ModelStore } from './store';

const CID = 'c1';
const ALICE = { userId: 'alice', username: 'alice', displayName: 'Alice' };
const AT = '2025-05-01T09:00:00.000Z';

/** Alice's store with one direct chat with Bob, whose log is at `lastSeq`. */
function aliceWith(lastSeq: number) {
  const store = new ModelStore(ALICE, 'web-alice');
  store.state.conversations = [
    {
      conversationId: CID,
      kind: 'direct',
      memberIds: ['alice', 'bob'],
      role: 'member',
      createdAt: AT,
      lastActivityAt: AT,
      lastSeq,
      unread: lastSeq,
      delivered: 0,
      read: 0,
      receipts: {},
    },
  ];
  return store;
}

/** A socket that takes frames while `open`, and an HTTP route that records what it is given. */
function outlets() {
  const frames: Omit<ReceiptFrame, 'action'>[] = [];
  const posted: unknown[] = [];
  const socket = { open: true };
  const api: Pick<ApiClient, 'updateReceipts'> = {
    updateReceipts: async (request) => {
      posted.push(request.body);
      return { conversationId: CID, userId: 'alice', delivered: 0, read: 0 };
    },
  };
  const send = (frame: ReceiptFrame) => {
    if (!socket.open) return false;
    const { action: _action, ...rest } = frame;
    frames.push(rest);
    return true;
  };
  return { frames, posted, socket, api, send };
}

const fromBob = (seq: number, senderId = 'bob'): ChatEvent => ({
  kind: 'message',
  conversationId: CID,
  seq,
  messageId: `m${seq}`,
  senderId,
  senderDeviceId: `web-${senderId}`,
  sentAt: AT,
  messageKind: 'message',
  plaintext: new Uint8Array(),
  own: false,
});

describe('ReceiptSender: my marks, paced', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends a read mark at once, and the ones within the next second together when it is over, with the latest', async () => {
    const store = aliceWith(5);
    const { frames, api, send } = outlets();
    const receipts = new ReceiptSender(store, api, send);

    await receipts.markRead(CID, 2);
    await receipts.markRead(CID, 3);
    await receipts.markRead(CID, 4);
    expect(frames).toEqual([{ conversationId: CID, delivered: 2, read: 2 }]);
    expect(store.find(CID)?.receipts.alice).toEqual({ delivered: 4, read: 4 });

    await vi.advanceTimersByTimeAsync(1_000);
    expect(frames).toEqual([
      { conversationId: CID, delivered: 2, read: 2 },
      { conversationId: CID, delivered: 4, read: 4 },
    ]);
  });

  it('lets a delivered mark wait a moment, so the read mark that follows goes in the same receipt', async () => {
    const store = aliceWith(3);
    const { frames, api, send } = outlets();
    const receipts = new ReceiptSender(store, api, send);

    await receipts.reached([fromBob(2), fromBob(3)]);
    expect(frames).toEqual([]);
    await receipts.markRead(CID);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(frames).toEqual([{ conversationId: CID, delivered: 3, read: 3 }]);
  });

  it('sends a delivered mark alone when nothing is read, and nothing for my own messages', async () => {
    const store = aliceWith(3);
    const { frames, api, send } = outlets();
    const receipts = new ReceiptSender(store, api, send);

    await receipts.reached([fromBob(2), fromBob(3, 'alice')]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(frames).toEqual([{ conversationId: CID, delivered: 2 }]);
  });

  it('sends no mark the server already has from me, and goes over HTTP when the socket is closed', async () => {
    const store = aliceWith(6);
    const { frames, posted, socket, api, send } = outlets();
    const receipts = new ReceiptSender(store, api, send);
    receipts.heardMine({ conversationId: CID, delivered: 4, read: 4 });

    await receipts.markRead(CID, 4);
    expect(frames).toEqual([]);

    socket.open = false;
    await receipts.markRead(CID, 6);
    expect(posted).toEqual([{ delivered: 6, read: 6 }]);
    expect(frames).toEqual([]);
  });

  it('takes my marks pushed from another device: my unread count follows them', () => {
    const store = aliceWith(5);
    const receipts = new ReceiptSender(store, outlets().api, outlets().send);
    receipts.heard({ type: 'receipt', conversationId: CID, userId: 'alice', delivered: 5, read: 3 });
    expect(store.find(CID)?.unread).toBe(2);
    // An older push, arriving late, takes nothing back.
    receipts.heard({ type: 'receipt', conversationId: CID, userId: 'alice', delivered: 2, read: 1 });
    expect(store.find(CID)?.receipts.alice).toEqual({ delivered: 5, read: 3 });
    expect(store.find(CID)?.unread).toBe(2);
  });
});
