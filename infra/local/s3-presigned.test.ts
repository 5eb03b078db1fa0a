import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPostOptions } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestS3, type TestS3 } from '../../test/support/local-s3';
import type { BucketName } from '../topology';
import { LOCAL_CREDENTIALS } from './listen';

const REGION = 'eu-west-1';
/** The site's origin: its pages upload and download across origins. */
const SITE = 'http://127.0.0.1:3000';
const ELSEWHERE = 'http://evil.example';
const MiB = 1024 * 1024;

let s3: TestS3<BucketName> | undefined;
let client: S3Client;
let bucket = '';
let counter = 0;

beforeAll(async () => {
  s3 = await startTestS3({ region: REGION, allowedOrigins: [SITE] });
  bucket = s3.buckets.blobs.name;
  client = s3Client();
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

/** The SDK as the functions build it; a clock offset or other keys make the URLs they sign. */
function s3Client(options: { clockOffsetMs?: number; secretAccessKey?: string; accessKeyId?: string } = {}) {
  return new S3Client({
    endpoint: s3?.endpoint as string,
    region: REGION,
    credentials: {
      accessKeyId: options.accessKeyId ?? LOCAL_CREDENTIALS.accessKeyId,
      secretAccessKey: options.secretAccessKey ?? LOCAL_CREDENTIALS.secretAccessKey,
    },
    forcePathStyle: true,
    ...(options.clockOffsetMs ? { systemClockOffset: options.clockOffsetMs } : {}),
  });
}

const freshKey = () => `attachments/alice/${Date.now()}-${++counter}.bin`;

const bytesOf = (size: number, seed = 7) => {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
};

/** An upload policy as the attachment function would sign it: this key, at most `max` bytes. */
const presignPost = (key: string, max: number, extra: Partial<PresignedPostOptions> = {}, signer = client) =>
  createPresignedPost(signer, {
    Bucket: bucket,
    Key: key,
    Conditions: [['content-length-range', 1, max], ...(extra.Conditions ?? [])],
    ...(extra.Fields ? { Fields: extra.Fields } : {}),
    Expires: extra.Expires ?? 300,
  });

/** Posts the form as a browser would: the fields, then the file last. */
function postForm(
  url: string,
  fields: Record<string, string>,
  file: Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file]), 'attachment.bin');
  return fetch(url, { method: 'POST', body: form, headers });
}

async function stored(key: string): Promise<Uint8Array | undefined> {
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await object.Body?.transformToByteArray();
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** An element's text in an S3 XML answer, its entities decoded. */
const xmlElement = (xml: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`)
    .exec(xml)?.[1]
    ?.replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

describe('POST Object: a browser uploads with a presigned POST', () => {
  it('stores the file under the policy key, byte for byte, and keeps it on disk', async () => {
    const key = freshKey();
    const file = bytesOf(4096);
    const { url, fields } = await presignPost(key, 8192);

    const response = await postForm(url, fields, file);

    expect(response.status).toBe(204);
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await stored(key)).toEqual(file);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentType).toBe('application/octet-stream');
    expect(
      new Uint8Array(readFileSync(join(s3?.dataDir as string, bucket, encodeURIComponent(key)))),
    ).toEqual(file);
  });

  it('stores the Content-Type the policy pins, and answers 201 with XML when asked to', async () => {
    const key = freshKey();
    const { url, fields } = await presignPost(key, 100, {
      Fields: { 'Content-Type': 'image/png', success_action_status: '201' },
    });

    const response = await postForm(url, fields, bytesOf(100));

    expect(response.status).toBe(201);
    const body = await response.text();
    expect(xmlElement(body, 'Key')).toBe(key);
    expect(xmlElement(body, 'Bucket')).toBe(bucket);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentType).toBe('image/png');
  });

  it('accepts a file of exactly the maximum, and refuses one byte more with EntityTooLarge, storing nothing', async () => {
    const exact = freshKey();
    const atMax = await presignPost(exact, 1000);
    expect((await postForm(atMax.url, atMax.fields, bytesOf(1000))).status).toBe(204);

    const over = freshKey();
    const { url, fields } = await presignPost(over, 1000);
    const response = await postForm(url, fields, bytesOf(1001));

    expect(response.status).toBe(400);
    const body = await response.text();
    expect(xmlElement(body, 'Code')).toBe('EntityTooLarge');
    expect(xmlElement(body, 'MaxSizeAllowed')).toBe('1000');
    expect(xmlElement(body, 'ProposedSize')).toBe('1001');
    expect(await stored(over)).toBeUndefined();
  });

  it('refuses a file below the minimum with EntityTooSmall', async () => {
    const key = freshKey();
    const { url, fields } = await createPresignedPost(client, {
      Bucket: bucket,
      Key: key,
      Conditions: [['content-length-range', 10, 100]],
    });

    const response = await postForm(url, fields, bytesOf(9));

    expect(response.status).toBe(400);
    const body = await response.text();
    expect(xmlElement(body, 'Code')).toBe('EntityTooSmall');
    expect(xmlElement(body, 'MinSizeAllowed')).toBe('10');
    expect(xmlElement(body, 'ProposedSize')).toBe('9');
    expect(await stored(key)).toBeUndefined();
  });

  it('refuses another key than the policy pins with 403, storing nothing', async () => {
    const key = freshKey();
    const other = `attachments/mallory/${Date.now()}.bin`;
    const { url, fields } = await presignPost(key, 1000);

    const response = await postForm(url, { ...fields, key: other }, bytesOf(10));

    expect(response.status).toBe(403);
    const body = await response.text();
    expect(xmlElement(body, 'Code')).toBe('AccessDenied');
    expect(xmlElement(body, 'Message')).toBe(
      `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "${key}"]`,
    );
    expect(await stored(other)).toBeUndefined();
    expect(await stored(key)).toBeUndefined();
  });

  it('holds a starts-with condition on the key', async () => {
    const prefix = `attachments/bob/${Date.now()}/`;
    const { url, fields } = await createPresignedPost(client, {
      Bucket: bucket,
      Key: `${prefix}\${filename}`,
    });

    const inside = await postForm(url, fields, bytesOf(5));
    const outside = await postForm(url, { ...fields, key: 'attachments/other.bin' }, bytesOf(5));

    expect(inside.status).toBe(204);
    expect(await stored(`${prefix}attachment.bin`)).toEqual(bytesOf(5));
    expect(outside.status).toBe(403);
    expect(xmlElement(await outside.text(), 'Message')).toContain('["starts-with", "$key"');
  });

  it('refuses an expired policy with 403 Policy expired', async () => {
    const key = freshKey();
    const anHourAgo = s3Client({ clockOffsetMs: -60 * 60 * 1000 });
    const { url, fields } = await presignPost(key, 1000, { Expires: 60 }, anHourAgo);
    anHourAgo.destroy();

    const response = await postForm(url, fields, bytesOf(10));

    expect(response.status).toBe(403);
    const body = await response.text();
    expect(xmlElement(body, 'Code')).toBe('AccessDenied');
    expect(xmlElement(body, 'Message')).toBe('Invalid according to Policy: Policy expired.');
    expect(await stored(key)).toBeUndefined();
  });

  it('refuses a tampered signature, a tampered policy and another secret with SignatureDoesNotMatch', async () => {
    const key = freshKey();
    const { url, fields } = await presignPost(key, 10);
    const signature = fields['X-Amz-Signature'] as string;
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    // The same policy with a wider range: what a client would forge to upload more.
    const widened = Buffer.from(
      Buffer.from(fields.Policy as string, 'base64')
        .toString('utf8')
        .replace('["content-length-range",1,10]', '["content-length-range",1,10000]'),
    ).toString('base64');
    expect(widened).not.toBe(fields.Policy);
    const otherSecret = s3Client({ secretAccessKey: 'not-the-local-secret' });
    const forged = await presignPost(key, 10, {}, otherSecret);
    otherSecret.destroy();

    for (const attempt of [
      { ...fields, 'X-Amz-Signature': flipped },
      { ...fields, Policy: widened },
      forged.fields,
    ]) {
      const response = await postForm(url, attempt, bytesOf(100));
      expect(response.status).toBe(403);
      expect(xmlElement(await response.text(), 'Code')).toBe('SignatureDoesNotMatch');
    }
    expect(await stored(key)).toBeUndefined();
  });

  it('refuses a key that is not the local one with InvalidAccessKeyId', async () => {
    const stranger = s3Client({ accessKeyId: 'AKIASTRANGER' });
    const { url, fields } = await presignPost(freshKey(), 10, {}, stranger);
    stranger.destroy();

    const response = await postForm(url, fields, bytesOf(5));

    expect(response.status).toBe(403);
    expect(xmlElement(await response.text(), 'Code')).toBe('InvalidAccessKeyId');
  });

  it('refuses a field the policy does not name, whatever its case, but lets x-ignore- fields through', async () => {
    const key = freshKey();
    const { url, fields } = await presignPost(key, 100);

    const extra = await postForm(url, { ...fields, 'X-Amz-Meta-Note': 'hi' }, bytesOf(5));
    const ignored = await postForm(url, { ...fields, 'x-ignore-tracking': '1' }, bytesOf(5));

    expect(extra.status).toBe(403);
    expect(xmlElement(await extra.text(), 'Message')).toBe(
      'Invalid according to Policy: Extra input fields: X-Amz-Meta-Note',
    );
    expect(ignored.status).toBe(204);
    expect(await stored(key)).toEqual(bytesOf(5));
  });

  it('refuses a form without a file, and a body that is not well-formed', async () => {
    const key = freshKey();
    const { url, fields } = await presignPost(key, 100);
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    const noFile = await fetch(url, { method: 'POST', body: form });

    const truncated = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
      body: '--XyZ\r\nContent-Disposition: form-data; name="key"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-da',
    });

    expect(noFile.status).toBe(400);
    expect(xmlElement(await noFile.text(), 'Code')).toBe('InvalidArgument');
    expect(truncated.status).toBe(400);
    expect(xmlElement(await truncated.text(), 'Code')).toBe('MalformedPOSTRequest');
    expect(await stored(key)).toBeUndefined();
  });
});

describe('presigned GET: a browser downloads with a short-lived URL', () => {
  let key = '';
  const file = bytesOf(2048, 3);

  beforeAll(async () => {
    key = freshKey();
    const { url, fields } = await presignPost(key, 4096);
    expect((await postForm(url, fields, file)).status).toBe(204);
  });

  it('returns the bytes for a good URL, and HEAD answers for a URL signed for it', async () => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 60,
    });

    const response = await fetch(url);

    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(file);
    const headUrl = await getSignedUrl(client, new HeadObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 60,
    });
    expect((await fetch(headUrl, { method: 'HEAD' })).status).toBe(200);
    // A URL signed for GET does not serve a HEAD.
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(403);
  });

  it('refuses an expired URL with 403 Request has expired', async () => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 60 * 60 * 1000),
    });

    const response = await fetch(url);

    expect(response.status).toBe(403);
    const body = await response.text();
    expect(xmlElement(body, 'Code')).toBe('AccessDenied');
    expect(xmlElement(body, 'Message')).toBe('Request has expired');
  });

  it('refuses a tampered URL with 403 SignatureDoesNotMatch: signature, key, lifetime or secret', async () => {
    const url = new URL(
      await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 60 }),
    );
    const signature = url.searchParams.get('X-Amz-Signature') as string;
    const flipped = new URL(url);
    flipped.searchParams.set(
      'X-Amz-Signature',
      `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`,
    );
    const otherKey = new URL(url);
    otherKey.pathname = `/${bucket}/attachments/someone-else.bin`;
    const longer = new URL(url);
    longer.searchParams.set('X-Amz-Expires', '3600');
    const otherSecret = s3Client({ secretAccessKey: 'not-the-local-secret' });
    const forged = await getSignedUrl(otherSecret, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 60,
    });
    otherSecret.destroy();

    for (const attempt of [flipped, otherKey, longer, forged]) {
      const response = await fetch(attempt);
      expect(response.status).toBe(403);
      expect(xmlElement(await response.text(), 'Code')).toBe('SignatureDoesNotMatch');
    }
  });

  it('still serves the functions, which sign their requests in headers', async () => {
    expect(await stored(key)).toEqual(file);
  });
});

describe('CORS: only the site may call S3 from its pages', () => {
  const preflight = (origin: string, method = 'POST') =>
    fetch(`${s3?.endpoint}/${bucket}`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'Content-Type',
      },
    });

  it('answers a preflight from the site with its rule', async () => {
    const response = await preflight(SITE);

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type');
  });

  it('refuses a preflight from another origin, or for a method the rule does not allow, without CORS headers', async () => {
    for (const response of [await preflight(ELSEWHERE), await preflight(SITE, 'DELETE')]) {
      expect(response.status).toBe(403);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(xmlElement(await response.text(), 'Code')).toBe('AccessForbidden');
    }
  });

  it('lets the site read upload and download answers, ETag included, and nobody else', async () => {
    const key = freshKey();
    const { url, fields } = await presignPost(key, 100);
    const upload = await postForm(url, fields, bytesOf(50), { origin: SITE });
    const download = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 60,
    });
    const fromSite = await fetch(download, { headers: { origin: SITE } });
    const fromElsewhere = await fetch(download, { headers: { origin: ELSEWHERE } });
    const refused = await postForm(url, { ...fields, key: 'x' }, bytesOf(50), { origin: SITE });

    expect(upload.status).toBe(204);
    expect(upload.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(fromSite.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(fromSite.headers.get('access-control-expose-headers')).toContain('ETag');
    expect(fromElsewhere.status).toBe(200);
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
    // A refusal carries the headers too, so the page can read why.
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBe(SITE);
  });
});

describe('large uploads', () => {
  it('stores a 110 MiB attachment', { timeout: 180_000 }, async () => {
    const key = freshKey();
    const file = bytesOf(110 * MiB, 11);
    const { url, fields } = await presignPost(key, 120 * MiB);

    const response = await postForm(url, fields, file);

    expect(response.status).toBe(204);
    const back = await stored(key);
    expect(back?.length).toBe(file.length);
    expect(sha256(back as Uint8Array)).toBe(sha256(file));
  });

  it('refuses a form far over the policy maximum, telling its whole size', { timeout: 180_000 }, async () => {
    const key = freshKey();
    const { url, fields } = await presignPost(key, 1 * MiB);

    const response = await postForm(url, fields, bytesOf(40 * MiB));

    expect(response.status).toBe(400);
    const body = await response.text();
    expect(xmlElement(body, 'Code')).toBe('EntityTooLarge');
    expect(xmlElement(body, 'ProposedSize')).toBe(String(40 * MiB));
    expect(await stored(key)).toBeUndefined();
  });
});
