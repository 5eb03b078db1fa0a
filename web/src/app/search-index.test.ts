import { describe, expect, it } from 'vitest';
import { EncryptedStateStore } from '../../../shared/e2ee/encrypted-state-store';
import { InMemoryStateStore } from '../../../shared/e2ee/in-memory-state-store';
import type { StateStore } from '../../../shared/e2ee/state-store';
import { ConversationHistory, type HistoryChange, type MessageView } from './history';
import { excerpt, searchMessages } from './message-search';
import {
  bucketOf,
  highlight,
  indexWords,
  matchesTerms,
  queryTerms,
  SEARCH_BUCKET_KEY,
  SEARCH_STATE_KEY,
  SearchIndex,
} from './search-index';

const message = (seq: number, text: string, minute = seq): MessageView => ({
  seq,
  messageId: `id-${seq}`,
  senderId: 'bob',
  sentAt: new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString(),
  text,
  reactions: {},
});

const marked = (text: string, query: string) =>
  highlight(text, queryTerms(query))
    .filter((p) => p.mark)
    .map((p) => p.text);

/** A store that keeps every key and value written, to look for plaintext in them. */
class KeptStore extends InMemoryStateStore {
  readonly keys = new Set<string>();
  override async put(key: string, value: Uint8Array): Promise<void> {
    this.keys.add(key);
    await super.put(key, value);
  }
}

/** A conversation's history and the index, written together as the model writes them. */
async function open(store: StateStore, index: SearchIndex, conversationId: string) {
  const history = await ConversationHistory.open(store, conversationId, { chunkSize: 50 });
  const write = async (changes: HistoryChange[]) =>
    index.update(conversationId, await history.write(changes));
  return { history, write };
}

const add = (...messages: MessageView[]): HistoryChange[] =>
  messages.map((m) => ({ kind: 'add', message: m }));

describe('the words a message is found by', () => {
  it('folds case and accents: "Café" and "cafe" are one word, in the text and in the query', () => {
    expect(indexWords('Café CRÈME, naïve Ångström')).toEqual(['cafe', 'creme', 'naive', 'angstrom']);
    expect(matchesTerms('Un café crème', queryTerms('CAFE'))).toBe(true);
    expect(matchesTerms('un cafe', queryTerms('café'))).toBe(true);
    // Decomposed input (a letter, then its accent) folds the same.
    expect(indexWords('cafe\u0301')).toEqual(['cafe']);
  });

  it('splits on anything that is not a letter or a digit, in every script', () => {
    expect(indexWords('hello, world! x_y 2025-06 Привет мир رحلة')).toEqual([
      'hello',
      'world',
      'x',
      'y',
      '2025',
      '06',
      'привет',
      'мир',
      'رحلة',
    ]);
  });

  it('indexes Chinese and Japanese by characters and bigrams, so words inside a sentence are found', () => {
    expect(indexWords('旅行')).toEqual(['旅', '旅行', '行']);
    expect(matchesTerms('来年は旅行に行きたい', queryTerms('旅行'))).toBe(true);
    expect(matchesTerms('来年は旅行に行きたい', queryTerms('行'))).toBe(true);
    expect(matchesTerms('来年は旅に行きたい', queryTerms('旅行'))).toBe(false);
    // Latin and Han in one word: each part as its kind.
    expect(indexWords('iPhone手机')).toEqual(['iphone', '手', '手机', '机']);
    expect(matchesTerms('新的iPhone手机', queryTerms('手机'))).toBe(true);
  });

  it('finds a word inside a Thai, Lao, Khmer or Burmese sentence, which are written without spaces too', () => {
    // "I like to eat rice a lot": ข้าว (rice) is inside the one run of letters.
    expect(matchesTerms('ฉันชอบกินข้าวมาก', queryTerms('ข้าว'))).toBe(true);
    expect(matchesTerms('ฉันชอบกินข้าวมาก', queryTerms('กินข้าว'))).toBe(true);
    expect(matchesTerms('ฉันชอบดื่มน้ำ', queryTerms('ข้าว'))).toBe(false);
    expect(marked('ฉันชอบกินข้าวมาก', 'ข้าว')).toEqual(['ข้าว']);
    // Lao "I eat rice", Khmer "rice" in "eat rice", Burmese "rice" in "eat rice".
    expect(matchesTerms('ຂ້ອຍກິນເຂົ້າ', queryTerms('ເຂົ້າ'))).toBe(true);
    expect(matchesTerms('ញ៉ាំបាយ', queryTerms('បាយ'))).toBe(true);
    expect(matchesTerms('ထမင်းစား', queryTerms('ထမင်း'))).toBe(true);
  });

  it('matches the words of a query as prefixes, all of them', () => {
    expect(matchesTerms('Hello there', queryTerms('hel'))).toBe(true);
    expect(matchesTerms('Hello there', queryTerms('hel the'))).toBe(true);
    expect(matchesTerms('Hello there', queryTerms('hel where'))).toBe(false);
    // A prefix of a word, not a part inside it.
    expect(matchesTerms('Othello', queryTerms('hel'))).toBe(false);
    expect(queryTerms('  ,,, ')).toEqual([]);
    expect(matchesTerms('anything', [])).toBe(false);
  });

  it('marks what matched in the original text, accents and all', () => {
    expect(marked('Un Café, svp', 'cafe')).toEqual(['Café']);
    expect(marked('Hello hello HELP', 'hel')).toEqual(['Hel', 'hel', 'HEL']);
    expect(marked('cafe\u0301 noir', 'cafe')).toEqual(['cafe\u0301']);
    expect(marked('来年は旅行に行きたい', '旅行')).toEqual(['旅行']);
    expect(marked('東京都に住む', '東京都')).toEqual(['東京都']);
    const pieces = highlight('say hello to them', queryTerms('hello'));
    expect(pieces).toEqual([
      { text: 'say ', mark: false },
      { text: 'hello', mark: true },
      { text: ' to them', mark: false },
    ]);
    expect(pieces.map((p) => p.text).join('')).toBe('say hello to them');
  });

  it('shows a long text around its first match', () => {
    const text = `${'a '.repeat(200)}needle ${'b '.repeat(200)}`;
    const pieces = excerpt(text, 'needle', 100);
    expect(pieces[0]).toEqual({ text: '…', mark: false });
    expect(pieces.filter((p) => p.mark).map((p) => p.text)).toEqual(['needle']);
    expect(pieces.map((p) => p.text).join('').length).toBeLessThan(110);
  });
});

describe('the search index in the encrypted store', () => {
  const key = () =>
    crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);

  it('finds added messages by prefix, newest first, in every conversation', async () => {
    const store = new EncryptedStateStore(new InMemoryStateStore(), await key());
    const index = new SearchIndex(store);
    const one = await open(store, index, 'c1');
    const two = await open(store, index, 'c2');
    await one.write(add(message(1, 'Hello Alice', 1), message(2, 'nothing here', 2)));
    await two.write(add(message(1, 'hello from the other chat', 3)));
    await one.write(add(message(3, 'helium balloons', 4)));
    const histories = { c1: one.history, c2: two.history };
    const find = (query: string, limit = 50) =>
      searchMessages(index, async (id) => histories[id as 'c1'], ['c1', 'c2'], query, limit);

    const { hits, more } = await find('hel');
    expect(hits.map((h) => [h.conversationId, h.message.text])).toEqual([
      ['c1', 'helium balloons'],
      ['c2', 'hello from the other chat'],
      ['c1', 'Hello Alice'],
    ]);
    expect(more).toBe(false);
    const capped = await find('hel', 2);
    expect(capped.hits).toHaveLength(2);
    expect(capped.more).toBe(true);
    expect((await find('hello alice')).hits.map((h) => h.message.seq)).toEqual([1]);
    expect((await find('goodbye')).hits).toEqual([]);
  });

  it('finds an edited message by its new words only, and a deleted one no more', async () => {
    const store = new EncryptedStateStore(new InMemoryStateStore(), await key());
    const index = new SearchIndex(store);
    const { history, write } = await open(store, index, 'c1');
    await write(add(message(1, 'meet at the station'), message(2, 'bring the tickets')));
    await write([
      {
        kind: 'change',
        seq: 1,
        change: (m) => {
          m.text = 'meet at the harbour';
        },
      },
      {
        kind: 'change',
        seq: 2,
        change: (m) => {
          m.deleted = true;
          m.text = '';
        },
      },
    ]);
    const terms = (q: string) => index.candidates('c1', queryTerms(q));
    expect(await terms('station')).toEqual([]);
    expect(await terms('harbour')).toEqual([1]);
    expect(await terms('meet')).toEqual([1]);
    expect(await terms('tickets')).toEqual([]);
    // And from a fresh start, as after a reload: what was stored says the same.
    const reloaded = new SearchIndex(store);
    expect(await reloaded.candidates('c1', queryTerms('harbour'))).toEqual([1]);
    expect(await reloaded.candidates('c1', queryTerms('station'))).toEqual([]);
    const found = await searchMessages(reloaded, async () => history, ['c1'], 'meet', 50);
    expect(found.hits.map((h) => h.message.text)).toEqual(['meet at the harbour']);
  });

  it('checks what the index found against the history: a stale entry is not a result', async () => {
    const store = new InMemoryStateStore();
    const index = new SearchIndex(store);
    const history = await ConversationHistory.open(store, 'c1');
    // Written to the history without the index knowing (a write cut short between the two).
    await index.update('c1', await history.write(add(message(1, 'old words'))));
    await history.write([
      {
        kind: 'change',
        seq: 1,
        change: (m) => {
          m.text = 'new words';
        },
      },
    ]);
    expect(await index.candidates('c1', queryTerms('old'))).toEqual([1]);
    const found = await searchMessages(index, async () => history, ['c1'], 'old', 50);
    expect(found.hits).toEqual([]);
  });

  it('indexes a history kept before the index existed once, on the first search, page by page', async () => {
    const store = new InMemoryStateStore();
    const messages = Array.from({ length: 95 }, (_, i) =>
      message(i + 1, i === 3 ? 'the oldest café' : `filler ${i + 1}`),
    );
    const options = { chunkSize: 20, loadAtLeast: 1 };
    await (await ConversationHistory.open(store, 'c1', options)).write(add(...messages));
    // Opened again, as at the next start: only the newest chunk is loaded.
    const history = await ConversationHistory.open(store, 'c1', options);
    expect(history.messages.length).toBeLessThan(95);
    const index = new SearchIndex(store);
    expect(await index.isComplete('c1')).toBe(false);
    const found = await searchMessages(index, async () => history, ['c1'], 'cafe', 50);
    expect(found.hits.map((h) => h.message.seq)).toEqual([4]);
    expect(await new SearchIndex(store).isComplete('c1')).toBe(true);
    expect((await searchMessages(index, async () => history, ['c1'], 'filler', 200)).hits).toHaveLength(94);
    // The history's window is as it was: the search read its chunks without loading them.
    expect(history.messages.length).toBeLessThan(95);
  });

  it('builds an index of the format before Thai was split again, so a Thai word inside a sentence is found', async () => {
    const store = new InMemoryStateStore();
    const options = { chunkSize: 20, loadAtLeast: 1 };
    await (await ConversationHistory.open(store, 'c1', options)).write(add(message(1, 'ฉันชอบกินข้าวมาก')));
    // What the earlier format kept: the sentence as one word, and the history marked indexed.
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const folded = 'ฉนชอบกนขาวมาก';
    await store.put(SEARCH_BUCKET_KEY('c1', bucketOf(folded)), json({ format: 1, words: { [folded]: [1] } }));
    await store.put(SEARCH_STATE_KEY('c1'), json({ format: 1, complete: true }));
    const history = await ConversationHistory.open(store, 'c1', options);
    const index = new SearchIndex(store);
    expect(await index.isComplete('c1')).toBe(false);
    const found = await searchMessages(index, async () => history, ['c1'], 'ข้าว', 50);
    expect(found.hits.map((h) => h.message.seq)).toEqual([1]);
  });

  it('keeps nothing of the text in its keys, and nothing readable in its values', async () => {
    const kept = new KeptStore();
    const index = new SearchIndex(new EncryptedStateStore(kept, await key()));
    await index.update('c1', [{ after: message(1, 'CANARY zebra 旅行') }]);
    const keys = [...kept.keys];
    expect(keys.length).toBeGreaterThan(0);
    for (const stored of keys) expect(stored).toMatch(/^search\/c1\/\d+$/);
    expect(keys).toContain(SEARCH_BUCKET_KEY('c1', bucketOf('zebra')));
    for (const stored of keys) {
      const bytes = (await kept.get(stored)) as Uint8Array;
      const text = new TextDecoder().decode(bytes);
      for (const word of ['canary', 'zebra', '旅行']) expect(text).not.toContain(word);
    }
  });
});
