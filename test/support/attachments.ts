import type { UploadSlot } from '../../shared/api/route-responses';

/**
 * Posts `body` with an upload slot's form, as a browser does: every field of the slot (then `fields`,
 * which override them), and the file last, as S3 requires.
 *
 * @example
 * const slot = await api.createUpload({ params: { conversationId }, body: { size: sealed.size } });
 * expect((await postUpload(slot, sealed.ciphertext)).status).toBe(204);
 */
export function postUpload(
  slot: Pick<UploadSlot, 'url' | 'fields'>,
  body: Blob | Uint8Array,
  fields: Record<string, string> = {},
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...slot.fields, ...fields })) form.append(name, value);
  form.append('file', body instanceof Blob ? body : new Blob([Buffer.from(body)]));
  return fetch(slot.url, { method: 'POST', body: form });
}
