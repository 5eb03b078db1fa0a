import * as z from '../../zod';
import { encryptAttachment } from '../attachment-cipher';
import { fromBase64, toBase64 } from '../base64';
import type { Device } from '../device';
import type { Directory } from '../directory';
import type { StateStore } from '../state-store';
import {
  type ArchiveChunk,
  type ArchiveCursor,
  type ArchiveOptions,
  archiveChunks,
  countKept,
  encodeArchiveChunk,
  type HistorySource,
} from './archive';
import type { HistoryTransferApi, ObjectTransport, TransferView } from './transfer-api';
import {
  createTransferApproval,
  createTransferOffer,
  readTransferRequest,
  sealChunkDescriptor,
  type TransferParties,
  TransferVerificationError,
  transferCode,
  transferDeviceKeys,
} from './transfer-crypto';

/** Where the sender keeps what it needs to go on after a reload: its nonce, archive key and cursors. */
const SENDER_RECORD_KEY = (transferId: string) => `history-transfer/send/${transferId}`;

const CursorSchema = z.object({
  conversationIds: z.array(z.string()),
  pass: z.union([z.literal(0), z.literal(1)]),
  index: z.number().check(z.int(), z.nonnegative()),
  before: z.optional(z.number().check(z.int())),
});

const SenderRecordSchema = z.object({
  nonce: z.string(),
  transferKey: z.string(),
  archiveKey: z.optional(z.string()),
  /** Chunk index → where the archive goes on from it: the last two, enough to resume either way. */
  cursors: z.record(z.string(), CursorSchema),
});
type SenderRecord = Omit<z.infer<typeof SenderRecordSchema>, 'cursors'> & {
  cursors: Record<string, ArchiveCursor>;
};

/** Progress of a transfer as either device shows it. */
export interface TransferProgress {
  readonly chunks: number;
  readonly bytes: number;
  /** Messages carried so far (this run, on the sending device; all, on the receiving one). */
  readonly messages: number;
  /** About how many the whole archive carries, when known. */
  readonly total?: number;
  readonly done: boolean;
}

export interface HistorySenderDeps {
  readonly api: HistoryTransferApi;
  readonly transport: ObjectTransport;
  /** This device: the old one, which holds the history. */
  readonly device: Device;
  readonly directory: Directory;
  readonly source: HistorySource;
  /** This device's encrypted store, for what a reload must find. */
  readonly store: StateStore;
  /** How the archive is cut into chunks. @default the archive's own sizes */
  readonly archive?: ArchiveOptions;
}

function partiesOf(userId: string, transfer: TransferView): TransferParties {
  return {
    userId,
    transferId: transfer.transferId,
    fromDeviceId: transfer.fromDeviceId,
    toDeviceId: transfer.toDeviceId,
  };
}

/**
 * The old device's side of a transfer: it checks the new device's request, offers (and shows the code),
 * and once the person approves, sends the history in chunks, resuming after a reload or a lost connection
 * from the last chunk the server took.
 *
 * @example
 * const sender = new HistorySender(deps);
 * const { code } = await sender.offer(transfer); // show it, with the new device's name
 * await sender.approve(transferId);
 * await sender.send(transferId, { onProgress });
 */
export class HistorySender {
  constructor(private readonly deps: HistorySenderDeps) {}

  private async record(transferId: string): Promise<SenderRecord | undefined> {
    const stored = await this.deps.store.get(SENDER_RECORD_KEY(transferId));
    if (stored === undefined) return undefined;
    return SenderRecordSchema.parse(JSON.parse(new TextDecoder().decode(stored)));
  }

  private save(transferId: string, record: SenderRecord): Promise<void> {
    return this.deps.store.put(
      SENDER_RECORD_KEY(transferId),
      new TextEncoder().encode(JSON.stringify(record)),
    );
  }

  /** Both devices' directory keys, refusing a device that is not listed for this user or is revoked. */
  private keysOf(transfer: TransferView): Promise<{ fromKey: Uint8Array; toKey: Uint8Array }> {
    return transferDeviceKeys(this.deps.directory, this.deps.device.userId, transfer);
  }

  /**
   * Checks a request for this device (signed by a device of this user the directory lists, not revoked)
   * and offers; resolves to the code to show. Offering again (after a reload) shows the same code.
   */
  async offer(transfer: TransferView): Promise<{ code: string; transfer: TransferView }> {
    const { device } = this.deps;
    if (transfer.fromDeviceId !== device.deviceId)
      throw new TransferVerificationError('The transfer is not asked of this device');
    const parties = partiesOf(device.userId, transfer);
    const keys = await this.keysOf(transfer);
    const transferKey = await readTransferRequest(transfer.request, parties, keys.toKey);
    let record = await this.record(transfer.transferId);
    let current = transfer;
    if (record === undefined || transfer.state === 'requested') {
      const { offer, nonce } = await createTransferOffer(device, parties, transfer.request);
      record = { nonce: toBase64(nonce), transferKey: toBase64(transferKey), cursors: {} };
      await this.save(transfer.transferId, record);
      current = await this.deps.api.offer(transfer.transferId, offer);
    }
    const code = transferCode(parties, {
      ...keys,
      request: transfer.request,
      nonce: fromBase64(record.nonce),
    });
    return { code, transfer: current };
  }

  /** The person saw the same code on both screens: seals the archive key to the new device. */
  async approve(transferId: string): Promise<TransferView> {
    const { device } = this.deps;
    const record = await this.record(transferId);
    if (record === undefined)
      throw new TransferVerificationError('This device made no offer for this transfer');
    const transfer = await this.deps.api.get(transferId);
    await this.keysOf(transfer);
    const { approval, archiveKey } = await createTransferApproval(
      device,
      partiesOf(device.userId, transfer),
      fromBase64(record.transferKey),
      fromBase64(record.nonce),
    );
    await this.save(transferId, { ...record, archiveKey: toBase64(archiveKey) });
    return this.deps.api.approve(transferId, approval);
  }

  /**
   * Sends the history from the first chunk the server does not have, each chunk uploaded then announced;
   * resolves when the last is announced, or when the transfer is no longer approved (cancelled).
   */
  async send(
    transferId: string,
    options: { onProgress?: (progress: TransferProgress) => void; signal?: AbortSignal } = {},
  ): Promise<TransferView> {
    const { api } = this.deps;
    const record = await this.record(transferId);
    if (record?.archiveKey === undefined)
      throw new TransferVerificationError('This device did not approve this transfer');
    const archiveKey = fromBase64(record.archiveKey);
    let transfer = await api.get(transferId);
    if (transfer.state !== 'approved') return transfer;
    await this.keysOf(transfer);
    let index = transfer.chunks;
    const start = index === 0 ? undefined : record.cursors[String(index)];
    if (index > 0 && start === undefined)
      throw new TransferVerificationError(`This device lost its place after chunk ${index}`);
    // Counted beside the first chunks, not before them: the first screen does not wait for the progress bar.
    let total: number | undefined;
    void countKept(this.deps.source).then(
      (count) => {
        total = count;
      },
      () => undefined,
    );
    let messages = 0;
    let bytes = transfer.bytes;
    let held: ArchiveChunk | undefined;
    const sendOne = async (chunk: ArchiveChunk, final: boolean) => {
      options.signal?.throwIfAborted();
      const plaintext = await encodeArchiveChunk(chunk.parts);
      const sealed = await encryptAttachment(new Blob([plaintext as Uint8Array<ArrayBuffer>]));
      const descriptor = await sealChunkDescriptor(archiveKey, transferId, index, {
        key: sealed.key,
        sha256: sealed.sha256,
        size: sealed.size,
        plainSize: sealed.plainSize,
        chunkSize: sealed.chunkSize,
        final,
        ...(total === undefined ? {} : { total }),
      });
      const form = await api.uploadForm(transferId, index, sealed.size);
      await this.deps.transport.upload(form, sealed.ciphertext, options.signal);
      // Where the next chunk starts is kept before this one is announced: a reload after the announcement
      // finds it, one before finds the previous.
      const cursors: Record<string, ArchiveCursor> = { [String(index + 1)]: chunk.next };
      const current = record.cursors[String(index)];
      if (current) cursors[String(index)] = current;
      record.cursors = cursors;
      await this.save(transferId, record);
      transfer = await api.announce(transferId, index, { size: sealed.size, descriptor, final });
      index += 1;
      messages += chunk.parts.reduce((total, part) => total + part.messages.length, 0);
      bytes += sealed.size;
      options.onProgress?.({
        chunks: index,
        bytes,
        messages,
        ...(total === undefined ? {} : { total }),
        done: final,
      });
    };
    for await (const chunk of archiveChunks(this.deps.source, start, this.deps.archive)) {
      if (held) await sendOne(held, false);
      held = chunk;
    }
    // An empty history is one empty chunk, so the new device still hears that it is complete.
    await sendOne(held ?? { parts: [], next: start ?? { conversationIds: [], pass: 1, index: 0 } }, true);
    return transfer;
  }

  /** Forgets what this device kept for a transfer that ended. */
  forget(transferId: string): Promise<void> {
    return this.deps.store.delete(SENDER_RECORD_KEY(transferId));
  }
}
