import type { StateStore } from '../../../shared/e2ee/state-store';
import * as z from '../../../shared/zod';
import type { MessageView, WrittenMessage } from './history';

/**
 * Message search over what this browser keeps: the server has only ciphertext, so the index is built here,
 * from the decrypted history, and kept in the same encrypted store (nothing of it leaves the browser).
 *
 * Text is compared in a folded form: NFKD with the combining marks taken out, then lower case ("Café" and
 * "cafe" are one word). Words are runs of letters and digits. Chinese, Japanese, Thai, Lao, Khmer and
 * Burmese are written without spaces, so a run of their characters is indexed as each character and each pair of neighbours (bigrams):
 * a query of one character finds it, a longer one finds the messages holding all of its pairs. Every other
 * word of a query matches as a prefix ("hel" finds "hello"); a message is found when all the query's words
 * match.
 */

/** A query word, folded: `prefix` words match any indexed word they begin; the others match whole. */
export interface QueryTerm {
  readonly text: string;
  readonly prefix: boolean;
}

/** A part of a message's text, marked when it is what the query matched. */
export interface TextPiece {
  readonly text: string;
  readonly mark: boolean;
}

/**
 * Characters indexed by bigrams: scripts written without spaces between words (Chinese, Japanese, Thai,
 * Lao, Khmer, Burmese).
 */
const UNSPACED_SCRIPTS =
  '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Thai}\\p{Script=Lao}\\p{Script=Khmer}\\p{Script=Myanmar}';
const UNSPACED = new RegExp(`[${UNSPACED_SCRIPTS}]`, 'u');
const UNSPACED_RUNS = new RegExp(`[${UNSPACED_SCRIPTS}]+|[^${UNSPACED_SCRIPTS}]+`, 'gu');
const WORDS = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{M}+/gu;
/** Longer words are indexed by their beginning: a pasted key or link should not bloat the index. */
const MAX_WORD_LENGTH_IN_CHARACTERS = 32;

/** The folded form search compares: compatibility-decomposed, combining marks taken out, lower case. */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(MARKS, '').toLowerCase();
}

interface Run {
  readonly text: string;
  readonly at: number;
  readonly unspaced: boolean;
}

/** The runs of letters and digits of folded text, split where an unspaced script begins or ends. */
function runs(folded: string): Run[] {
  const found: Run[] = [];
  for (const word of folded.matchAll(WORDS)) {
    for (const part of word[0].matchAll(UNSPACED_RUNS)) {
      found.push({
        text: part[0],
        at: word.index + part.index,
        unspaced: UNSPACED.test(part[0]),
      });
    }
  }
  return found;
}

function clip(word: string): string {
  const characters = Array.from(word);
  return characters.length > MAX_WORD_LENGTH_IN_CHARACTERS
    ? characters.slice(0, MAX_WORD_LENGTH_IN_CHARACTERS).join('')
    : word;
}

/** The distinct words a text is indexed under: its words, and the characters and bigrams of unspaced runs. */
export function indexWords(text: string): string[] {
  const words = new Set<string>();
  for (const run of runs(fold(text))) {
    if (!run.unspaced) {
      words.add(clip(run.text));
      continue;
    }
    const characters = Array.from(run.text);
    characters.forEach((character, i) => {
      words.add(character);
      const next = characters[i + 1];
      if (next !== undefined) words.add(character + next);
    });
  }
  return [...words];
}

/** A query's terms: each word a prefix; an unspaced run its bigrams (or its one character), each whole. */
export function queryTerms(query: string): QueryTerm[] {
  const terms = new Map<string, QueryTerm>();
  for (const run of runs(fold(query))) {
    if (!run.unspaced) {
      const text = clip(run.text);
      terms.set(`p:${text}`, { text, prefix: true });
      continue;
    }
    const characters = Array.from(run.text);
    if (characters.length === 1) terms.set(`w:${run.text}`, { text: run.text, prefix: false });
    for (let i = 0; i + 1 < characters.length; i++) {
      const text = `${characters[i]}${characters[i + 1]}`;
      terms.set(`w:${text}`, { text, prefix: false });
    }
  }
  return [...terms.values()];
}

function termMatches(term: QueryTerm, word: string): boolean {
  return term.prefix ? word.startsWith(term.text) : word === term.text;
}

/** Whether a text holds every term (a query with no terms matches nothing). */
export function matchesTerms(text: string, terms: readonly QueryTerm[]): boolean {
  if (terms.length === 0) return false;
  const words = indexWords(text);
  return terms.every((term) => words.some((word) => termMatches(term, word)));
}

/** What a message is found by: its text and the names of its files; nothing once deleted or unreadable. */
export function searchableText(message: MessageView): string {
  if (message.deleted || message.undecryptable) return '';
  return [message.text, ...(message.attachments ?? []).map((a) => a.name)].join('\n');
}

/**
 * A text cut into pieces, those the terms matched marked: the beginning of each word a prefix term begins,
 * each place an unspaced term occurs. Positions are found in the folded text and mapped back, character by
 * character, so "Café" is marked whole for "cafe".
 */
export function highlight(text: string, terms: readonly QueryTerm[]): TextPiece[] {
  // Folded character by character, remembering where each folded code unit came from.
  let folded = '';
  const origin: number[] = [];
  let offset = 0;
  for (const character of text) {
    const part = fold(character);
    for (let i = 0; i < part.length; i++) origin.push(offset);
    folded += part;
    offset += character.length;
  }
  origin.push(text.length);
  const ranges: [number, number][] = [];
  for (const run of runs(folded)) {
    for (const term of terms) {
      if (term.prefix && !run.unspaced && run.text.startsWith(term.text))
        ranges.push([run.at, run.at + term.text.length]);
      if (!term.prefix && run.unspaced) {
        for (let at = run.text.indexOf(term.text); at !== -1; at = run.text.indexOf(term.text, at + 1))
          ranges.push([run.at + at, run.at + at + term.text.length]);
      }
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const pieces: TextPiece[] = [];
  let done = 0;
  for (const [start, end] of ranges) {
    const from = Math.max(origin[start] as number, done);
    // Up to where the next folded character came from: combining marks that folded to nothing stay with
    // their letter.
    const to = origin[end] as number;
    if (to <= from) continue;
    if (from > done) pieces.push({ text: text.slice(done, from), mark: false });
    const last = pieces.at(-1);
    // Overlapping bigrams of one word ("東京都", "ข้าว") make one mark.
    if (from === done && last?.mark)
      pieces[pieces.length - 1] = { text: last.text + text.slice(from, to), mark: true };
    else pieces.push({ text: text.slice(from, to), mark: true });
    done = to;
  }
  if (done < text.length) pieces.push({ text: text.slice(done), mark: false });
  return pieces;
}

// The stored index ----------------------------------------------------------------------------------------

/**
 * Buckets per conversation. A word lives in the bucket its first two characters hash to, so a query word
 * reads one bucket (a one-letter prefix reads them all); the bucket number, not the word, is in the key.
 */
export const SEARCH_BUCKETS = 64;
/** 2: Thai, Lao, Khmer and Burmese indexed by bigrams. An index of another format is built again. */
const FORMAT = 2;
export const SEARCH_STATE_KEY = (conversationId: string) => `search/${conversationId}`;
export const SEARCH_BUCKET_KEY = (conversationId: string, bucket: number) =>
  `search/${conversationId}/${bucket}`;

const BucketSchema = z.object({
  format: z.literal(FORMAT),
  /** Word → the seqs of the messages holding it, ascending. */
  words: z.record(z.string(), z.array(z.number().check(z.int()))),
});
const StateSchema = z.object({
  format: z.literal(FORMAT),
  /** Every message kept before the index existed has been indexed. */
  complete: z.boolean(),
});

/** The bucket a word (or a prefix of two characters or more) is kept in. */
export function bucketOf(word: string): number {
  const [first = '', second = ''] = Array.from(word);
  // FNV-1a: small and even enough; the spread, not secrecy, is what matters (the key is only a number).
  let hash = 0x811c9dc5;
  for (const unit of first + second) {
    hash ^= unit.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % SEARCH_BUCKETS;
}

/** The buckets a term is to be looked up in: one, or all for a prefix of one character. */
function bucketsOf(term: QueryTerm): number[] {
  if (term.prefix && Array.from(term.text).length < 2)
    return Array.from({ length: SEARCH_BUCKETS }, (_, i) => i);
  return [bucketOf(term.text)];
}

type Bucket = Map<string, number[]>;

/**
 * The stored word index of every conversation: per conversation, {@link SEARCH_BUCKETS} records mapping
 * words to seqs, each encrypted like every value of the store. Buckets read are kept in memory. Updates
 * and builds run one at a time, in call order. The history stays the truth: a caller checks each found
 * message against the query (see {@link matchesTerms}), so a seq left behind by an interrupted write is
 * only a wasted look-up.
 *
 * @example
 * const index = new SearchIndex(store);
 * await index.update(conversationId, await history.write(changes));
 * const seqs = await index.candidates(conversationId, queryTerms('hel'));
 */
export class SearchIndex {
  /** Conversation → bucket → words. */
  private readonly buckets = new Map<string, Map<number, Bucket>>();
  private readonly complete = new Map<string, boolean>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: StateStore) {}

  /** Indexes what a history write did: added messages, re-indexed edits, removed deletions. */
  update(conversationId: string, written: readonly WrittenMessage[]): Promise<void> {
    if (written.length === 0) return Promise.resolve();
    return this.serialise(async () => {
      const dirty = new Set<number>();
      for (const { before, after } of written) {
        const old = new Set(before ? indexWords(searchableText(before)) : []);
        const now = new Set(indexWords(searchableText(after)));
        for (const word of old) {
          if (now.has(word)) continue;
          const bucket = bucketOf(word);
          if (removeSeq(await this.bucket(conversationId, bucket), word, after.seq)) dirty.add(bucket);
        }
        for (const word of now) {
          const bucket = bucketOf(word);
          if (addSeq(await this.bucket(conversationId, bucket), word, after.seq)) dirty.add(bucket);
        }
      }
      for (const bucket of dirty) await this.putBucket(conversationId, bucket);
    });
  }

  /** Whether the messages kept before the index existed have been indexed (see {@link build}). */
  async isComplete(conversationId: string): Promise<boolean> {
    const known = this.complete.get(conversationId);
    if (known !== undefined) return known;
    const stored = await this.store.get(SEARCH_STATE_KEY(conversationId));
    const parsed = stored === undefined ? undefined : StateSchema.safeParse(decode(stored));
    const complete = parsed?.success === true && parsed.data.complete;
    this.complete.set(conversationId, complete);
    return complete;
  }

  /**
   * Indexes a whole history once, page by page from `read` (each page's messages and the bound to read
   * after, or none at the end), and marks it complete. Adding is idempotent, so messages written meanwhile
   * are not lost; a deletion read stale is caught by the caller's check.
   */
  build(
    conversationId: string,
    read: (after: number) => Promise<{ messages: readonly MessageView[]; next: number | undefined }>,
  ): Promise<void> {
    return this.serialise(async () => {
      if (await this.isComplete(conversationId)) return;
      const dirty = new Set<number>();
      let after: number | undefined = Number.NEGATIVE_INFINITY;
      while (after !== undefined) {
        const page: { messages: readonly MessageView[]; next: number | undefined } = await read(after);
        for (const message of page.messages) {
          for (const word of indexWords(searchableText(message))) {
            const bucket = bucketOf(word);
            if (addSeq(await this.bucket(conversationId, bucket), word, message.seq)) dirty.add(bucket);
          }
        }
        after = page.next;
      }
      for (const bucket of dirty) await this.putBucket(conversationId, bucket);
      await this.store.put(SEARCH_STATE_KEY(conversationId), encode({ format: FORMAT, complete: true }));
      this.complete.set(conversationId, true);
    });
  }

  /** The seqs of a conversation's messages that hold every term, newest first (to be checked by the caller). */
  candidates(conversationId: string, terms: readonly QueryTerm[]): Promise<number[]> {
    return this.serialise(async () => {
      let found: Set<number> | undefined;
      for (const term of terms) {
        const seqs = new Set<number>();
        for (const bucket of bucketsOf(term)) {
          for (const [word, list] of await this.bucket(conversationId, bucket)) {
            if (termMatches(term, word)) for (const seq of list) seqs.add(seq);
          }
        }
        const previous: Set<number> | undefined = found;
        found = previous ? new Set([...seqs].filter((seq) => previous.has(seq))) : seqs;
        if (found.size === 0) break;
      }
      return [...(found ?? [])].sort((a, b) => b - a);
    });
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async bucket(conversationId: string, bucket: number): Promise<Bucket> {
    let conversation = this.buckets.get(conversationId);
    if (!conversation) {
      conversation = new Map();
      this.buckets.set(conversationId, conversation);
    }
    let words = conversation.get(bucket);
    if (words) return words;
    const stored = await this.store.get(SEARCH_BUCKET_KEY(conversationId, bucket));
    const parsed = stored === undefined ? undefined : BucketSchema.safeParse(decode(stored));
    // One this version does not read is rebuilt from the history's next writes: the index is a cache.
    words = new Map(parsed?.success ? Object.entries(parsed.data.words) : []);
    conversation.set(bucket, words);
    return words;
  }

  private putBucket(conversationId: string, bucket: number): Promise<void> {
    const words = this.buckets.get(conversationId)?.get(bucket) ?? new Map();
    return this.store.put(
      SEARCH_BUCKET_KEY(conversationId, bucket),
      encode({ format: FORMAT, words: Object.fromEntries(words) }),
    );
  }
}

/** Adds a seq to a word's ascending list; whether it was not there. */
function addSeq(bucket: Bucket, word: string, seq: number): boolean {
  const list = bucket.get(word);
  if (!list) {
    bucket.set(word, [seq]);
    return true;
  }
  const at = lowerBound(list, seq);
  if (list[at] === seq) return false;
  list.splice(at, 0, seq);
  return true;
}

/** Takes a seq out of a word's list (and the word, once it has none); whether it was there. */
function removeSeq(bucket: Bucket, word: string, seq: number): boolean {
  const list = bucket.get(word);
  if (!list) return false;
  const at = lowerBound(list, seq);
  if (list[at] !== seq) return false;
  list.splice(at, 1);
  if (list.length === 0) bucket.delete(word);
  return true;
}

function lowerBound(list: readonly number[], seq: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((list[middle] as number) < seq) low = middle + 1;
    else high = middle;
  }
  return low;
}

function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function decode(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
