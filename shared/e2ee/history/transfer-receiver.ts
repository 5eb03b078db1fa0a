import * as z from '../../zod';
import { decryptAttachment } from '../attachment-cipher';
import { fromBase64, toBase64 } from '../base64';
import type { Device } from '../device';
import type { Directory } from '../directory';
import type { StateStore } from '../state-store';
import { type ArchivePart, decodeArchiveChunk } from './archive';
import type { HistoryTransferApi, ObjectTransport, TransferView } from './transfer-api';
import {
  createTransferRequest,
  openChunkDescriptor,
  openTransferApproval,
  readTransferOffer,
  type TransferParties,
  TransferVerificationError,
  transferCode,
  transferDeviceKeys,
} from './transfer-crypto';
import type { TransferProgress } from './transfer-sender';

/** Where the new device keeps its transfer key, and the archive key once it has it. */
const RECEIVER_RECORD_KEY = (transferId: string) => `history-transfer/receive/${transferId}`;

const ReceiverRecordSchema = z.object({
  /** The device this one asked: no other may answer. */
  fromDeviceId: z.string(),
  publicKey: z.string(),
  privateKey: z.string(),
  archiveKey: z.optional(z.string()),
  /** Messages restored so far, for the progress shown. */
  messages: z.number().check(z.int(), z.nonnegative()),
});
type ReceiverRecord = z.infer<typeof ReceiverRecordSchema>;

/** Where restored history goes: the new device's own store. */
export interface HistorySink {
  /** Keeps one chunk's parts, before the chunk is confirmed to the server. */
  restore(parts: readonly ArchivePart[]): Promise<void>;
}

export interface HistoryReceiverDeps {
  readonly api: HistoryTransferApi;
  readonly transport: ObjectTransport;
  /** This device: the new one. */
  readonly device: Device;
  readonly directory: Directory;
  readonly sink: HistorySink;
  readonly store: StateStore;
}

/**
 * The new device's side of a transfer: it asks, shows the code once the old device offers, and restores
 * each chunk as it comes, confirming it to the server; after a reload it goes on from the first chunk it
 * had not confirmed.
 *
 * @example
 * const receiver = new HistoryReceiver(deps);
 * const transfer = await receiver.request(oldDeviceId);
 * // on each `history-transfer` push for it:
 * const code = await receiver.code(transfer); // once offered
 * await receiver.receive(transfer.transferId, { onProgress });
 */
export class HistoryReceiver {
  constructor(private readonly deps: HistoryReceiverDeps) {}

  private async record(transferId: string): Promise<ReceiverRecord> {
    const stored = await this.deps.store.get(RECEIVER_RECORD_KEY(transferId));
    if (stored === undefined)
      throw new TransferVerificationError('This device did not ask for this transfer');
    return ReceiverRecordSchema.parse(JSON.parse(new TextDecoder().decode(stored)));
  }

  private save(transferId: string, record: ReceiverRecord): Promise<void> {
    return this.deps.store.put(
      RECEIVER_RECORD_KEY(transferId),
      new TextEncoder().encode(JSON.stringify(record)),
    );
  }

  /** Whether this device asked for the transfer (and still has its key). */
  async asked(transferId: string): Promise<boolean> {
    return (await this.deps.store.get(RECEIVER_RECORD_KEY(transferId))) !== undefined;
  }

  /** Asks `fromDeviceId` for its history. */
  async request(fromDeviceId: string): Promise<TransferView> {
    const { device } = this.deps;
    const { request, secret } = await createTransferRequest(device, fromDeviceId);
    const transfer = await this.deps.api.request({ fromDeviceId, toDeviceId: device.deviceId, request });
    await this.save(transfer.transferId, {
      fromDeviceId,
      publicKey: toBase64(secret.publicKey),
      privateKey: toBase64(secret.privateKey),
      messages: 0,
    });
    return transfer;
  }

  private parties(transfer: TransferView, record: ReceiverRecord): TransferParties {
    const { device } = this.deps;
    if (transfer.toDeviceId !== device.deviceId)
      throw new TransferVerificationError('The transfer is not for this device');
    // The server names the old device; only the one this device asked may offer, approve and send.
    if (transfer.fromDeviceId !== record.fromDeviceId)
      throw new TransferVerificationError('The transfer names another device than the one asked');
    return {
      userId: device.userId,
      transferId: transfer.transferId,
      fromDeviceId: transfer.fromDeviceId,
      toDeviceId: transfer.toDeviceId,
    };
  }

  private keysOf(transfer: TransferView): Promise<{ fromKey: Uint8Array; toKey: Uint8Array }> {
    return transferDeviceKeys(this.deps.directory, this.deps.device.userId, transfer);
  }

  /** The code to show once the old device offered, its offer checked against the directory. */
  async code(transfer: TransferView): Promise<string> {
    if (transfer.offer === undefined)
      throw new TransferVerificationError('The old device has not offered yet');
    const parties = this.parties(transfer, await this.record(transfer.transferId));
    const keys = await this.keysOf(transfer);
    const nonce = await readTransferOffer(transfer.offer, parties, transfer.request, keys.fromKey);
    return transferCode(parties, { ...keys, request: transfer.request, nonce });
  }

  /**
   * Restores every announced chunk this device has not confirmed, in order, then resolves with the transfer
   * as the server has it: `done` once the last chunk is in, else still `approved` (more to come: call again
   * on the next push).
   */
  async receive(
    transferId: string,
    options: { onProgress?: (progress: TransferProgress) => void; signal?: AbortSignal } = {},
  ): Promise<TransferView> {
    const { api } = this.deps;
    let transfer = await api.get(transferId);
    if (transfer.state !== 'approved' && transfer.state !== 'sent') return transfer;
    const record = await this.record(transferId);
    const parties = this.parties(transfer, record);
    let archiveKey = record.archiveKey === undefined ? undefined : fromBase64(record.archiveKey);
    if (archiveKey === undefined) {
      const keys = await this.keysOf(transfer);
      if (transfer.offer === undefined || transfer.approval === undefined)
        throw new TransferVerificationError('The transfer has no approval');
      const nonce = await readTransferOffer(transfer.offer, parties, transfer.request, keys.fromKey);
      archiveKey = await openTransferApproval(
        transfer.approval,
        parties,
        { publicKey: fromBase64(record.publicKey), privateKey: fromBase64(record.privateKey) },
        nonce,
        keys.fromKey,
      );
      record.archiveKey = toBase64(archiveKey);
      await this.save(transferId, record);
    }
    for (let index = transfer.received; index < transfer.chunks; index++) {
      options.signal?.throwIfAborted();
      const link = await api.chunkLink(transferId, index);
      const descriptor = await openChunkDescriptor(archiveKey, transferId, index, link.descriptor);
      if (descriptor.size !== link.size)
        throw new TransferVerificationError(`Chunk ${index} is not the size its descriptor names`);
      const body = await this.deps.transport.download(link.url, options.signal);
      const plaintext = await decryptAttachment(body, descriptor);
      const parts = await decodeArchiveChunk(new Uint8Array(await plaintext.arrayBuffer()));
      await this.deps.sink.restore(parts);
      record.messages += parts.reduce((total, part) => total + part.messages.length, 0);
      await this.save(transferId, record);
      if (descriptor.final && index + 1 !== transfer.chunks)
        throw new TransferVerificationError('A chunk marked last is followed by others');
      if (!descriptor.final && transfer.state === 'sent' && index + 1 === transfer.chunks)
        throw new TransferVerificationError('The archive ends before its last chunk');
      transfer = await api.confirm(transferId, index + 1);
      options.onProgress?.({
        chunks: index + 1,
        bytes: transfer.bytes,
        messages: record.messages,
        ...(descriptor.total === undefined ? {} : { total: descriptor.total }),
        done: descriptor.final,
      });
    }
    return transfer;
  }

  /** Forgets this device's keys of a transfer that ended. */
  forget(transferId: string): Promise<void> {
    return this.deps.store.delete(RECEIVER_RECORD_KEY(transferId));
  }
}
