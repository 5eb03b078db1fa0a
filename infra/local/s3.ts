import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { buildApp } from 'fauxqs';
import { BUCKETS, type BucketCors, type BucketDefinition, type BucketName } from '../topology';
import { LOCAL_CREDENTIALS } from './listen';
import { formBoundary, MalformedFormError, MultipartFormReader } from './multipart-form';
import {
  checkPostForm,
  escapeXml,
  type PostFields,
  type PostGrant,
  presignedRefusal,
  type S3Refusal,
  s3ErrorXml,
  sizeRefusal,
} from './s3-auth';

/** The fauxqs app, which serves S3 beside SQS on one endpoint. */
type FauxqsApp = ReturnType<typeof buildApp>;

/** What the hook reads of a (Fastify) request to an S3 route. */
interface HookRequest {
  readonly method: string;
  readonly params: unknown;
  readonly query: unknown;
}

export interface LocalBucket {
  readonly name: string;
  readonly definition: BucketDefinition;
}

export interface LocalS3<B extends string = BucketName> {
  /** Path-style endpoint: the SQS stand-in's address. */
  readonly endpoint: string;
  readonly buckets: Record<B, LocalBucket>;
  stop(): Promise<void>;
}

/**
 * Keeps a copy of every object on disk, one file per object under
 * `{dataDir}/{bucket}/{encoded key}`, so objects outlive a restart as the
 * DynamoDB data does (fauxqs holds S3 in memory only). Must be installed
 * before the app listens. Mirrors PutObject and DeleteObject, the only
 * object writes Parley makes; the file is written before the response is
 * sent, so a client that got its 200 finds the object after a restart.
 */
export function mirrorS3ToDisk(app: FauxqsApp, dataDir: string): void {
  app.addHook('onSend', async (request: HookRequest, reply: { statusCode: number }, payload: unknown) => {
    const params = request.params as { bucket?: string; '*'?: string } | undefined;
    const bucket = params?.bucket;
    const key = params?.['*'];
    const query = request.query as Record<string, unknown> | undefined;
    if (!bucket || !key || reply.statusCode >= 300 || query?.uploadId !== undefined) return payload;
    if (request.method === 'PUT' && query?.partNumber === undefined) {
      // The stored bytes, read back: the request body may still be in aws-chunked encoding.
      const stored = await app.inject({ method: 'GET', url: `/${bucket}/${encodeKey(key)}` });
      if (stored.statusCode === 200) {
        mkdirSync(join(dataDir, bucket), { recursive: true });
        writeFileSync(objectPath(dataDir, bucket, key), stored.rawPayload);
      }
    } else if (request.method === 'DELETE') {
      rmSync(objectPath(dataDir, bucket, key), { force: true });
    }
    return payload;
  });
}

/**
 * The largest object the stand-in takes in one request. S3 takes 5 GiB in a PUT or a POST form;
 * fauxqs holds every object in memory, so the stand-in stops well short of that (fauxqs's own limit,
 * 11 MiB, is below the attachments Parley uploads).
 */
export const MAX_OBJECT_SIZE_IN_BYTES = 1024 * 1024 * 1024;

/** S3 reads at most this much of a POST form's fields before its file. */
const MAX_POST_FIELDS_IN_BYTES = 20 * 1024;

export interface S3BrowserOptions {
  /** The region presigned URLs and POST policies must be scoped to. */
  readonly region: string;
  /**
   * Origins whose pages may call S3 across origins (CORS); requests from others get no CORS headers.
   * Read per request: the local stack learns its web origin only once its dev server listens.
   * @default none
   */
  readonly allowedOrigins?: () => readonly string[];
  /** Whose CORS rules apply, by the name `startS3` gives each bucket. @default the topology's buckets */
  readonly buckets?: Record<string, BucketDefinition>;
}

/**
 * Makes the S3 of the fauxqs app as strict as S3 with what browsers send it, and installs before the
 * app listens. fauxqs checks no signature and has no POST Object; this adds:
 * - POST Object (`POST /{bucket}`, `multipart/form-data`, path-style): a SigV4 POST policy, checked
 *   as S3 does (see {@link checkPostForm}), the file's size against its `content-length-range` as it
 *   streams in; the object is then stored with a PutObject through the app, so `mirrorS3ToDisk` keeps it.
 * - Presigned requests (a query with `X-Amz-Signature`): refused once expired or when the signature
 *   is not the local credentials'. Requests signed in their `Authorization` header pass as before.
 * - CORS for `allowedOrigins`, by each bucket's `cors` rule: preflights answered, and the CORS headers
 *   on every answer to them, refusals included (a page could not read why otherwise).
 * - Bodies up to {@link MAX_OBJECT_SIZE_IN_BYTES}.
 */
export function serveS3ToBrowsers(app: FauxqsApp, options: S3BrowserOptions): void {
  const keys = LOCAL_CREDENTIALS;
  const definitions = options.buckets ?? (BUCKETS as Record<string, BucketDefinition>);
  const corsRules = new Map<string, BucketCors>();
  for (const [name, definition] of Object.entries(definitions)) {
    if (definition.cors) corsRules.set(localBucketName(name), definition.cors);
  }
  // fauxqs reads every S3 body whole, under Fastify's app-wide limit; a parser's own limit wins over it.
  app.removeContentTypeParser('*');
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: MAX_OBJECT_SIZE_IN_BYTES },
    (_request: unknown, body: Buffer, done: (error: Error | null, body: Buffer) => void) => done(null, body),
  );

  app.addHook('onRequest', async (request: S3Request, reply: S3Reply) => {
    // SQS shares the endpoint: it speaks the JSON protocol, and only S3 is answered here.
    if (request.headers['x-amz-target']) return;
    const origin = request.headers.origin;
    const bucketInPath = /^\/([^/?]+)/.exec(request.url)?.[1];
    const rule = bucketInPath ? corsRules.get(safeDecode(bucketInPath)) : undefined;
    const allowed =
      rule !== undefined && origin !== undefined && (options.allowedOrigins?.() ?? []).includes(origin);
    if (request.method === 'OPTIONS') {
      const preflight = preflightAnswer(request.headers, allowed ? rule : undefined);
      reply.code(preflight.status).headers(preflight.headers);
      if (preflight.refusal) refuse(reply, preflight.refusal, false);
      else reply.send();
      return reply;
    }
    if (allowed) reply.headers(corsHeaders(origin, rule));
    if (/[?&]X-Amz-Signature=/.test(request.originalUrl)) {
      const refusal = presignedRefusal(
        { method: request.method, url: request.originalUrl, headers: request.headers },
        { region: options.region, keys, now: Date.now() },
      );
      if (refusal) {
        refuse(reply, refusal, request.method === 'HEAD');
        return reply;
      }
    }
    const bucket = /^\/([^/?]+)\/?(?:\?.*)?$/.exec(request.url)?.[1];
    const boundary = formBoundary(request.headers['content-type']);
    if (request.method === 'POST' && bucket && boundary) {
      await postObject(app, request.raw, reply, {
        bucket: safeDecode(bucket),
        boundary,
        region: options.region,
        keys,
        location: `http://${request.headers.host ?? ''}/${bucket}`,
      });
      return reply;
    }
    return undefined;
  });
}

/** What the hook reads of a request to S3 (a Fastify request). */
interface S3Request {
  readonly method: string;
  /** After fauxqs's rewrite of virtual-hosted-style requests to path-style. */
  readonly url: string;
  /** As the client sent it: what a presigned URL's signature covers. */
  readonly originalUrl: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: IncomingMessage;
}

/** What an S3 route replies through (a Fastify reply). */
interface S3Reply {
  code(status: number): S3Reply;
  header(name: string, value: string): S3Reply;
  headers(values: Record<string, string>): S3Reply;
  send(payload?: string): S3Reply;
}

function refuse(reply: S3Reply, refusal: S3Refusal, head: boolean): void {
  reply.code(refusal.status);
  // A HEAD answer has no body: S3 tells its error in the status alone.
  if (head) reply.send();
  else reply.header('content-type', 'application/xml').send(s3ErrorXml(refusal, requestId()));
}

function corsHeaders(origin: string, rule: BucketCors): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    'access-control-expose-headers': rule.exposedHeaders.join(', '),
    'access-control-max-age': String(rule.maxAgeSeconds),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
}

/** S3's answer to a CORS preflight: the bucket's rule (for an allowed origin) if it allows the method and headers, else 403. */
function preflightAnswer(
  headers: IncomingHttpHeaders,
  rule: BucketCors | undefined,
): { status: number; headers: Record<string, string>; refusal?: S3Refusal } {
  const origin = headers.origin;
  const method = headers['access-control-request-method'];
  if (!origin || !method) {
    const missing = !origin ? 'Origin' : 'Access-Control-Request-Method';
    return {
      status: 400,
      headers: {},
      refusal: {
        status: 400,
        code: 'BadRequest',
        message: `Insufficient information. ${missing} request header needed.`,
      },
    };
  }
  const requested = headers['access-control-request-headers']?.toLowerCase();
  const headersAllowed =
    rule?.allowedHeaders.includes('*') ||
    (requested ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean)
      .every((name) => rule?.allowedHeaders.some((allowedHeader) => allowedHeader.toLowerCase() === name));
  if (!rule || !(rule.allowedMethods as readonly string[]).includes(method) || !headersAllowed) {
    return {
      status: 403,
      headers: {},
      refusal: {
        status: 403,
        code: 'AccessForbidden',
        message:
          "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        details: { Method: method, ResourceType: 'OBJECT' },
      },
    };
  }
  return {
    status: 200,
    headers: {
      ...corsHeaders(origin, rule),
      // S3 answers with the headers asked for, once its rule allows them.
      ...(requested ? { 'access-control-allow-headers': requested } : {}),
    },
  };
}

/**
 * POST Object: reads the form as it streams in, checks its fields against their policy when the
 * file part starts, keeps the file only while it is within the policy's size, and drains the rest of
 * a refused form before answering (a client still sending would not read an early answer).
 */
async function postObject(
  app: FauxqsApp,
  body: IncomingMessage,
  reply: S3Reply,
  form: {
    readonly bucket: string;
    readonly boundary: string;
    readonly region: string;
    readonly keys: typeof LOCAL_CREDENTIALS;
    readonly location: string;
  },
): Promise<void> {
  const fields = new Map<string, { name: string; value: string }>();
  let fieldsSize = 0;
  let field: { name: string; chunks: Buffer[] } | undefined;
  let file: { filename: string; chunks: Buffer[]; size: number; done: boolean } | undefined;
  let grant: PostGrant | undefined;
  let refusal: S3Refusal | undefined;
  const reader = new MultipartFormReader(form.boundary, {
    part(part) {
      field = undefined;
      // S3 ignores whatever follows the file.
      if (file) return;
      if (part.name.toLowerCase() !== 'file') {
        field = { name: part.name, chunks: [] };
        return;
      }
      file = { filename: part.filename ?? '', chunks: [], size: 0, done: false };
      const checked = checkPostForm(fields as PostFields, {
        bucket: form.bucket,
        region: form.region,
        keys: form.keys,
        now: Date.now(),
        maxObjectSize: MAX_OBJECT_SIZE_IN_BYTES,
      });
      if ('refusal' in checked) refusal = checked.refusal;
      else grant = checked.grant;
    },
    data(chunk) {
      if (field) {
        fieldsSize += chunk.length;
        if (fieldsSize > MAX_POST_FIELDS_IN_BYTES) {
          refusal = {
            status: 400,
            code: 'MaxPostPreDataLengthExceeded',
            message: 'Your POST request fields preceding the upload file were too large.',
            details: { MaxPostPreDataLength: MAX_POST_FIELDS_IN_BYTES },
          };
        } else field.chunks.push(chunk);
      } else if (file && !file.done) {
        file.size += chunk.length;
        // Past the policy's limit only the size is counted: S3 tells it in ProposedSize.
        if (grant && file.size <= grant.maxSize) file.chunks.push(chunk);
        else file.chunks = [];
      }
    },
    partEnd() {
      if (field) {
        const value = Buffer.concat(field.chunks).toString('utf8');
        fields.set(field.name.toLowerCase(), { name: field.name, value });
        field = undefined;
      } else if (file) file.done = true;
    },
  });
  try {
    for await (const chunk of body) {
      if (!refusal) reader.write(chunk as Buffer);
    }
    if (!refusal) reader.end();
  } catch (error) {
    if (!(error instanceof MalformedFormError)) throw error;
    refusal = {
      status: 400,
      code: 'MalformedPOSTRequest',
      message: 'The body of your POST request is not well-formed multipart/form-data.',
    };
    // The rest of the body is not read as a form, only drained.
    for await (const _ of body) {
    }
  }
  if (!refusal && !file) {
    refusal = {
      status: 400,
      code: 'InvalidArgument',
      message: 'POST requires exactly one file upload per request.',
      details: { ArgumentName: 'file', ArgumentValue: 0 },
    };
  }
  if (!refusal && grant && file) refusal = sizeRefusal(grant, file.size);
  if (refusal || !grant || !file) {
    refuse(
      reply,
      refusal ?? { status: 500, code: 'InternalError', message: 'We encountered an internal error.' },
      false,
    );
    return;
  }

  // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's own placeholder for the file's name.
  const key = grant.key.replaceAll('${filename}', file.filename);
  const formField = (name: string) => fields.get(name)?.value;
  const headers: Record<string, string> = {
    'content-type': formField('content-type') ?? 'application/octet-stream',
    'content-length': String(file.size),
  };
  for (const { name, value } of fields.values()) {
    const lower = name.toLowerCase();
    const stored = ['cache-control', 'content-disposition', 'content-encoding', 'expires'].includes(lower);
    if (stored || lower.startsWith('x-amz-meta-')) headers[lower] = value;
  }
  // Through the app's own PutObject, so every hook on it (the disk mirror) sees the upload.
  const put: { statusCode: number; headers: Record<string, unknown>; body: string } = await app.inject({
    method: 'PUT',
    url: `/${encodeURIComponent(form.bucket)}/${encodeKey(key)}`,
    headers,
    payload: Readable.from(file.chunks),
  });
  if (put.statusCode >= 300) {
    reply.code(put.statusCode).header('content-type', 'application/xml').send(put.body);
    return;
  }
  const etag = String(put.headers.etag ?? '');
  const location = `${form.location}/${encodeKey(key)}`;
  reply.header('etag', etag).header('location', location);
  const redirect = formField('success_action_redirect');
  if (redirect) {
    const target = new URL(redirect);
    target.searchParams.set('bucket', form.bucket);
    target.searchParams.set('key', key);
    target.searchParams.set('etag', etag);
    reply.code(303).header('location', target.toString()).send();
    return;
  }
  const status = formField('success_action_status');
  if (status === '201') {
    reply
      .code(201)
      .header('content-type', 'application/xml')
      .send(
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
          `<PostResponse><Location>${escapeXml(location)}</Location><Bucket>${escapeXml(form.bucket)}</Bucket>` +
          `<Key>${escapeXml(key)}</Key><ETag>${escapeXml(etag)}</ETag></PostResponse>`,
      );
    return;
  }
  reply.code(status === '200' ? 200 : 204).send();
}

/** The local name of a topology bucket. */
export function localBucketName(name: string): string {
  return `parley-local-${name.toLowerCase()}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function requestId(): string {
  return randomUUID().replaceAll('-', '').toUpperCase().slice(0, 16);
}

/**
 * S3 stand-in: the fauxqs app the SQS stand-in runs (one endpoint, path-style
 * requests). Creates the topology's buckets and loads the objects
 * `mirrorS3ToDisk` kept in `dataDir`. fauxqs has no lifecycle rules: local
 * Welcome objects are kept until deleted.
 */
export async function startS3<B extends string = BucketName>(options: {
  /** The fauxqs endpoint. */
  endpoint: string;
  region: string;
  /** Where `mirrorS3ToDisk` keeps the objects. */
  dataDir: string;
  /** @default the topology's buckets, named `parley-local-{name}` */
  buckets?: Record<B, BucketDefinition>;
}): Promise<LocalS3<B>> {
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
  });
  const definitions = options.buckets ?? (BUCKETS as unknown as Record<B, BucketDefinition>);
  const buckets = {} as Record<B, LocalBucket>;
  try {
    for (const [name, definition] of Object.entries(definitions) as [B, BucketDefinition][]) {
      const bucketName = localBucketName(name);
      await client.send(new CreateBucketCommand({ Bucket: bucketName }));
      await restoreObjects(client, options.dataDir, bucketName);
      buckets[name] = { name: bucketName, definition };
    }
  } finally {
    client.destroy();
  }
  // The objects live in the fauxqs app, which the SQS stand-in stops.
  return { endpoint: options.endpoint, buckets, stop: async () => {} };
}

async function restoreObjects(client: S3Client, dataDir: string, bucket: string): Promise<void> {
  const directory = join(dataDir, bucket);
  let files: string[];
  try {
    files = readdirSync(directory);
  } catch {
    return;
  }
  for (const file of files) {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: decodeURIComponent(file),
        Body: readFileSync(join(directory, file)),
        ContentType: 'application/octet-stream',
      }),
    );
  }
}

/** One flat file name per key: slashes and all, percent-encoded. */
function objectPath(dataDir: string, bucket: string, key: string): string {
  return join(dataDir, bucket, encodeURIComponent(key));
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
