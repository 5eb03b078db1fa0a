/**
 * The web client's message search index (web/src/app/search-index.ts) over one conversation of `MESSAGES`
 * messages, in an encrypted in-memory store (AES-GCM, as in the browser, without IndexedDB's own cost):
 * the one-time build of a history kept before the index existed, the live path (each message written to
 * the history and indexed as it arrives), the stored size of index and history, and search times.
 * Run with `npx tsx bench/search-index.ts [messages]`; prints JSON. Indications, not limits.
 */
import { performance } from 'node:perf_hooks';
import { EncryptedStateStore } from '../shared/e2ee/encrypted-state-store';
import { InMemoryStateStore } from '../shared/e2ee/in-memory-state-store';
import { ConversationHistory, type MessageView } from '../web/src/app/history';
import { searchMessages } from '../web/src/app/message-search';
import { SearchIndex } from '../web/src/app/search-index';

const MESSAGES = Number(process.argv[2] ?? 10_000);
const LIVE_MESSAGES = Math.min(MESSAGES, 2_000);
const WORDS =
  'the a to and of you I it in is that for on we have be this with are not at was can what do will just so about get like meet tomorrow dinner train station café ticket photo weekend plans project deadline review meeting zeppelin lighthouse harbour 旅行 来年 東京 привет مرحبا'.split(
    ' ',
  );

/** A store that counts what is kept under each key prefix. */
class SizedStore extends InMemoryStateStore {
  readonly sizes = new Map<string, number>();
  override async put(key: string, value: Uint8Array): Promise<void> {
    this.sizes.set(key, value.length);
    await super.put(key, value);
  }
  bytes(prefix: string): { records: number; bytes: number } {
    const kept = [...this.sizes].filter(([key]) => key.startsWith(prefix));
    return { records: kept.length, bytes: kept.reduce((n, [, size]) => n + size, 0) };
  }
}

/**
 * Pseudo-random but repeatable texts: half the words common ones (the list above), half from a vocabulary
 * of 5,000 made-up words picked with a skew towards the first, as words are in real chats.
 */
function texts(count: number): string[] {
  let seed = 42;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    // The high bits: an LCG's low bits repeat with a short period.
    return seed >> 12;
  };
  const syllables = ['ka', 'lo', 'mi', 'tre', 'sun', 'va', 'dor', 'pe', 'ri', 'nax', 'qu', 'bel'];
  const vocabulary = Array.from(
    { length: 5_000 },
    (_, i) =>
      Array.from(
        { length: 2 + (i % 3) },
        (_, j) => syllables[(i * 7 + j * 5 + (i >> 3)) % syllables.length],
      ).join('') +
      (i % 97),
  );
  const word = () =>
    next() % 2
      ? WORDS[next() % WORDS.length]
      : vocabulary[Math.floor(((next() % 1000) / 1000) ** 2 * vocabulary.length)];
  return Array.from({ length: count }, () => Array.from({ length: 4 + (next() % 14) }, word).join(' '));
}

const message = (seq: number, text: string): MessageView => ({
  seq,
  messageId: `m${seq}`,
  senderId: seq % 2 ? 'bob' : 'alice',
  sentAt: new Date(Date.UTC(2025, 0, 1) + seq * 60_000).toISOString(),
  text,
  reactions: {},
});

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, Math.round((performance.now() - start) * 10) / 10];
}

async function main() {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const all = texts(MESSAGES);

  // A history kept before the index existed: written in pages of 500, then indexed once.
  const disk = new SizedStore();
  const store = new EncryptedStateStore(disk, key);
  const writer = await ConversationHistory.open(store, 'c1');
  for (let start = 0; start < MESSAGES; start += 500)
    await writer.write(
      all
        .slice(start, start + 500)
        .map((text, i) => ({ kind: 'add', message: message(start + i + 1, text) })),
    );
  const history = await ConversationHistory.open(store, 'c1');
  const index = new SearchIndex(store);
  const [, buildMs] = await timed(() => index.build('c1', (after) => history.scan(after)));

  const search = async (query: string, fresh: boolean) => {
    const using = fresh ? new SearchIndex(store) : index;
    const reopened = fresh ? await ConversationHistory.open(store, 'c1') : history;
    const [found, ms] = await timed(() => searchMessages(using, async () => reopened, ['c1'], query, 50));
    return { query, cold: fresh, ms, hits: found.hits.length, more: found.more };
  };
  const searches = [];
  for (const query of ['zeppelin', 'zep', 'meet tomorrow', '旅行', 'cafe', 't'])
    searches.push(await search(query, true), await search(query, false));

  // The live path: each message written to the history, then indexed, one at a time.
  const liveStore = new EncryptedStateStore(new SizedStore(), key);
  const live = await ConversationHistory.open(liveStore, 'live');
  const liveIndex = new SearchIndex(liveStore);
  const [, liveMs] = await timed(async () => {
    for (let i = 0; i < LIVE_MESSAGES; i++)
      await liveIndex.update(
        'live',
        await live.write([{ kind: 'add', message: message(i + 1, all[i] as string) }]),
      );
  });
  const historyOnly = await ConversationHistory.open(new EncryptedStateStore(new SizedStore(), key), 'h');
  const [, historyOnlyMs] = await timed(async () => {
    for (let i = 0; i < LIVE_MESSAGES; i++)
      await historyOnly.write([{ kind: 'add', message: message(i + 1, all[i] as string) }]);
  });

  console.log(
    JSON.stringify(
      {
        messages: MESSAGES,
        averageWordsPerMessage: Math.round((all.join(' ').split(' ').length / MESSAGES) * 10) / 10,
        stored: { history: disk.bytes('history/'), index: disk.bytes('search/') },
        buildMs,
        searches,
        live: {
          messages: LIVE_MESSAGES,
          historyAndIndexMsPerMessage: Math.round((liveMs / LIVE_MESSAGES) * 100) / 100,
          historyOnlyMsPerMessage: Math.round((historyOnlyMs / LIVE_MESSAGES) * 100) / 100,
        },
      },
      null,
      2,
    ),
  );
}

await main();
