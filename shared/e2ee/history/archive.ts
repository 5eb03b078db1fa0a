/**
 * The history archive: what one device of a user sends another (a transfer) or keeps in a backup. It carries
 * the decrypted history the device keeps (text, edits, reactions, deletions, attachment keys), never MLS
 * state: the receiving device still joins every group with keys of its own.
 *
 * An archive is a series of chunks, each a deflated JSON `{ format, parts }`; a part is a run of one
 * conversation's messages in seq order, with the seqs it covers (`from`…`to`). The chunks come in the order
 * a first screen needs: first the newest messages of every conversation, newest conversation first, then
 * the rest of each conversation going back in time. Each chunk names where the next one starts (its
 * cursor), so a sender cut off mid-way resumes from the last chunk the receiver got.
 */
import * as z from '../../zod';
import { type KeptMessage, KeptMessageSchema } from './kept-message';

/** The archive format a chunk names; a reader refuses any other. */
export const ARCHIVE_FORMAT = 1;

/** Messages of each conversation in the first pass: enough for its screen and its line in the list. */
export const FIRST_SCREEN_IN_MESSAGES = 50;

/**
 * Plaintext JSON bytes a chunk is filled to before it goes, the first one smaller so the first screen
 * arrives at once. Deflated, a chunk of text messages is a quarter of this or less, far inside the largest
 * chunk the server takes.
 */
export const FIRST_CHUNK_TARGET_IN_BYTES = 64 * 1024;
export const CHUNK_TARGET_IN_BYTES = 256 * 1024;

/** Messages read from the source at once. */
const PAGE_SIZE_IN_MESSAGES = 200;

/** A run of one conversation's messages, and the seqs the sender's history covers there. */
export interface ArchivePart {
  readonly conversationId: string;
  /**
   * The lowest and highest seq this part speaks for: the sender keeps no message at a seq between them that
   * is not in `messages` (an edit, a reaction or a commit there shows in place, or nowhere).
   */
  readonly from: number;
  readonly to: number;
  /** In seq order. */
  readonly messages: readonly KeptMessage[];
}

const ChunkSchema = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  parts: z.array(
    z
      .object({
        conversationId: z.string().check(z.minLength(1), z.maxLength(128)),
        from: z.number().check(z.int()),
        to: z.number().check(z.int()),
        messages: z.array(KeptMessageSchema),
      })
      .check(
        z.refine(
          (part) =>
            part.from <= part.to &&
            part.messages.every(
              (m, i) =>
                m.seq >= part.from &&
                m.seq <= part.to &&
                (i === 0 || (part.messages[i - 1] as KeptMessage).seq < m.seq),
            ),
          'A part holds messages in seq order, inside its range',
        ),
      ),
  ),
});

/** A chunk's plaintext that does not read as an archive chunk of this format. */
export class ArchiveFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ArchiveFormatError';
  }
}

/** Where the archive goes on: the conversations it carries (fixed when it began) and the next message. */
export interface ArchiveCursor {
  readonly conversationIds: readonly string[];
  /** 0: the newest messages of each conversation; 1: the rest. */
  readonly pass: 0 | 1;
  /** The conversation, by its place in `conversationIds`. */
  readonly index: number;
  /** The seq the next message is below; none for the conversation's newest. */
  readonly before?: number;
}

/** Where an archive reads the history it carries: a device's own store. */
export interface HistorySource {
  /** The conversations to carry, the one with the newest message first. */
  conversationIds(): Promise<readonly string[]>;
  /**
   * The newest `limit` kept messages of a conversation below seq `before` (below none when undefined), in
   * seq order; `more` when older ones remain.
   */
  page(
    conversationId: string,
    before: number | undefined,
    limit: number,
  ): Promise<{ readonly messages: readonly KeptMessage[]; readonly more: boolean }>;
  /**
   * The last seq the device read in a conversation, past its newest kept message when edits, reactions or
   * commits came after it: the archive's newest part speaks for the seqs up to it. None: up to the newest message.
   */
  readUpTo?(conversationId: string): Promise<number>;
}

/** One chunk's parts, and where the archive goes on after it. */
export interface ArchiveChunk {
  readonly parts: readonly ArchivePart[];
  readonly next: ArchiveCursor;
}

/** Options of {@link archiveChunks}. */
export interface ArchiveOptions {
  /** @default FIRST_SCREEN_IN_MESSAGES */
  readonly firstScreen?: number;
  /** @default FIRST_CHUNK_TARGET_IN_BYTES */
  readonly firstChunkTarget?: number;
  /** @default CHUNK_TARGET_IN_BYTES */
  readonly chunkTarget?: number;
}

class PartsBuilder {
  parts: { conversationId: string; from: number; to: number; messages: KeptMessage[] }[] = [];
  size = 0;

  /** Adds a message older than every one added so far for its conversation, covering up to `to`. */
  add(conversationId: string, message: KeptMessage, to: number): void {
    const last = this.parts.at(-1);
    if (last?.conversationId === conversationId && last.from === to + 1) {
      last.messages.unshift(message);
      last.from = message.seq;
    } else {
      this.parts.push({ conversationId, from: message.seq, to, messages: [message] });
    }
    this.size += JSON.stringify(message).length + 1;
  }

  take(): ArchivePart[] {
    const parts = this.parts;
    this.parts = [];
    this.size = 0;
    return parts;
  }
}

/**
 * The archive of a device's history, chunk by chunk, from `start` (a cursor a chunk named) or from the
 * beginning. The last chunk yielded is the archive's last; the history is read as it goes, so messages
 * kept meanwhile in a conversation still to come go too.
 *
 * @example
 * for await (const chunk of archiveChunks(source)) await send(await encodeArchiveChunk(chunk.parts));
 */
export async function* archiveChunks(
  source: HistorySource,
  start?: ArchiveCursor,
  options: ArchiveOptions = {},
): AsyncGenerator<ArchiveChunk> {
  const firstScreen = options.firstScreen ?? FIRST_SCREEN_IN_MESSAGES;
  const targets = [
    options.firstChunkTarget ?? FIRST_CHUNK_TARGET_IN_BYTES,
    options.chunkTarget ?? CHUNK_TARGET_IN_BYTES,
  ] as const;
  const conversationIds = start?.conversationIds ?? [...(await source.conversationIds())];
  const builder = new PartsBuilder();
  let yielded = 0;
  let { pass, index, before } = start ?? { pass: 0 as 0 | 1, index: 0, before: undefined };
  for (; pass <= 1; pass = 1, index = 0, before = undefined) {
    for (; index < conversationIds.length; index++, before = undefined) {
      const conversationId = conversationIds[index] as string;
      let bound = before;
      if (pass === 1 && bound === undefined) {
        // The rest starts where the first pass stopped: below the conversation's newest messages.
        const newest = await source.page(conversationId, undefined, firstScreen);
        if (!newest.more || newest.messages.length === 0) continue;
        bound = (newest.messages[0] as KeptMessage).seq;
      }
      let remaining = pass === 0 ? firstScreen : Number.POSITIVE_INFINITY;
      // The newest part speaks for every seq the device read, up to the last one.
      let newestTo = bound === undefined ? await source.readUpTo?.(conversationId) : undefined;
      let more = true;
      while (more && remaining > 0) {
        const page = await source.page(conversationId, bound, Math.min(PAGE_SIZE_IN_MESSAGES, remaining));
        if (page.messages.length === 0) break;
        for (let i = page.messages.length - 1; i >= 0; i--) {
          const message = page.messages[i] as KeptMessage;
          builder.add(
            conversationId,
            message,
            bound === undefined ? Math.max(message.seq, newestTo ?? message.seq) : bound - 1,
          );
          newestTo = undefined;
          bound = message.seq;
          if (builder.size >= (yielded === 0 ? targets[0] : targets[1])) {
            yielded += 1;
            yield { parts: builder.take(), next: { conversationIds, pass, index, before: bound } };
          }
        }
        remaining -= page.messages.length;
        more = page.more;
      }
    }
    // The first screen of every conversation goes as soon as it is complete.
    if (pass === 0 && builder.size > 0) {
      yielded += 1;
      yield { parts: builder.take(), next: { conversationIds, pass: 1, index: 0 } };
    }
    if (pass === 1) break;
  }
  if (builder.size > 0)
    yield { parts: builder.take(), next: { conversationIds, pass: 1, index: conversationIds.length } };
}

/**
 * How many messages an archive of `source` carries now: read page by page, as the archive reads it.
 *
 * @example
 * const total = await countKept(source); // for the progress bar
 */
export async function countKept(source: HistorySource): Promise<number> {
  let total = 0;
  for (const conversationId of await source.conversationIds()) {
    let before: number | undefined;
    for (let more = true; more; ) {
      const page = await source.page(conversationId, before, 1000);
      total += page.messages.length;
      more = page.more && page.messages.length > 0;
      before = page.messages[0]?.seq;
    }
  }
  return total;
}

async function through(
  bytes: Uint8Array,
  transform: CompressionStream | DecompressionStream,
): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * A value as deflated JSON: the archive's chunks, and the backup's index.
 *
 * @example
 * const bytes = await deflateJson({ format: 1, parts });
 */
export function deflateJson(value: unknown): Promise<Uint8Array> {
  return through(new TextEncoder().encode(JSON.stringify(value)), new CompressionStream('deflate-raw'));
}

/** The value of {@link deflateJson}'s bytes; throws (a `TypeError` or `SyntaxError`) for anything else. */
export async function inflateJson(bytes: Uint8Array): Promise<unknown> {
  return JSON.parse(new TextDecoder().decode(await through(bytes, new DecompressionStream('deflate-raw'))));
}

/**
 * A chunk's plaintext: its parts as JSON, deflated (text compresses about fourfold, and the bytes a transfer
 * moves are what it costs).
 *
 * @example
 * const plaintext = await encodeArchiveChunk(chunk.parts);
 */
export function encodeArchiveChunk(parts: readonly ArchivePart[]): Promise<Uint8Array> {
  return deflateJson({ format: ARCHIVE_FORMAT, parts });
}

/**
 * The parts of a chunk's plaintext, each checked; throws {@link ArchiveFormatError} for anything else.
 *
 * @example
 * for (const part of await decodeArchiveChunk(plaintext)) await history.restore(part);
 */
export async function decodeArchiveChunk(plaintext: Uint8Array): Promise<ArchivePart[]> {
  let value: unknown;
  try {
    value = await inflateJson(plaintext);
  } catch (error) {
    throw new ArchiveFormatError('The history chunk is not deflated JSON', { cause: error });
  }
  const parsed = ChunkSchema.safeParse(value);
  if (!parsed.success)
    throw new ArchiveFormatError('The history chunk is not one this app reads', { cause: parsed.error });
  return parsed.data.parts;
}
