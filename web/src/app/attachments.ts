import type { ApiClient } from '../../../shared/client/api-client';
import { decryptAttachment, type EncryptedAttachment } from '../../../shared/e2ee/attachment-cipher';
import {
  type AttachmentDescriptor,
  type AttachmentKind,
  attachmentNameOf,
  MAX_ATTACHMENT_TYPE_LENGTH,
  MAX_THUMBNAIL_SIZE_IN_BYTES,
} from '../../../shared/e2ee/attachment-payload';
import { toBase64 } from '../../../shared/e2ee/base64';
import { MAX_ATTACHMENT_FILE_SIZE_IN_BYTES } from '../../../shared/protocol/limits';

/** What a file is, as the message says it, before it has an id and a key. */
export interface FileFacts {
  readonly name: string;
  readonly type: string;
  readonly kind: AttachmentKind;
  readonly plainSize: number;
  readonly width?: number;
  readonly height?: number;
  readonly durationMs?: number;
  /** A blurred preview, base64 JPEG, at most {@link MAX_THUMBNAIL_SIZE_IN_BYTES}. */
  readonly thumbnail?: string;
}

/** The largest file, in words, as the composer says it before anything is uploaded. */
export const MAX_FILE_SIZE_IN_WORDS = sizeInWords(MAX_ATTACHMENT_FILE_SIZE_IN_BYTES);

/** Image types every browser Parley supports shows; others go as files. */
const SHOWN_IMAGES = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
]);
/** Thumbnails are this many pixels on their long side: a placeholder to blur, not a picture. */
const THUMBNAIL_SIDE_IN_PIXELS = 48;
/** Images up to this size download on their own when shown, as chat apps do with photos. */
export const AUTO_DOWNLOAD_UP_TO_BYTES = 16 * 1024 * 1024;

/**
 * "3.4 MB", "820 KB", "12 bytes": decimal units, as file managers and the limit's own wording use.
 *
 * @example
 * sizeInWords(100_000_000); // "100 MB"
 */
export function sizeInWords(bytes: number): string {
  if (bytes < 1000) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const shown = value >= 10 || Number.isInteger(value) ? Math.round(value) : Math.round(value * 10) / 10;
  return `${shown} ${units[unit]}`;
}

/** The kind a file is shown as: what the browser can play or show inline, else a file card. */
export function kindOf(file: Blob, voice = false): AttachmentKind {
  if (voice) return 'voice';
  if (SHOWN_IMAGES.has(file.type)) return 'image';
  if (file.type.startsWith('video/') && document.createElement('video').canPlayType(file.type) !== '')
    return 'video';
  if (file.type.startsWith('audio/') && document.createElement('audio').canPlayType(file.type) !== '')
    return 'audio';
  return 'file';
}

/**
 * What the message will say of a file: its cleaned name and type, its kind, and for images and videos
 * their size in pixels and a tiny thumbnail, for sounds their length. A file the browser cannot read as
 * media still goes, as a file.
 */
export async function factsOf(
  file: File,
  options: { voice?: boolean; durationMs?: number } = {},
): Promise<FileFacts> {
  const kind = kindOf(file, options.voice);
  const type =
    file.type && file.type.length <= MAX_ATTACHMENT_TYPE_LENGTH ? file.type : 'application/octet-stream';
  const base = { name: attachmentNameOf(file.name || 'file'), type, plainSize: file.size };
  try {
    if (kind === 'image') {
      const bitmap = await createImageBitmap(file);
      const facts = { ...base, kind, width: bitmap.width, height: bitmap.height };
      const thumbnail = await thumbnailOf(bitmap, bitmap.width, bitmap.height);
      bitmap.close();
      return thumbnail ? { ...facts, thumbnail } : facts;
    }
    if (kind === 'video' || kind === 'audio' || kind === 'voice') {
      const media = await mediaFactsOf(file, kind === 'video');
      const durationMs = options.durationMs ?? media.durationMs;
      return {
        ...base,
        kind,
        ...(durationMs !== undefined ? { durationMs } : {}),
        ...(media.width ? { width: media.width, height: media.height } : {}),
        ...(media.thumbnail ? { thumbnail: media.thumbnail } : {}),
      };
    }
  } catch {
    // Not readable as what its type says: it goes as a file.
  }
  return { ...base, kind: 'file' };
}

async function thumbnailOf(source: CanvasImageSource, width: number, height: number) {
  const scale = Math.min(1, THUMBNAIL_SIDE_IN_PIXELS / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  canvas.getContext('2d')?.drawImage(source, 0, 0, canvas.width, canvas.height);
  for (const quality of [0.6, 0.4, 0.2]) {
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
    if (blob && blob.size <= MAX_THUMBNAIL_SIZE_IN_BYTES)
      return toBase64(new Uint8Array(await blob.arrayBuffer()));
  }
  return undefined;
}

/** A media element's length, and for a video its size and first frame, read from a local object URL. */
async function mediaFactsOf(file: Blob, video: boolean) {
  const url = URL.createObjectURL(file);
  const element = document.createElement(video ? 'video' : 'audio');
  element.preload = 'metadata';
  element.muted = true;
  try {
    await new Promise<void>((resolve, reject) => {
      element.onloadeddata = () => resolve();
      element.onloadedmetadata = () => (video ? undefined : resolve());
      element.onerror = () => reject(new Error('Not playable'));
      element.src = url;
    });
    const durationMs = Number.isFinite(element.duration) ? Math.round(element.duration * 1000) : undefined;
    if (!(element instanceof HTMLVideoElement)) return { durationMs };
    const { videoWidth: width, videoHeight: height } = element;
    const thumbnail = width && height ? await thumbnailOf(element, width, height) : undefined;
    return { durationMs, width, height, thumbnail };
  } finally {
    element.removeAttribute('src');
    URL.revokeObjectURL(url);
  }
}

/** An upload the person stopped. */
export class UploadCancelledError extends Error {
  constructor() {
    super('Upload cancelled');
    this.name = 'UploadCancelledError';
  }
}

/** Uploads an encrypted file: asks for a slot of its exact size, then posts the form straight to the object store. */
export async function uploadAttachment(
  api: Pick<ApiClient, 'createUpload'>,
  conversationId: string,
  encrypted: Pick<EncryptedAttachment, 'ciphertext' | 'size'>,
  options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<string> {
  const slot = await api.createUpload({ params: { conversationId }, body: { size: encrypted.size } });
  await postUploadForm(slot, encrypted.ciphertext, options);
  return slot.attachmentId;
}

/**
 * Posts an upload slot's form straight to the object store: its fields, then the ciphertext as `file`.
 * XMLHttpRequest rather than fetch: only it reports upload progress.
 */
export function postUploadForm(
  slot: { readonly url: string; readonly fields: Readonly<Record<string, string>> },
  ciphertext: Blob,
  options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.fields)) form.append(name, value);
  form.append('file', ciphertext);
  return new Promise<void>((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', slot.url);
    request.upload.onprogress = (event) => options.onProgress?.(event.loaded, event.total);
    request.onload = () =>
      request.status >= 200 && request.status < 300
        ? resolve()
        : reject(new Error(`The upload was refused (${request.status})`));
    request.onerror = () => reject(new TypeError('The upload failed: offline?'));
    request.onabort = () => reject(new UploadCancelledError());
    options.signal?.addEventListener('abort', () => request.abort(), { once: true });
    request.send(form);
  });
}

/** Downloads an attachment's ciphertext and decrypts it here, checking it is the file its message names. */
export async function downloadAttachment(
  api: Pick<ApiClient, 'getAttachment'>,
  conversationId: string,
  attachment: AttachmentDescriptor,
  options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<Blob> {
  const link = await api.getAttachment({ params: { conversationId, attachmentId: attachment.id } });
  const response = await fetch(link.url, options.signal ? { signal: options.signal } : {});
  if (!response.ok || !response.body) throw new Error(`The download failed (${response.status})`);
  return decryptAttachment(response.body, attachment, {
    type: attachment.type,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
