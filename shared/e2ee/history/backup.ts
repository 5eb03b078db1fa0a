/**
 * The encrypted history backup: the same archive a transfer sends (see `archive.ts`), kept in Parley's
 * storage under a data key only the user's recovery key opens (see `recovery-key.ts`). The server keeps
 * opaque chunks and a head naming them; it never sees a key or a byte of history.
 *
 * - Each chunk is sealed with the attachment cipher under a key of its own; the index, a chunk of its own,
 *   holds every chunk's key and digest, and what the backup covers (the highest seq of each conversation),
 *   sealed under the data key with AES-256-GCM.
 * - A backup grows by appending: a run seals what came since the last (new messages, and messages edited,
 *   reacted to or deleted since), uploads those chunks and a new index, and writes the head listing old and
 *   new. Only when the chunks pile up does a run write the whole history again (the server deletes the
 *   chunks the head no longer lists).
 * - A restore reads the index and the chunks newest first, so the newest copy of a message is the one kept.
 */
import type { ApiClient } from '../../client/api-client';
import * as z from '../../zod';
import { decryptAttachment, encryptAttachment } from '../attachment-cipher';
import {
  type ArchivePart,
  archiveChunks,
  decodeArchiveChunk,
  deflateJson,
  encodeArchiveChunk,
  type HistorySource,
  inflateJson,
} from './archive';
import type { KeptMessage } from './kept-message';
import type { ObjectTransport, UploadForm } from './transfer-api';
import type { HistorySink } from './transfer-receiver';

/** A backup as the server keeps it. */
export interface BackupView {
  readonly version: number;
  readonly header: string;
  readonly indexChunkId: string;
  readonly chunkIds: readonly string[];
  readonly bytes: number;
  readonly updatedAt: string;
}

/** The server's side of the backup (the HTTP routes `/me/backup…`). */
export interface BackupApi {
  /** The backup, or undefined when the user has none. */
  get(): Promise<BackupView | undefined>;
  uploadForm(size: number): Promise<UploadForm & { readonly chunkId: string }>;
  chunkLink(chunkId: string): Promise<{ readonly url: string; readonly size: number }>;
  put(body: {
    header: string;
    indexChunkId: string;
    chunkIds: string[];
    expectedVersion: number;
  }): Promise<BackupView>;
  delete(): Promise<void>;
}

/**
 * The backup routes of Parley's HTTP API as {@link BackupApi}.
 *
 * @example
 * const backups = backupApiOf(api);
 */
export function backupApiOf(
  api: Pick<
    ApiClient,
    'getBackup' | 'createBackupChunkUpload' | 'getBackupChunk' | 'putBackup' | 'deleteBackup'
  >,
): BackupApi {
  return {
    get: async () => (await api.getBackup()).backup ?? undefined,
    uploadForm: (size) => api.createBackupChunkUpload({ body: { size } }),
    chunkLink: (chunkId) => api.getBackupChunk({ params: { chunkId } }),
    put: (body) => api.putBackup({ body }),
    delete: async () => {
      await api.deleteBackup();
    },
  };
}

const INDEX_FORMAT = 1;
/** A run appends until the backup holds this many data chunks, then writes it whole again. */
export const COMPACT_AFTER_CHUNKS = 400;

const SecretsSchema = z.object({
  key: z.string(),
  sha256: z.string(),
  size: z.number().check(z.int(), z.nonnegative()),
  plainSize: z.number().check(z.int(), z.nonnegative()),
  chunkSize: z.number().check(z.int(), z.positive()),
});

const IndexSchema = z.object({
  format: z.literal(INDEX_FORMAT),
  /** Oldest first: a restore reads them from the end. */
  chunks: z.array(z.object({ chunkId: z.string(), secrets: SecretsSchema, messages: z.number() })),
  /** Conversation → the highest seq the backup holds. */
  marks: z.record(z.string(), z.number()),
});
type BackupIndex = z.infer<typeof IndexSchema>;

/** The backup's index does not open under the data key, or does not read as one. */
export class BackupIndexError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackupIndexError';
  }
}

async function indexKey(dataKey: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', dataKey as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [usage]);
}

const INDEX_DATA = new TextEncoder().encode('Parley backup index 1');

async function sealIndex(dataKey: Uint8Array, index: BackupIndex): Promise<Blob> {
  const plaintext = await deflateJson(index);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: INDEX_DATA },
    await indexKey(dataKey, 'encrypt'),
    plaintext as Uint8Array<ArrayBuffer>,
  );
  return new Blob([iv, new Uint8Array(sealed)]);
}

async function openIndex(dataKey: Uint8Array, sealed: Uint8Array): Promise<BackupIndex> {
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: sealed.slice(0, 12), additionalData: INDEX_DATA },
      await indexKey(dataKey, 'decrypt'),
      sealed.slice(12),
    );
  } catch (error) {
    throw new BackupIndexError('The backup index does not open under this key', { cause: error });
  }
  let value: unknown;
  try {
    value = await inflateJson(new Uint8Array(plaintext));
  } catch (error) {
    throw new BackupIndexError('The backup index is not deflated JSON', { cause: error });
  }
  const parsed = IndexSchema.safeParse(value);
  if (!parsed.success)
    throw new BackupIndexError('The backup index is not one this app reads', { cause: parsed.error });
  return parsed.data;
}

async function readAll(transport: ObjectTransport, url: string): Promise<Uint8Array> {
  const body = await transport.download(url);
  return new Uint8Array(await new Response(body).arrayBuffer());
}

/** What a backup run or restore did. */
export interface BackupReport {
  readonly chunks: number;
  readonly messages: number;
  readonly bytes: number;
  /** Whether the whole history was written again (the first run, or a compaction). */
  readonly whole: boolean;
  /** The backup as the server keeps it afterwards (a write's, not a restore's). */
  readonly backup?: BackupView;
}

export interface HistoryBackupDeps {
  readonly api: BackupApi;
  readonly transport: ObjectTransport;
}

/** Where a backup run reads history: a source, and the messages that changed since the last run. */
export interface BackupSource extends HistorySource {
  /** The kept messages with these seqs (edited, reacted to or deleted since the last run). */
  find(conversationId: string, seqs: readonly number[]): Promise<readonly KeptMessage[]>;
}

/**
 * Writes and reads one user's encrypted backup.
 *
 * @example
 * const backup = new HistoryBackup({ api: backupApiOf(api), transport: fetchTransport() });
 * const { header, dataKey } = await createBackupHeader(generateRecoveryKey());
 * await backup.write(dataKey, header, source, new Map());
 * // on a new device:
 * await backup.restore(await openBackupHeader(header, typedKey), sink);
 */
export class HistoryBackup {
  constructor(private readonly deps: HistoryBackupDeps) {}

  private async index(dataKey: Uint8Array, backup: BackupView): Promise<BackupIndex> {
    const link = await this.deps.api.chunkLink(backup.indexChunkId);
    return openIndex(dataKey, await readAll(this.deps.transport, link.url));
  }

  private async upload(body: Blob): Promise<string> {
    const form = await this.deps.api.uploadForm(body.size);
    await this.deps.transport.upload(form, body);
    return form.chunkId;
  }

  private async sealChunk(parts: readonly ArchivePart[]) {
    const sealed = await encryptAttachment(
      new Blob([(await encodeArchiveChunk(parts)) as Uint8Array<ArrayBuffer>]),
    );
    const chunkId = await this.upload(sealed.ciphertext);
    const { key, sha256, size, plainSize, chunkSize } = sealed;
    const messages = parts.reduce((total, part) => total + part.messages.length, 0);
    return { chunkId, secrets: { key, sha256, size, plainSize, chunkSize }, messages };
  }

  /**
   * Backs up what changed since the last run: messages past each conversation's mark, and `changed`
   * (conversation → seqs edited, reacted to or deleted since). With no backup yet, or one this key does not
   * open, or too many chunks, the whole history. Writes the head with `header` over the version it read
   * (a conflict means another device wrote meanwhile: run again).
   */
  async write(
    dataKey: Uint8Array,
    header: string,
    source: BackupSource,
    changed: ReadonlyMap<string, ReadonlySet<number>>,
    read: { readonly current?: BackupView | undefined } = {},
  ): Promise<BackupReport> {
    const current = 'current' in read ? read.current : await this.deps.api.get();
    let index: BackupIndex | undefined;
    // An index this key does not open (or an unreadable one) is written anew; a failed download is an error.
    if (current)
      index = await this.index(dataKey, current).catch((error: unknown) => {
        if (error instanceof BackupIndexError) return undefined;
        throw error;
      });
    const whole = index === undefined || index.chunks.length >= COMPACT_AFTER_CHUNKS;
    const base: BackupIndex =
      whole || index === undefined ? { format: INDEX_FORMAT, chunks: [], marks: {} } : index;
    const added: BackupIndex['chunks'] = [];
    const marks = { ...base.marks };
    const since = whole ? source : sinceMarks(source, base.marks, changed);
    for await (const chunk of archiveChunks(since)) {
      added.push(await this.sealChunk(chunk.parts));
      for (const part of chunk.parts)
        marks[part.conversationId] = Math.max(marks[part.conversationId] ?? 0, part.to);
    }
    if (current && !whole && added.length === 0) {
      // Nothing came since the last run: the backup stays as it is.
      return { chunks: 0, messages: 0, bytes: current.bytes, whole: false, backup: current };
    }
    const next: BackupIndex = { format: INDEX_FORMAT, chunks: [...base.chunks, ...added], marks };
    const indexChunkId = await this.upload(await sealIndex(dataKey, next));
    const written = await this.deps.api.put({
      header,
      indexChunkId,
      chunkIds: [...next.chunks.map((c) => c.chunkId), indexChunkId],
      expectedVersion: current?.version ?? 0,
    });
    return {
      chunks: added.length,
      messages: added.reduce((total, c) => total + c.messages, 0),
      bytes: written.bytes,
      whole,
      backup: written,
    };
  }

  /**
   * Restores the backup into `sink`, newest chunk first; `onProgress` after each with the messages so far
   * and the backup's total.
   */
  async restore(
    dataKey: Uint8Array,
    sink: HistorySink,
    onProgress?: (messages: number, total: number) => void,
  ): Promise<BackupReport> {
    const backup = await this.deps.api.get();
    if (!backup) return { chunks: 0, messages: 0, bytes: 0, whole: true };
    const index = await this.index(dataKey, backup);
    const total = index.chunks.reduce((sum, c) => sum + c.messages, 0);
    let messages = 0;
    for (const chunk of [...index.chunks].reverse()) {
      const link = await this.deps.api.chunkLink(chunk.chunkId);
      const plaintext = await decryptAttachment(await this.deps.transport.download(link.url), chunk.secrets);
      const parts = await decodeArchiveChunk(new Uint8Array(await plaintext.arrayBuffer()));
      await sink.restore(parts);
      messages += chunk.messages;
      onProgress?.(messages, total);
    }
    return { chunks: index.chunks.length, messages, bytes: backup.bytes, whole: true };
  }

  /** Deletes the backup from the server. */
  delete(): Promise<void> {
    return this.deps.api.delete();
  }
}

/**
 * The part of a source a run appends: in each conversation the messages past its mark, and the changed
 * ones below it, read once per conversation (what came since the last run: a small part of the history).
 */
function sinceMarks(
  source: BackupSource,
  marks: Readonly<Record<string, number>>,
  changed: ReadonlyMap<string, ReadonlySet<number>>,
): HistorySource {
  const lists = new Map<string, Promise<KeptMessage[]>>();
  const read = async (conversationId: string): Promise<KeptMessage[]> => {
    const mark = marks[conversationId] ?? 0;
    const fresh: KeptMessage[] = [];
    for (let before: number | undefined, more = true; more; ) {
      const page = await source.page(conversationId, before, 500);
      fresh.unshift(...page.messages.filter((m) => m.seq > mark));
      const first = page.messages[0];
      more = page.more && first !== undefined && first.seq > mark;
      before = first?.seq;
    }
    const seqs = [...(changed.get(conversationId) ?? [])].filter((seq) => seq <= mark);
    const found = seqs.length === 0 ? [] : await source.find(conversationId, seqs);
    return [...found, ...fresh].sort((a, b) => a.seq - b.seq);
  };
  const listOf = (conversationId: string) => {
    let list = lists.get(conversationId);
    if (list === undefined) {
      list = read(conversationId);
      lists.set(conversationId, list);
    }
    return list;
  };
  return {
    conversationIds: () => source.conversationIds(),
    page: async (conversationId, before, limit) => {
      const below = (await listOf(conversationId)).filter((m) => before === undefined || m.seq < before);
      return { messages: below.slice(Math.max(0, below.length - limit)), more: below.length > limit };
    },
  };
}
