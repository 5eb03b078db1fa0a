import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../../infra/local/listen';
import type { BucketName } from '../../../infra/topology';
import { startTestS3, type TestS3 } from '../../../test/support/local-s3';
import { S3AttachmentObjects } from './s3-attachment-objects';

const REGION = 'eu-west-1';
const SITE = 'http://127.0.0.1:3000';

let s3: TestS3<BucketName> | undefined;
let objects: S3AttachmentObjects;
let bucketName = '';
let counter = 0;

beforeAll(async () => {
  s3 = await startTestS3({ region: REGION, allowedOrigins: [SITE] });
  bucketName = s3.buckets.blobs.name;
  objects = objectsAt(Date.now);
});

afterAll(async () => {
  await s3?.stop();
});

const objectsAt = (clock: () => number) =>
  new S3AttachmentObjects({
    bucketName,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint: s3?.endpoint,
    clock,
  });
const freshId = () => `att${String(++counter).padStart(4, '0')}${'x'.repeat(15)}`;
const bytesOf = (size: number) => Uint8Array.from({ length: size }, (_, i) => (i * 13 + 5) & 0xff);

/** Posts the form as a browser does: its fields, then the file, last. */
async function post(
  form: { url: string; fields: Readonly<Record<string, string>> },
  bytes: Uint8Array<ArrayBuffer>,
) {
  const body = new FormData();
  for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
  body.append('file', new Blob([bytes]));
  return fetch(form.url, { method: 'POST', body, headers: { origin: SITE } });
}

describe('S3AttachmentObjects against the S3 stand-in, which checks forms and links as S3 does', () => {
  it('uploads exactly the size its form pins, and downloads the same bytes by its link', async () => {
    const id = freshId();
    const bytes = bytesOf(100_000);
    const form = await objects.uploadForm(id, bytes.byteLength, Date.now() + 60_000);

    expect((await post(form, bytes)).status).toBe(204);

    const download = await fetch(await objects.downloadUrl(id, Date.now() + 60_000), {
      headers: { origin: SITE },
    });
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);
    expect(download.headers.get('access-control-allow-origin')).toBe(SITE);
  });

  it('refuses an upload one byte off the size, or to another key, and stores nothing', async () => {
    const id = freshId();
    const form = await objects.uploadForm(id, 1000, Date.now() + 60_000);

    expect((await post(form, bytesOf(1001))).status).toBe(400);
    expect((await post(form, bytesOf(999))).status).toBe(400);
    expect(
      (await post({ ...form, fields: { ...form.fields, key: `attachments/${freshId()}` } }, bytesOf(1000)))
        .status,
    ).toBe(403);
    expect((await fetch(await objects.downloadUrl(id, Date.now() + 60_000))).status).toBe(404);
  });

  it('refuses a form or a link used after it expired', async () => {
    const id = freshId();
    const anHourAgo = objectsAt(() => Date.now() - 60 * 60_000);
    const staleForm = await anHourAgo.uploadForm(id, 10, Date.now() - 60 * 60_000 + 60_000);
    expect((await post(staleForm, bytesOf(10))).status).toBe(403);

    await post(await objects.uploadForm(id, 10, Date.now() + 60_000), bytesOf(10));
    const staleLink = await anHourAgo.downloadUrl(id, Date.now() - 60 * 60_000 + 60_000);
    expect((await fetch(staleLink)).status).toBe(403);
    const forged = new URL(await objects.downloadUrl(id, Date.now() + 60_000));
    forged.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    expect((await fetch(forged)).status).toBe(403);
  });

  it('deletes objects, and a missing one is no error', async () => {
    const id = freshId();
    await post(await objects.uploadForm(id, 10, Date.now() + 60_000), bytesOf(10));

    await objects.delete([id, freshId()]);

    expect((await fetch(await objects.downloadUrl(id, Date.now() + 60_000))).status).toBe(404);
  });

  it('reads the size of a posted object, and of none before its form was posted', async () => {
    const id = freshId();
    const form = await objects.uploadForm(id, 1234, Date.now() + 60_000);
    expect(await objects.sizeOf(id)).toBeUndefined();

    await post(form, bytesOf(1234));

    expect(await objects.sizeOf(id)).toBe(1234);
  });

  it('keeps profile pictures under their own prefix when told to', async () => {
    const avatars = new S3AttachmentObjects({
      bucketName,
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoint: s3?.endpoint,
      keyOf: (id) => `avatars/${id}`,
    });
    const id = freshId();
    const form = await avatars.uploadForm(id, 10, Date.now() + 60_000);
    expect(form.fields.key).toBe(`avatars/${id}`);
    await post(form, bytesOf(10));

    expect(await avatars.sizeOf(id)).toBe(10);
    expect(await objects.sizeOf(id)).toBeUndefined();
    await avatars.delete([id]);
    expect(await avatars.sizeOf(id)).toBeUndefined();
  });
});
