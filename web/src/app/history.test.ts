import { describe, expect, it } from 'vitest';
import { EncryptedStateStore } from '../../../shared/e2ee/encrypted-state-store';
import { InMemoryStateStore } from '../../../shared/e2ee/in-memory-state-store';
import type { StateStore } from '../../../shared/e2ee/state-store';
import {
  ConversationHistory,
  HISTORY_CHUNK_KEY,
  HISTORY_INDEX_KEY,
  type HistoryChange,
  type MessageView,
  StoredHistoryError,
} from './history';

const CID = 'c1';

/** A store that records every put (key and size) and can be told to fail one. */
class RecordingStore implements StateStore {
  readonly puts: { key: string; bytes: number }[] = [];
  failOn: ((key: string) => boolean) | undefined;

  constructor(readonly inner: StateStore = new InMemoryStateStore()) {}

  get(key: string): Promise<Uint8Array | undefined> {
    return this.inner.get(key);
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    if (this.failOn?.(key)) throw new Error(`put of ${key} failed`);
    this.puts.push({ key, bytes: value.length });
    await this.inner.put(key, value);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  /** The keys written since the last call. */
  take(): string[] {
    return this.puts.splice(0).map((p) => p.key);
  }
}

const message = (seq: number, text = `m${seq}`): MessageView => ({
  seq,
  messageId: `id-${seq}`,
  senderId: 'bob',
  sentAt: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
  text,
  reactions: {},
});

const add = (...seqs: number[]): HistoryChange[] =>
  seqs.map((seq) => ({ kind: 'add', message: message(seq) }));
const edit = (seq: number, text: string): HistoryChange => ({
  kind: 'change',
  seq,
  change: (m) => {
    m.text = text;
  },
});
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const seqs = (history: ConversationHistory) => history.messages.map((m) => m.seq);

async function readJson(store: StateStore, key: string): Promise<unknown> {
  const value = await store.get(key);
  return value === undefined ? undefined : JSON.parse(new TextDecoder().decode(value));
}

async function storedChunks(store: StateStore): Promise<number[][]> {
  const index = (await readJson(store, HISTORY_INDEX_KEY(CID))) as { chunks: { id: number }[] };
  return Promise.all(
    index.chunks.map(async ({ id }) =>
      ((await readJson(store, HISTORY_CHUNK_KEY(CID, id))) as MessageView[]).map((m) => m.seq),
    ),
  );
}

async function readAll(store: StateStore, chunkSize: number): Promise<ConversationHistory> {
  const history = await ConversationHistory.open(store, CID, { chunkSize, loadAtLeast: 1 });
  while (await history.loadEarlier());
  return history;
}

async function encryptedStore(): Promise<EncryptedStateStore> {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  return new EncryptedStateStore(new InMemoryStateStore(), key);
}

describe('ConversationHistory', () => {
  it('fills a chunk, then opens the next one, one message at a time', async () => {
    const store = new InMemoryStateStore();
    const history = await ConversationHistory.open(store, CID, { chunkSize: 3 });
    for (const seq of range(1, 7)) await history.write(add(seq));

    expect(seqs(history)).toEqual(range(1, 7));
    expect(await storedChunks(store)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('writes only the newest chunk for a new message, and the index only when a chunk opens', async () => {
    const store = new RecordingStore();
    const history = await ConversationHistory.open(store, CID, { chunkSize: 5 });
    for (const seq of range(1, 100)) await history.write(add(seq));
    store.take();

    await history.write(add(101));
    expect(store.take()).toEqual([HISTORY_CHUNK_KEY(CID, 20), HISTORY_INDEX_KEY(CID)]);
    await history.write(add(102));
    expect(store.take()).toEqual([HISTORY_CHUNK_KEY(CID, 20)]);

    // A message costs one chunk of bytes, whatever the length of the history.
    const oneMessageInBytes = JSON.stringify(message(102)).length;
    expect(store.puts.length).toBe(0);
    await history.write(add(103));
    expect(store.puts[0]?.bytes).toBeLessThan(5 * oneMessageInBytes);
  });

  it('rewrites only the chunk of an old message that is edited, even when it is not loaded', async () => {
    const store = new RecordingStore();
    const writer = await ConversationHistory.open(store, CID, { chunkSize: 3 });
    await writer.write(add(...range(1, 10)));
    const before = await Promise.all([0, 2, 3].map((id) => store.get(HISTORY_CHUNK_KEY(CID, id))));

    const history = await ConversationHistory.open(store, CID, { chunkSize: 3, loadAtLeast: 1 });
    expect(seqs(history)).toEqual([10]);
    store.take();
    await history.write([edit(5, 'edited')]);

    expect(store.take()).toEqual([HISTORY_CHUNK_KEY(CID, 1)]);
    const after = await Promise.all([0, 2, 3].map((id) => store.get(HISTORY_CHUNK_KEY(CID, id))));
    expect(after).toEqual(before);
    expect(seqs(history)).toEqual([10]);
    const reread = await readAll(store, 3);
    expect(reread.messages.find((m) => m.seq === 5)?.text).toBe('edited');
    expect(reread.messages.filter((m) => m.text === 'edited')).toHaveLength(1);
  });

  it('shows a change to a loaded message in a new messages array', async () => {
    const history = await ConversationHistory.open(new InMemoryStateStore(), CID, { chunkSize: 3 });
    await history.write(add(1, 2));
    const shown = history.messages;

    await history.write([
      {
        kind: 'change',
        seq: 2,
        change: (m) => {
          m.reactions['👍'] = ['alice'];
        },
      },
      edit(99, 'never there'),
    ]);

    expect(history.messages).not.toBe(shown);
    expect(history.messages[1]?.reactions).toEqual({ '👍': ['alice'] });
    expect(shown[1]?.reactions).toEqual({});
  });

  it('keeps chunks sorted and within size when older seqs arrive after newer ones', async () => {
    const store = new InMemoryStateStore();
    const history = await ConversationHistory.open(store, CID, { chunkSize: 3 });
    await history.write(add(1, 2, 3, 4, 5, 6, 10, 11, 12));
    expect(await storedChunks(store)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [10, 11, 12],
    ]);

    await history.write([...add(9, 7, 0), { kind: 'add', message: message(5, 'a second copy') }]);

    expect(seqs(history)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]);
    expect(history.messages.find((m) => m.seq === 5)?.text).toBe('m5');
    const chunks = await storedChunks(store);
    expect(chunks.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(3);
    expect(seqs(await readAll(store, 3))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]);
  });

  it('opens with the newest chunks only, then pages back to the first message', async () => {
    const store = new InMemoryStateStore();
    const writer = await ConversationHistory.open(store, CID, { chunkSize: 3 });
    await writer.write(add(...range(1, 10)));

    const history = await ConversationHistory.open(store, CID, { chunkSize: 3, loadAtLeast: 5 });
    expect(seqs(history)).toEqual(range(4, 10));
    expect(history.hasEarlier).toBe(true);

    expect(await history.loadEarlier()).toBe(false);
    expect(seqs(history)).toEqual(range(1, 10));
    expect(history.hasEarlier).toBe(false);
    expect(await history.loadEarlier()).toBe(false);
    expect(seqs(history)).toEqual(range(1, 10));
  });

  it('by default keeps 200 messages a chunk and opens with the newest 50 or more', async () => {
    const store = new InMemoryStateStore();
    const writer = await ConversationHistory.open(store, CID);
    for (const seq of range(1, 460)) await writer.write(add(seq));
    expect((await storedChunks(store)).map((chunk) => chunk.length)).toEqual([200, 200, 60]);

    const history = await ConversationHistory.open(store, CID);
    expect(seqs(history)).toEqual(range(401, 460));
    expect(await history.loadEarlier()).toBe(true);
    expect(seqs(history)).toEqual(range(201, 460));
  });

  it('moves a history kept in the former format (one array) into chunks, once', async () => {
    const store = new RecordingStore(await encryptedStore());
    const old = [...range(1, 7).reverse(), 3].map((seq) => message(seq));
    await store.put(HISTORY_INDEX_KEY(CID), new TextEncoder().encode(JSON.stringify(old)));
    store.take();

    const history = await ConversationHistory.open(store, CID, { chunkSize: 3, loadAtLeast: 1 });

    expect(seqs(history)).toEqual([7]);
    expect(store.take().sort()).toEqual(
      [HISTORY_INDEX_KEY(CID), ...[0, 1, 2].map((id) => HISTORY_CHUNK_KEY(CID, id))].sort(),
    );
    expect(Array.isArray(await readJson(store, HISTORY_INDEX_KEY(CID)))).toBe(false);
    expect(seqs(await readAll(store, 3))).toEqual(range(1, 7));
    expect(store.take()).toEqual([]);
  });

  it('keeps every message of writes started together', async () => {
    const store = await encryptedStore();
    const history = await ConversationHistory.open(store, CID, { chunkSize: 4 });
    await history.write(add(...range(1, 8)));
    const reopened = await ConversationHistory.open(store, CID, { chunkSize: 4, loadAtLeast: 1 });

    await Promise.all([
      ...range(9, 20).map((seq) => reopened.write(add(seq))),
      // Both in the first chunk, which is not loaded: each write reads it, so they must not overlap.
      reopened.write([edit(1, 'one, edited')]),
      reopened.write([edit(2, 'two, edited')]),
    ]);

    const all = await readAll(store, 4);
    expect(seqs(all)).toEqual(range(1, 20));
    expect(all.messages.slice(0, 2).map((m) => m.text)).toEqual(['one, edited', 'two, edited']);
  });

  it('keeps each message once when a write stops after the index', async () => {
    const store = new RecordingStore();
    const history = await ConversationHistory.open(store, CID, { chunkSize: 3 });
    await history.write(add(1, 2, 4, 5, 6));
    // Seq 3 splits the first chunk: the new upper half and the index are written, the old chunk is not.
    store.failOn = (key) => key === HISTORY_CHUNK_KEY(CID, 0);

    await expect(history.write(add(3))).rejects.toThrow('put of history/c1/0 failed');

    store.failOn = undefined;
    // Seq 4 is in the new chunk, and in the old one as written before: read once, from the new one.
    expect(seqs(await readAll(store, 3))).toEqual([1, 2, 3, 4, 5, 6]);
    await history.write(add(7));
    expect(seqs(await readAll(store, 3))).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses an index it cannot read', async () => {
    const store = new InMemoryStateStore();
    await store.put(HISTORY_INDEX_KEY(CID), new TextEncoder().encode(JSON.stringify({ format: 9 })));

    await expect(ConversationHistory.open(store, CID)).rejects.toThrow(StoredHistoryError);
  });

  describe('restoring another device’s history', () => {
    const unreadable = (seq: number): MessageView => ({ ...message(seq, ''), undecryptable: 'before-join' });
    const restore = (...messages: MessageView[]): HistoryChange[] =>
      messages.map((m) => ({ kind: 'restore', message: m }));

    it('puts the other device’s messages in place of unreadable lines, and leaves what this one read', async () => {
      const store = new InMemoryStateStore();
      const history = await ConversationHistory.open(store, CID, { chunkSize: 3 });
      await history.write([
        ...range(1, 5).map((seq) => ({ kind: 'add' as const, message: unreadable(seq) })),
        ...add(6, 7),
      ]);
      await history.write(
        restore(message(2, 'two'), message(4, 'four'), message(7, 'seven from the other device')),
      );

      const all = await readAll(store, 3);
      expect(all.messages.map((m) => [m.seq, m.text, m.undecryptable ?? null])).toEqual([
        [1, '', 'before-join'],
        [2, 'two', null],
        [3, '', 'before-join'],
        [4, 'four', null],
        [5, '', 'before-join'],
        [6, 'm6', null],
        [7, 'm7', null],
      ]);
    });

    it('adds older messages this device never had, oldest chunk first, in seq order', async () => {
      const store = new InMemoryStateStore();
      const history = await ConversationHistory.open(store, CID, { chunkSize: 4 });
      await history.write(add(50, 51));
      await history.write(restore(...range(40, 49).map((seq) => message(seq))));
      await history.write(restore(...range(1, 39).map((seq) => message(seq))));
      expect(seqs(await readAll(store, 4))).toEqual(range(1, 51));
      expect((await storedChunks(store)).every((chunk) => chunk.length <= 4)).toBe(true);
    });

    it('drops the unreadable lines its range covers with no message (edits and reactions), and no others', async () => {
      const store = new InMemoryStateStore();
      const history = await ConversationHistory.open(store, CID, { chunkSize: 3 });
      await history.write(range(1, 9).map((seq) => ({ kind: 'add' as const, message: unreadable(seq) })));
      await history.write([
        ...restore(message(3), message(5)),
        { kind: 'forget-unreadable', from: 3, to: 6, keep: new Set([3, 5]) },
      ]);
      const all = await readAll(store, 3);
      expect(all.messages.map((m) => [m.seq, m.undecryptable ?? null])).toEqual([
        [1, 'before-join'],
        [2, 'before-join'],
        [3, null],
        [5, null],
        [7, 'before-join'],
        [8, 'before-join'],
        [9, 'before-join'],
      ]);
    });

    it('pages back from any seq, newest first, without loading', async () => {
      const store = new InMemoryStateStore();
      const history = await ConversationHistory.open(store, CID, { chunkSize: 4, loadAtLeast: 1 });
      await history.write(add(...range(1, 30)));
      const reopened = await ConversationHistory.open(store, CID, { chunkSize: 4, loadAtLeast: 1 });
      expect(await reopened.page(undefined, 5)).toEqual({
        messages: range(26, 30).map((seq) => message(seq)),
        more: true,
      });
      expect((await reopened.page(26, 10)).messages.map((m) => m.seq)).toEqual(range(16, 25));
      expect(await reopened.page(3, 10)).toEqual({ messages: [message(1), message(2)], more: false });
      expect(seqs(reopened)).toEqual(range(29, 30));
    });
  });
});
