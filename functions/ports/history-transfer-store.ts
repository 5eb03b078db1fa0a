import {
  type HistoryTransferState,
  isOpenHistoryTransferState,
} from '../../shared/protocol/history-transfer';

/** One history transfer between two devices of its user; the opaque fields are the devices' own bytes. */
export interface HistoryTransferRecord {
  readonly userId: string;
  readonly transferId: string;
  readonly fromDeviceId: string;
  readonly toDeviceId: string;
  readonly state: HistoryTransferState;
  readonly request: string;
  readonly offer?: string;
  readonly approval?: string;
  /** Chunks announced so far. */
  readonly chunks: number;
  /** Their total size in bytes. */
  readonly bytes: number;
  /** Chunks the new device confirmed. */
  readonly received: number;
  /** The last chunk announced, so a retried announcement of it is known for what it is. */
  readonly lastChunk?: HistoryChunkRecord;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly updatedAt: number;
  /** Epoch ms: after this the transfer is gone, whatever its state. */
  readonly expiresAt: number;
}

/** One announced chunk: its place, its object's size and the devices' descriptor of it (sealed key, digest). */
export interface HistoryChunkRecord {
  readonly index: number;
  readonly size: number;
  readonly descriptor: string;
}

/**
 * Users' history transfers, each changed only by conditional writes: a change made from a state the
 * transfer has left, or for a chunk that is not the next one, answers `undefined` and changes nothing, so
 * two racing requests never both count. Records are returned whatever their `expiresAt`: the use cases
 * judge expiry (the table's TTL removes them later), but no change is made to an expired transfer.
 */
export interface HistoryTransferStore {
  /**
   * Stores a new transfer in state `requested` unless its user already has `maxOpen` open ones (not done,
   * cancelled or expired at `now`): `false` then, and nothing is stored.
   */
  open(transfer: HistoryTransferRecord, maxOpen: number, now: number): Promise<boolean>;
  /** The transfer (strongly consistent), or `undefined` when the user has none of this id. */
  get(userId: string, transferId: string): Promise<HistoryTransferRecord | undefined>;
  /** The user's transfers unexpired at `now`, as `listedTransfers` picks them. */
  list(userId: string, now: number, limit: number): Promise<HistoryTransferRecord[]>;
  /** The user's open transfers at `now`, in no particular order. */
  listOpen(userId: string, now: number): Promise<HistoryTransferRecord[]>;
  /** `requested` → `offered` with the old device's offer. */
  offer(
    userId: string,
    transferId: string,
    offer: string,
    now: number,
  ): Promise<HistoryTransferRecord | undefined>;
  /** `offered` → `approved` with the old device's approval. */
  approve(
    userId: string,
    transferId: string,
    approval: string,
    now: number,
  ): Promise<HistoryTransferRecord | undefined>;
  /**
   * Counts the next chunk of an `approved` transfer (`chunk.index` must equal `chunks`), its size added to
   * `bytes`; `final` makes the transfer `sent`. The chunk is then kept for `chunk` to find.
   */
  addChunk(
    userId: string,
    transferId: string,
    chunk: HistoryChunkRecord & { readonly final: boolean },
    now: number,
  ): Promise<HistoryTransferRecord | undefined>;
  /**
   * Keeps a counted chunk for `chunk` to find: `addChunk` does it after counting, and a retried
   * announcement does it again, in case the first request ended between the two writes.
   */
  keepChunk(userId: string, transferId: string, chunk: HistoryChunkRecord, expiresAt: number): Promise<void>;
  /** A chunk kept by `addChunk` or `keepChunk`. */
  chunk(userId: string, transferId: string, index: number): Promise<HistoryChunkRecord | undefined>;
  /**
   * Raises `received` to `received` while the transfer is `approved` or `sent` and `received` is at most
   * `chunks`; a smaller value than the stored one, or a transfer in another state, changes nothing. Then a
   * `sent` transfer whose every chunk is received becomes `done`. The transfer as it is after, or
   * `undefined` when the user has none of this id.
   */
  confirm(
    userId: string,
    transferId: string,
    received: number,
    now: number,
  ): Promise<HistoryTransferRecord | undefined>;
  /** An open transfer → `cancelled`; `undefined` when it is not open. */
  cancel(userId: string, transferId: string, now: number): Promise<HistoryTransferRecord | undefined>;
}

/**
 * The transfers a list shows, newest first: every open one, then the newest finished ones while fewer
 * than `limit` are chosen.
 */
export function listedTransfers(
  records: readonly HistoryTransferRecord[],
  limit: number,
): HistoryTransferRecord[] {
  const byAge = [...records].sort(
    (a, b) => b.createdAt - a.createdAt || (a.transferId < b.transferId ? 1 : -1),
  );
  const open = byAge.filter((record) => isOpenHistoryTransferState(record.state));
  const finished = byAge.filter((record) => !isOpenHistoryTransferState(record.state));
  const chosen = new Set([...open, ...finished].slice(0, Math.max(limit, open.length)));
  return byAge.filter((record) => chosen.has(record));
}
