/**
 * The head of a user's encrypted backup: which of their chunks make it. Everything in it is opaque to the
 * server but the ids and sizes.
 */
export interface BackupHead {
  /** 1 at the first write, one more at every write. */
  readonly version: number;
  /** Base64, opaque: KDF parameters, salt, the wrapped data key. */
  readonly header: string;
  readonly indexChunkId: string;
  readonly chunkIds: readonly string[];
  /** The listed chunks' total size in bytes. */
  readonly bytes: number;
  /** Epoch ms of the write. */
  readonly updatedAt: number;
}

/** One chunk a user reserved: an opaque object of a known size. */
export interface BackupChunk {
  readonly chunkId: string;
  /** The object's size in bytes, as its upload slot pinned it. */
  readonly size: number;
  /** Epoch ms: when its upload slot was issued. */
  readonly createdAt: number;
  /** True until a backup first lists it: it counts against the user's pending chunks. */
  readonly pending: boolean;
  /** Epoch ms: when the sweep looks at it (pending, or dropped from the backup); absent once settled. */
  readonly dueAt?: number;
}

/** A chunk the sweep should look at: one no backup listed a day after its slot, or one a backup dropped. */
export interface DueBackupChunk {
  readonly userId: string;
  readonly chunkId: string;
  /** Epoch ms. */
  readonly dueAt: number;
}

/** What a user may hold: the bytes of all their chunks, and how many are pending. */
export interface BackupLimits {
  readonly maxBytes: number;
  readonly maxPendingChunks: number;
}

/** Which limit a reservation would pass. */
export type BackupLimit = 'bytes' | 'pendingChunks';

/**
 * Users' encrypted backups: a head per user and a record per chunk, and the work of deleting the chunks no
 * backup keeps. A chunk is pending from its slot until a backup lists it; a pending chunk no backup lists a
 * day on, and a chunk a backup stops listing, are due for deletion. Each user's usage (bytes of all their
 * chunks, pending chunks) is counted as chunks come and go.
 */
export interface BackupStore {
  /** The user's backup head, or undefined when they have none (read strongly consistent). */
  getHead(userId: string): Promise<BackupHead | undefined>;
  /**
   * Writes the head if the stored one is at `expectedVersion` (0: none is stored); false when another
   * write came first.
   */
  putHead(userId: string, head: BackupHead, expectedVersion: number): Promise<boolean>;
  /** Deletes the head, if any. */
  deleteHead(userId: string): Promise<void>;
  /**
   * Counts a new pending chunk against the user's usage and records it, due at `dueAt` unless listed.
   * Returns the limit it would pass instead, recording nothing.
   */
  reserve(
    userId: string,
    chunk: BackupChunk & { dueAt: number },
    limits: BackupLimits,
  ): Promise<BackupLimit | undefined>;
  /** These chunks of the user, in the order asked (unknown or taken ones left out); strongly consistent. */
  getChunks(userId: string, chunkIds: readonly string[]): Promise<BackupChunk[]>;
  /** Every chunk of the user, taken ones left out. */
  listChunks(userId: string): Promise<BackupChunk[]>;
  /**
   * Moves these chunks' due time to `dueAt` (a head is about to list or drop them), unless the sweep has
   * taken them; returns the ids it could not hold (taken, or gone).
   */
  hold(userId: string, chunkIds: readonly string[], dueAt: number): Promise<string[]>;
  /** These chunks are listed by the stored head: no longer pending nor due. */
  settle(userId: string, chunkIds: readonly string[]): Promise<void>;
  /** Chunks due for deletion at `now`, oldest first, at most `limit`. */
  due(now: number, limit: number): Promise<DueBackupChunk[]>;
  /**
   * Takes a due chunk for deletion: true when it may go (still due at `now`), after which it cannot be
   * held; false when it was held or settled meanwhile, or is gone (its due entry is then dropped).
   */
  takeForDeletion(chunk: DueBackupChunk, now: number): Promise<boolean>;
  /**
   * Forgets chunks whose objects are gone: their records (giving back their bytes, and their pending
   * place) and these due entries. Repeatable: a record already gone counts nothing.
   */
  forget(userId: string, chunkIds: readonly string[], dueEntries?: readonly DueBackupChunk[]): Promise<void>;
  /** Drops due entries whose chunk needs no deleting (settled, or due later under another entry). */
  dropDue(entries: readonly DueBackupChunk[]): Promise<void>;
  /** The user's usage: bytes of all their chunks, and pending chunks. */
  usage(userId: string): Promise<{ readonly bytes: number; readonly pendingChunks: number }>;
}
