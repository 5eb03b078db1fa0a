import { type KeptMessage, KeptMessageSchema } from '../../../shared/e2ee/history/kept-message';
import type { StateStore } from '../../../shared/e2ee/state-store';
import * as z from '../../../shared/zod';

/** A message as this device shows it (decrypted here), and as it keeps it in its encrypted store. */
export type MessageView = KeptMessage;

/** One step of a write, in the order the log holds them. */
export type HistoryChange =
  /** A message read from the log; a `seq` already kept is left as it is (with its edits and reactions). */
  | { readonly kind: 'add'; readonly message: MessageView }
  /** An edit, reaction or deletion of a kept message, wherever it is kept; nothing if it is not. */
  | { readonly kind: 'change'; readonly seq: number; readonly change: (message: MessageView) => void }
  /**
   * A message from another device's history of this conversation (a transfer or a backup): added when it
   * is missing, and in place of one kept here as unreadable; a message this device read itself stays.
   */
  | { readonly kind: 'restore'; readonly message: MessageView }
  /**
   * Another device's history covers the seqs from `from` to `to` and holds a message at `keep` alone: an
   * unreadable line kept here for any other seq there goes (an edit, a reaction or a commit, which that
   * device read and shows in place).
   */
  | {
      readonly kind: 'forget-unreadable';
      readonly from: number;
      readonly to: number;
      readonly keep: ReadonlySet<number>;
    };

/** What a write did to one message: `before` is absent when it was added. */
export interface WrittenMessage {
  readonly before?: MessageView;
  readonly after: MessageView;
}

export interface HistoryOptions {
  /**
   * Messages per stored chunk. A new message re-encrypts and rewrites one chunk, so this bounds what a write
   * costs; the price is that a chunk is also the smallest page read.
   * @default 200
   */
  readonly chunkSize?: number;
  /**
   * Messages read when the history is opened: the newest chunks until there are this many (a first screen and
   * a preview), or the whole history when it is shorter.
   * @default 50
   */
  readonly loadAtLeast?: number;
}

/** A stored history that does not read back as one: written by another version, or damaged. */
export class StoredHistoryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoredHistoryError';
  }
}

const DEFAULT_CHUNK_SIZE_IN_MESSAGES = 200;
const DEFAULT_LOADED_ON_OPEN_IN_MESSAGES = 50;
const INDEX_FORMAT = 2;

/** The index, under the key the whole history had as one JSON array before it was kept in chunks. */
export const HISTORY_INDEX_KEY = (conversationId: string) => `history/${conversationId}`;
/** A chunk, by an id that never changes (positions do, when a chunk splits). */
export const HISTORY_CHUNK_KEY = (conversationId: string, chunkId: number) =>
  `history/${conversationId}/${chunkId}`;

const ChunkSchema = z.array(KeptMessageSchema);

/** A chunk in the index: its id (in its key) and the lowest seq it is for. */
interface ChunkRef {
  readonly id: number;
  readonly from: number;
}

/**
 * The chunks in seq order. Chunk k holds the seqs from its `from` up to the next chunk's `from` (the first
 * chunk from the lowest seq there is), so appending to the newest chunk leaves the index as it is.
 */
const IndexSchema = z
  .object({
    format: z.literal(INDEX_FORMAT),
    /** The id the next new chunk takes. */
    next: z.number().check(z.int(), z.nonnegative()),
    chunks: z.array(
      z.object({ id: z.number().check(z.int(), z.nonnegative()), from: z.number().check(z.int()) }),
    ),
  })
  .check(
    z.refine(
      ({ next, chunks }) =>
        new Set(chunks.map((c) => c.id)).size === chunks.length &&
        chunks.every((c, i) => c.id < next && (i < 2 || c.from > (chunks[i - 1] as ChunkRef).from)),
      'The chunks are to have distinct ids below `next`, in seq order',
    ),
  );

/**
 * One conversation's decrypted history in a {@link StateStore}, in chunks of a few hundred messages by seq
 * order plus a small index (the chunks' ids and first seqs), so a new message, an edit or a reaction rewrites
 * one chunk, not the whole history, and opening a conversation reads only its newest chunks. The loaded
 * chunks, always the newest, make {@link messages}; {@link loadEarlier} reads one more. Writes and reads run
 * one at a time, in call order.
 *
 * @example
 * const history = await ConversationHistory.open(store, conversationId);
 * await history.write([{ kind: 'add', message }]);
 * while (history.hasEarlier) await history.loadEarlier();
 */
export class ConversationHistory {
  private readonly chunkSize: number;
  private chunks: ChunkRef[] = [];
  private next = 0;
  /** Chunk id → its messages, for the newest chunks only (the loaded window). */
  private readonly loaded = new Map<number, MessageView[]>();
  private window: readonly MessageView[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: StateStore,
    readonly conversationId: string,
    options: HistoryOptions,
  ) {
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE_IN_MESSAGES;
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < 1)
      throw new RangeError('chunkSize must be a positive integer');
  }

  /**
   * Reads the index and the newest chunks. A history kept in the former format (one JSON array under the
   * index's key) is rewritten in chunks first, once.
   */
  static async open(
    store: StateStore,
    conversationId: string,
    options: HistoryOptions = {},
  ): Promise<ConversationHistory> {
    const history = new ConversationHistory(store, conversationId, options);
    await history.readIndex();
    const loadAtLeast = options.loadAtLeast ?? DEFAULT_LOADED_ON_OPEN_IN_MESSAGES;
    do await history.loadOne();
    while (history.hasEarlier && history.window.length < loadAtLeast);
    return history;
  }

  /** The loaded messages, the newest part of the history, in seq order. A new array after every change. */
  get messages(): readonly MessageView[] {
    return this.window;
  }

  /** Whether older messages are kept than those loaded. */
  get hasEarlier(): boolean {
    return this.windowStart() > 0;
  }

  /** Reads the chunk before the loaded ones into {@link messages}; resolves to whether older ones remain. */
  loadEarlier(): Promise<boolean> {
    return this.serialise(async () => {
      await this.loadOne();
      return this.hasEarlier;
    });
  }

  /**
   * Applies changes in order and stores them: each touched chunk is rewritten, the index only if it changed.
   * Resolves to what changed, message by message, in order (for the search index).
   */
  write(changes: readonly HistoryChange[]): Promise<readonly WrittenMessage[]> {
    return this.serialise(() => this.writeNow(changes));
  }

  /** The kept messages with these seqs, wherever they are kept (loaded or not), in seq order. */
  find(seqs: readonly number[]): Promise<MessageView[]> {
    return this.serialise(async () => {
      const wanted = [...new Set(seqs)].sort((a, b) => a - b);
      const found: MessageView[] = [];
      let position = -1;
      let messages: readonly MessageView[] = [];
      for (const seq of wanted) {
        if (this.chunks.length === 0) break;
        const at = this.positionOf(seq);
        if (at !== position) {
          position = at;
          const ref = this.chunks[at] as ChunkRef;
          messages = this.loaded.get(ref.id) ?? (await this.readChunk(at));
        }
        const message = messages[indexOfSeq(messages, seq)];
        if (message?.seq === seq) found.push(message);
      }
      return found;
    });
  }

  /**
   * Reads the whole history a chunk at a time, oldest first, without loading it: the messages after `after`
   * in the chunk that holds the next seq, and the bound to pass next (none after the newest chunk).
   */
  scan(after: number): Promise<{ messages: readonly MessageView[]; next: number | undefined }> {
    return this.serialise(async () => {
      if (this.chunks.length === 0) return { messages: [], next: undefined };
      const position = this.positionOf(after + 1);
      const ref = this.chunks[position] as ChunkRef;
      const messages = this.loaded.get(ref.id) ?? (await this.readChunk(position));
      const following = this.chunks[position + 1];
      return {
        messages: messages.filter((m) => m.seq > after),
        next: following === undefined ? undefined : following.from - 1,
      };
    });
  }

  /**
   * The newest `limit` kept messages with a seq below `before` (below none when it is undefined), in seq
   * order, read without loading them; `more` says whether older ones remain.
   */
  page(before: number | undefined, limit: number): Promise<{ messages: MessageView[]; more: boolean }> {
    return this.serialise(async () => {
      const bound = before ?? Number.POSITIVE_INFINITY;
      let position = before === undefined ? this.chunks.length - 1 : this.positionOf(before - 1);
      let found: MessageView[] = [];
      while (position >= 0 && found.length < limit) {
        const ref = this.chunks[position] as ChunkRef;
        const messages = this.loaded.get(ref.id) ?? (await this.readChunk(position));
        found = [...messages.filter((m) => m.seq < bound), ...found];
        position -= 1;
      }
      const more = position >= 0 || found.length > limit;
      return { messages: found.slice(Math.max(0, found.length - limit)), more };
    });
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    // A failed write must not stop the ones queued after it.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private windowStart(): number {
    const first = this.chunks.findIndex((ref) => this.loaded.has(ref.id));
    return first === -1 ? this.chunks.length : first;
  }

  private refreshWindow(): void {
    this.window = this.chunks.slice(this.windowStart()).flatMap((ref) => this.loaded.get(ref.id) ?? []);
  }

  private async loadOne(): Promise<void> {
    const position = this.windowStart() - 1;
    const ref = this.chunks[position];
    if (ref === undefined) return;
    this.loaded.set(ref.id, await this.readChunk(position));
    this.refreshWindow();
  }

  private async readIndex(): Promise<void> {
    const stored = await this.store.get(HISTORY_INDEX_KEY(this.conversationId));
    if (stored === undefined) return;
    const value = decode(stored);
    if (Array.isArray(value)) {
      await this.migrate(value);
      return;
    }
    const index = IndexSchema.safeParse(value);
    if (!index.success)
      throw new StoredHistoryError('The stored history index is not one this app reads', {
        cause: index.error,
      });
    this.chunks = index.data.chunks;
    this.next = index.data.next;
  }

  /** The former format, one array of every message: into chunks, each full but the newest. */
  private async migrate(value: unknown[]): Promise<void> {
    const parsed = ChunkSchema.safeParse(value);
    if (!parsed.success)
      throw new StoredHistoryError('The stored history (former format) is not one this app reads', {
        cause: parsed.error,
      });
    const messages = uniqueBySeq(parsed.data);
    for (let start = 0; start < messages.length; start += this.chunkSize) {
      const chunk = messages.slice(start, start + this.chunkSize);
      const ref = { id: this.next++, from: (chunk[0] as MessageView).seq };
      this.chunks.push(ref);
      await this.putChunk(ref.id, chunk);
    }
    // Last, over the array: an interrupted migration leaves the array, and runs again next time.
    await this.putIndex();
  }

  private async writeNow(changes: readonly HistoryChange[]): Promise<readonly WrittenMessage[]> {
    /** Chunk id → messages, for every chunk this write changed. */
    const touched = new Map<number, MessageView[]>();
    const created = new Set<number>();
    const written: WrittenMessage[] = [];
    for (const change of changes) {
      if (change.kind === 'forget-unreadable') {
        await this.forgetUnreadable(change, touched);
        continue;
      }
      const seq = change.kind === 'change' ? change.seq : change.message.seq;
      if (this.chunks.length === 0) {
        if (change.kind === 'change') continue;
        this.appendChunk(seq, created);
      }
      const position = this.positionOf(seq);
      let ref = this.chunks[position] as ChunkRef;
      let messages = touched.get(ref.id) ?? this.loaded.get(ref.id) ?? (await this.readChunk(position));
      const at = indexOfSeq(messages, seq);
      const found = messages[at]?.seq === seq ? messages[at] : undefined;
      if (change.kind === 'change') {
        if (found === undefined) continue;
        const copy = structuredClone(found);
        change.change(copy);
        messages[at] = copy;
        written.push({ before: found, after: copy });
      } else if (found !== undefined) {
        if (change.kind === 'add' || found.undecryptable === undefined) continue;
        const restored = structuredClone(change.message);
        messages[at] = restored;
        written.push({ before: found, after: restored });
      } else {
        const newest = ref === this.chunks.at(-1) && at === messages.length;
        if (newest && messages.length >= this.chunkSize) {
          ref = this.appendChunk(seq, created);
          messages = this.loaded.get(ref.id) as MessageView[];
        }
        const added = structuredClone(change.message);
        messages.splice(indexOfSeq(messages, seq), 0, added);
        written.push({ after: added });
      }
      touched.set(ref.id, messages);
    }
    for (const [id, messages] of [...touched]) {
      if (messages.length > this.chunkSize) this.split(id, messages, touched, created);
    }
    if (touched.size === 0) return written;
    // New chunks first, then the index naming them, then the chunks that were there: a write cut short
    // anywhere leaves each seq in the chunk the stored index gives it (reads keep only a chunk's own range).
    for (const id of created) await this.putChunk(id, touched.get(id) ?? []);
    if (created.size > 0) await this.putIndex();
    for (const [id, messages] of touched) if (!created.has(id)) await this.putChunk(id, messages);
    this.refreshWindow();
    return written;
  }

  /** Takes out the unreadable lines from `from` to `to` but those at `keep`, in every chunk that holds any. */
  private async forgetUnreadable(
    change: Extract<HistoryChange, { kind: 'forget-unreadable' }>,
    touched: Map<number, MessageView[]>,
  ): Promise<void> {
    if (this.chunks.length === 0 || change.to < change.from) return;
    const last = this.positionOf(change.to);
    for (let position = this.positionOf(change.from); position <= last; position++) {
      const ref = this.chunks[position] as ChunkRef;
      const messages = touched.get(ref.id) ?? this.loaded.get(ref.id) ?? (await this.readChunk(position));
      const kept = messages.filter(
        (m) =>
          m.undecryptable === undefined || m.seq < change.from || m.seq > change.to || change.keep.has(m.seq),
      );
      if (kept.length === messages.length) continue;
      touched.set(ref.id, kept);
      if (this.loaded.has(ref.id)) this.loaded.set(ref.id, kept);
    }
  }

  /** A new, empty chunk after the others, from `from`: the newest, so loaded. */
  private appendChunk(from: number, created: Set<number>): ChunkRef {
    const ref = { id: this.next++, from };
    this.chunks.push(ref);
    this.loaded.set(ref.id, []);
    created.add(ref.id);
    return ref;
  }

  /** Splits an overfull chunk into even parts; the first keeps the id, the others are new. */
  private split(
    id: number,
    messages: MessageView[],
    touched: Map<number, MessageView[]>,
    created: Set<number>,
  ): void {
    const parts = Math.ceil(messages.length / this.chunkSize);
    const size = Math.ceil(messages.length / parts);
    const wasLoaded = this.loaded.has(id);
    const pieces = Array.from({ length: parts }, (_, i) => messages.slice(i * size, (i + 1) * size));
    const position = this.chunks.findIndex((ref) => ref.id === id);
    const first = pieces[0] as MessageView[];
    touched.set(id, first);
    if (wasLoaded) this.loaded.set(id, first);
    pieces.slice(1).forEach((piece, i) => {
      const ref = { id: this.next++, from: (piece[0] as MessageView).seq };
      this.chunks.splice(position + 1 + i, 0, ref);
      touched.set(ref.id, piece);
      created.add(ref.id);
      if (wasLoaded) this.loaded.set(ref.id, piece);
    });
  }

  /** The position of the chunk that holds (or would hold) `seq`. */
  private positionOf(seq: number): number {
    let low = 1;
    let high = this.chunks.length - 1;
    let position = 0;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if ((this.chunks[middle] as ChunkRef).from <= seq) {
        position = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return position;
  }

  /** A chunk's messages, only those in its range: a write cut short may have left others there. */
  private async readChunk(position: number): Promise<MessageView[]> {
    const ref = this.chunks[position] as ChunkRef;
    const stored = await this.store.get(HISTORY_CHUNK_KEY(this.conversationId, ref.id));
    if (stored === undefined) return [];
    const parsed = ChunkSchema.safeParse(decode(stored));
    if (!parsed.success)
      throw new StoredHistoryError('A stored history chunk is not one this app reads', {
        cause: parsed.error,
      });
    const from = position === 0 ? Number.NEGATIVE_INFINITY : ref.from;
    const until = this.chunks[position + 1]?.from ?? Number.POSITIVE_INFINITY;
    return uniqueBySeq(parsed.data.filter((m) => m.seq >= from && m.seq < until));
  }

  private putChunk(id: number, messages: readonly MessageView[]): Promise<void> {
    return this.store.put(HISTORY_CHUNK_KEY(this.conversationId, id), encode(messages));
  }

  private putIndex(): Promise<void> {
    const index: z.infer<typeof IndexSchema> = { format: INDEX_FORMAT, next: this.next, chunks: this.chunks };
    return this.store.put(HISTORY_INDEX_KEY(this.conversationId), encode(index));
  }
}

/** The position of `seq` in messages sorted by seq, or where it would go. */
function indexOfSeq(messages: readonly MessageView[], seq: number): number {
  let low = 0;
  let high = messages.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((messages[middle] as MessageView).seq < seq) low = middle + 1;
    else high = middle;
  }
  return low;
}

function uniqueBySeq(messages: readonly MessageView[]): MessageView[] {
  const sorted = [...messages].sort((a, b) => a.seq - b.seq);
  return sorted.filter((m, i) => i === 0 || (sorted[i - 1] as MessageView).seq !== m.seq);
}

function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function decode(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new StoredHistoryError('A stored history record is not JSON', { cause: error });
  }
}
