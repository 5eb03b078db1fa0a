import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ApiClient, ApiError } from '../../../shared/client/api-client';
import { parseMessagePayload } from '../../../shared/e2ee/attachment-payload';
import type { E2eeClient } from '../../../shared/e2ee/e2ee-client';
import { InMemoryStateStore } from '../../../shared/e2ee/in-memory-state-store';
import { ErrorCode } from '../../../shared/protocol/errors';
import type { BlobShelf } from '../lib/idb-store';
import { Outbox } from './outbox';
import { ModelStore } from './store';

const CID = 'c1';
const ALICE = { userId: 'alice', username: 'alice', displayName: 'Alice' };
const AT = '2025-05-01T09:00:00.000Z';

const refusal = (code: ErrorCode, status: number, retryAfterSeconds?: number) =>
  new ApiError({ routeId: 'postMessage', status, code, detail: code, retryAfterSeconds });

/**
 * The E2EE client's `send` as the outbox sees it: it records each message (its id and text) and answers
 * with what `answers` holds for that text next, else an ack.
 */
function device() {
  const sent: { messageId: string | undefined; text: string | undefined }[] = [];
  const answers = new Map<string, Error[]>();
  const e2ee: Pick<E2eeClient, 'send'> = {
    send: async (conversationId, plaintext, options = {}) => {
      const text = parseMessagePayload(plaintext)?.text;
      const failure = answers.get(text ?? '')?.shift();
      if (failure) throw failure;
      sent.push({ messageId: options.messageId, text });
      return { conversationId, messageId: options.messageId ?? '', seq: sent.length, sentAt: AT };
    },
  };
  return { e2ee, sent, answers };
}

const noShelf: BlobShelf = { get: async () => undefined, put: async () => {}, delete: async () => {} };
const noUploads: Pick<ApiClient, 'createUpload'> = {
  createUpload: () => Promise.reject(new Error('No file is sent here')),
};

function aliceOffline() {
  const store = new ModelStore(ALICE, 'web-alice');
  store.state.status = 'offline';
  store.state.conversations = [
    {
      conversationId: CID,
      kind: 'direct',
      memberIds: ['alice', 'bob'],
      role: 'member',
      createdAt: AT,
      lastActivityAt: AT,
      lastSeq: 0,
      unread: 0,
      delivered: 0,
      read: 0,
      receipts: {},
    },
  ];
  return store;
}

describe('Outbox: messages on their way', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps what is written offline through a reload, and sends it in order once online', async () => {
    const vault = new InMemoryStateStore();
    const { e2ee, sent } = device();
    const before = new Outbox(aliceOffline(), vault, noShelf, noUploads, e2ee);
    await before.send(CID, 'first');
    await before.send(CID, 'second');
    expect(sent).toEqual([]);

    const store = aliceOffline();
    const after = new Outbox(store, vault, noShelf, noUploads, e2ee);
    await after.load();
    expect(store.state.outbox.map((o) => o.text)).toEqual(['first', 'second']);
    store.state.status = 'online';
    await after.flush();
    expect(sent.map((s) => s.text)).toEqual(['first', 'second']);
    expect(store.state.outbox).toEqual([]);

    const reloaded = aliceOffline();
    await new Outbox(reloaded, vault, noShelf, noUploads, e2ee).load();
    expect(reloaded.state.outbox).toEqual([]);
  });

  it('keeps a refused message marked with why, sends the ones after it, and retries it under its first id', async () => {
    const store = aliceOffline();
    const { e2ee, sent, answers } = device();
    const outbox = new Outbox(store, new InMemoryStateStore(), noShelf, noUploads, e2ee);
    answers.set('refused', [refusal(ErrorCode.Forbidden, 403)]);
    await outbox.send(CID, 'refused');
    await outbox.send(CID, 'after it');
    const [first] = store.state.outbox;
    store.state.status = 'online';
    await outbox.flush();

    expect(sent.map((s) => s.text)).toEqual(['after it']);
    expect(store.state.outbox).toEqual([
      expect.objectContaining({
        messageId: first?.messageId,
        failed: 'You can’t message this person now: you are not friends.',
      }),
    ]);

    await outbox.retry(first?.messageId ?? '');
    expect(sent.at(-1)).toEqual({ messageId: first?.messageId, text: 'refused' });
    expect(store.state.outbox).toEqual([]);
  });

  it('keeps a message the server could not take for now unmarked, and says why', async () => {
    const store = aliceOffline();
    const { e2ee, sent, answers } = device();
    const outbox = new Outbox(store, new InMemoryStateStore(), noShelf, noUploads, e2ee);
    answers.set('later', [refusal(ErrorCode.RateLimited, 429, 7)]);
    store.state.status = 'online';
    await outbox.send(CID, 'later');

    expect(sent).toEqual([]);
    expect(store.state.outbox).toEqual([expect.not.objectContaining({ failed: expect.anything() })]);
    expect(store.state.notice).toBe('Slow down a little: try again in 7 seconds.');
    await outbox.flush();
    expect(sent.map((s) => s.text)).toEqual(['later']);
  });

  it('asks again on its own when another try of the same message is still being stored', async () => {
    const store = aliceOffline();
    const { e2ee, sent, answers } = device();
    const outbox = new Outbox(store, new InMemoryStateStore(), noShelf, noUploads, e2ee);
    answers.set('slow', [refusal(ErrorCode.SendInProgress, 409, 1)]);
    store.state.status = 'online';
    await outbox.send(CID, 'slow');
    expect(sent).toEqual([]);

    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent.map((s) => s.text)).toEqual(['slow']);
    expect(store.state.outbox).toEqual([]);
  });

  it('drops a refused reaction, telling the person, and takes a message out unsent', async () => {
    const store = aliceOffline();
    const { e2ee, sent, answers } = device();
    const outbox = new Outbox(store, new InMemoryStateStore(), noShelf, noUploads, e2ee);
    await outbox.send(CID, 'never mind');
    await outbox.remove(store.state.outbox[0]?.messageId ?? '');
    answers.set('', [refusal(ErrorCode.Forbidden, 403)]);
    store.state.status = 'online';
    await outbox.send(CID, '🎉', { kind: 'reaction', refSeq: 1 });

    expect(sent).toEqual([]);
    expect(store.state.outbox).toEqual([]);
    expect(store.state.notice).toBe('You are not allowed to do that here.');
  });
});
