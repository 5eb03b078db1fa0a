/** What the devices of a transfer ask of the server, in their words (the HTTP routes `…/history-transfers`). */
import type { ApiClient } from '../../client/api-client';

/** A transfer as the server keeps it: opaque steps, counts and sizes. */
export interface TransferView {
  readonly transferId: string;
  readonly fromDeviceId: string;
  readonly toDeviceId: string;
  readonly state: 'requested' | 'offered' | 'approved' | 'sent' | 'done' | 'cancelled';
  readonly request: string;
  readonly offer?: string | undefined;
  readonly approval?: string | undefined;
  /** Chunks the old device has announced, and their bytes. */
  readonly chunks: number;
  readonly bytes: number;
  /** Chunks the new device has confirmed. */
  readonly received: number;
}

/** A form that uploads one object straight to storage. */
export interface UploadForm {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** The server's side of a transfer. */
export interface HistoryTransferApi {
  request(body: { fromDeviceId: string; toDeviceId: string; request: string }): Promise<TransferView>;
  list(): Promise<readonly TransferView[]>;
  get(transferId: string): Promise<TransferView>;
  offer(transferId: string, offer: string): Promise<TransferView>;
  approve(transferId: string, approval: string): Promise<TransferView>;
  uploadForm(transferId: string, index: number, size: number): Promise<UploadForm>;
  announce(
    transferId: string,
    index: number,
    chunk: { size: number; descriptor: string; final: boolean },
  ): Promise<TransferView>;
  chunkLink(transferId: string, index: number): Promise<{ url: string; size: number; descriptor: string }>;
  confirm(transferId: string, received: number): Promise<TransferView>;
  cancel(transferId: string): Promise<void>;
}

/** Moves object bytes to and from storage, outside the API. */
export interface ObjectTransport {
  upload(form: UploadForm, body: Blob, signal?: AbortSignal): Promise<void>;
  download(url: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array> | Blob>;
}

/**
 * Uploads with the form's fields and the object as `file`, downloads with a GET: the presigned forms and
 * links of S3 (or the local stand-in), with `fetch`.
 *
 * @example
 * const transport = fetchTransport();
 */
export function fetchTransport(fetcher: typeof fetch = fetch): ObjectTransport {
  return {
    async upload(form, body, signal) {
      const data = new FormData();
      for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
      data.append('file', body);
      const response = await fetcher(form.url, { method: 'POST', body: data, ...(signal ? { signal } : {}) });
      if (!response.ok) throw new Error(`The upload was refused (${response.status})`);
    },
    async download(url, signal) {
      const response = await fetcher(url, signal ? { signal } : {});
      if (!response.ok || !response.body) throw new Error(`The download failed (${response.status})`);
      return response.body;
    },
  };
}

/**
 * The transfer routes of Parley's HTTP API as {@link HistoryTransferApi}.
 *
 * @example
 * const sender = client.historySender({ api: historyTransferApiOf(api), transport: fetchTransport(), source });
 */
export function historyTransferApiOf(
  api: Pick<
    ApiClient,
    | 'requestHistoryTransfer'
    | 'listHistoryTransfers'
    | 'getHistoryTransfer'
    | 'offerHistoryTransfer'
    | 'approveHistoryTransfer'
    | 'createHistoryChunkUpload'
    | 'announceHistoryChunk'
    | 'getHistoryChunk'
    | 'confirmHistoryChunks'
    | 'cancelHistoryTransfer'
  >,
): HistoryTransferApi {
  return {
    request: (body) => api.requestHistoryTransfer({ body }),
    list: async () => (await api.listHistoryTransfers()).items,
    get: (transferId) => api.getHistoryTransfer({ params: { transferId } }),
    offer: (transferId, offer) => api.offerHistoryTransfer({ params: { transferId }, body: { offer } }),
    approve: (transferId, approval) =>
      api.approveHistoryTransfer({ params: { transferId }, body: { approval } }),
    uploadForm: (transferId, index, size) =>
      api.createHistoryChunkUpload({ params: { transferId }, body: { index, size } }),
    announce: (transferId, index, chunk) =>
      api.announceHistoryChunk({ params: { transferId, index }, body: chunk }),
    chunkLink: (transferId, index) => api.getHistoryChunk({ params: { transferId, index } }),
    confirm: (transferId, received) =>
      api.confirmHistoryChunks({ params: { transferId }, body: { received } }),
    cancel: async (transferId) => {
      await api.cancelHistoryTransfer({ params: { transferId } });
    },
  };
}
