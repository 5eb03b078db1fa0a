import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type HttpRequest, HttpResponse } from '@smithy/core/protocols';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { S3BlobStore, S3RequestError } from './s3-blob-store';

const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//token+with/slashes=',
};
const REGION = 'eu-west-1';
const BUCKET = 'parley-dev-blobs-123456789012-eu-west-1';

/** Keys as Parley writes them, and keys with every kind of character S3 wants encoded. */
const KEYS = [
  't/conv_01JABCDEF/12/user-1/0123abcdef',
  't/a b+c/é☃ 日本語/x',
  "w/!'()*~._-/%2F&=?#;:@$,[]",
  'w//double//slash/',
];

/** One request as sent, reduced to what S3 reads of it. */
interface Sent {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | undefined;
}

/**
 * A request handler for both the S3 client and the adapter: records each
 * request and answers with a canned response (the body, if any, a stream, as
 * Node's HTTP client gives it).
 */
class Recorder {
  readonly sent: Sent[] = [];
  constructor(private readonly answer = { statusCode: 200, body: new Uint8Array() }) {}

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const query = new URLSearchParams(request.query as Record<string, string>).toString();
    const port = request.port === undefined ? '' : `:${request.port}`;
    this.sent.push({
      method: request.method,
      url: `${request.protocol}//${request.hostname}${port}${request.path}${query ? `?${query}` : ''}`,
      headers: { ...request.headers },
      body: request.body as Uint8Array | undefined,
    });
    return {
      response: new HttpResponse({
        statusCode: this.answer.statusCode,
        headers: {},
        body: Readable.from([Buffer.from(this.answer.body)]),
      }),
    };
  }

  updateHttpClientConfig(): void {}
  httpHandlerConfigs() {
    return {};
  }
}

/**
 * The SDK's S3 client, sending through the recorder. Its own extras are left
 * out before it signs, as the adapter does not send them: its telemetry
 * headers (user agent, invocation id, attempt count), the `x-id` query
 * parameter naming the operation (S3 ignores both), and the optional CRC32
 * checksums of bodies.
 */
function sdkClient(recorder: Recorder, endpoint: string | undefined): S3Client {
  const client = new S3Client({
    region: REGION,
    credentials: CREDENTIALS,
    requestHandler: recorder,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
  client.middlewareStack.addRelativeTo(
    (next: FinalizeHandler<object, MetadataBearer>) => async (args: FinalizeHandlerArguments<object>) => {
      const request = args.request as HttpRequest;
      for (const name of ['x-amz-user-agent', 'amz-sdk-invocation-id', 'amz-sdk-request']) {
        delete request.headers[name];
      }
      delete request.query['x-id'];
      return next(args);
    },
    { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'leaveOutSdkExtras' },
  );
  return client;
}

/** Everything but the user agent, which is never signed. */
const withoutUserAgent = ({ headers, ...sent }: Sent) => {
  const { 'user-agent': _, ...signable } = headers;
  return { ...sent, headers: signable };
};

describe('S3BlobStore signs each request as the S3 client does', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-12-04T23:59:58.500Z'), toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe.each([
    { style: 'virtual-hosted-style, on AWS', endpoint: undefined },
    { style: 'path-style, against a local stand-in', endpoint: 'http://127.0.0.1:4566' },
  ])('$style', ({ endpoint }) => {
    it.each(KEYS)('PUT, GET and DELETE of %j', async (key) => {
      const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
      const sdk = new Recorder();
      const client = sdkClient(sdk, endpoint);
      await client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: bytes,
          ContentType: 'application/octet-stream',
        }),
      );
      await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));

      const ours = new Recorder();
      const blobs = new S3BlobStore({
        bucketName: BUCKET,
        region: REGION,
        credentials: CREDENTIALS,
        endpoint,
        requestHandler: ours,
      });
      await blobs.put(key, bytes);
      await blobs.get(key);
      await blobs.delete(key);

      expect(sdk.sent.map((sent) => sent.method)).toEqual(['PUT', 'GET', 'DELETE']);
      for (const [index, expected] of sdk.sent.entries()) {
        const actual = ours.sent[index] as Sent;
        expect(actual.method).toBe(expected.method);
        expect(actual.url).toBe(expected.url);
        expect(actual.headers.authorization).toBe(expected.headers.authorization);
        expect(actual.headers['x-amz-date']).toBe(expected.headers['x-amz-date']);
        expect(actual.headers['x-amz-content-sha256']).toBe(expected.headers['x-amz-content-sha256']);
        // And nothing else differs: the same headers, the same body.
        expect(withoutUserAgent(actual)).toEqual(withoutUserAgent(expected));
      }
      const [put] = ours.sent;
      expect(put?.url).toMatch(
        endpoint ? `${endpoint}/${BUCKET}/` : `https://${BUCKET}.s3.${REGION}.amazonaws.com/`,
      );
      expect(put?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20261204\/eu-west-1\/s3\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
      );
      expect(put?.headers['x-amz-date']).toBe('20261204T235958Z');
      client.destroy();
    });
  });

  it('encodes each segment of the key, and keeps its slashes', async () => {
    const recorder = new Recorder();
    const blobs = new S3BlobStore({
      bucketName: BUCKET,
      region: REGION,
      credentials: CREDENTIALS,
      requestHandler: recorder,
    });

    await blobs.delete("t/a b+c/é☃/!'()*~");

    expect(recorder.sent[0]?.url).toBe(
      `https://${BUCKET}.s3.${REGION}.amazonaws.com/t/a%20b%2Bc/%C3%A9%E2%98%83/%21%27%28%29%2A~`,
    );
  });
});

/** A stand-in for S3 on 127.0.0.1 that answers each request as the test says. */
describe('S3BlobStore over HTTP', () => {
  let server: Server;
  let endpoint: string;
  let answer: (request: IncomingMessage, body: Buffer, response: ServerResponse) => void;
  const received: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }[] = [];
  let blobs: S3BlobStore;

  const errorXml = (code: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>Something</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>`;
  const replyXml = (response: ServerResponse, status: number, code: string) => {
    response.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': '4442587FB7D0A2F9' });
    response.end(errorXml(code));
  };

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        received.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body,
        });
        answer(request, body, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    blobs = new S3BlobStore({ bucketName: 'bucket', region: REGION, credentials: CREDENTIALS, endpoint });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  });
  beforeEach(() => {
    received.length = 0;
  });

  it('sends the bytes as they are, signed, and reads a body that arrives in many chunks', async () => {
    const bytes = new Uint8Array(3 * 1024 * 1024 + 7).map((_, index) => (index * 31) % 256);
    answer = (request, _body, response) => {
      if (request.method === 'PUT') {
        response.writeHead(200, { etag: '"x"' });
        response.end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      // Written in 64 KiB pieces, so the client reads a stream of many chunks.
      for (let offset = 0; offset < bytes.byteLength; offset += 65536) {
        response.write(bytes.subarray(offset, offset + 65536));
      }
      response.end();
    };

    await blobs.put('t/c/1/u/big one', bytes);
    const read = await blobs.get('t/c/1/u/big one');

    const [put, get] = received;
    expect(put?.url).toBe('/bucket/t/c/1/u/big%20one');
    expect(put?.body.equals(bytes)).toBe(true);
    expect(put?.headers).toMatchObject({
      host: endpoint.slice('http://'.length),
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.byteLength),
      'x-amz-security-token': CREDENTIALS.sessionToken,
    });
    expect(put?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\//);
    expect(get?.method).toBe('GET');
    expect(read).toBeInstanceOf(Uint8Array);
    expect(read && Buffer.from(read).equals(Buffer.from(bytes))).toBe(true);
  });

  it('gives an empty object back as empty bytes', async () => {
    answer = (_request, _body, response) => {
      response.writeHead(200, { 'content-length': '0' });
      response.end();
    };

    expect(await blobs.get('t/empty')).toEqual(new Uint8Array());
  });

  it('reads a missing key as undefined, and deletes one without complaint', async () => {
    answer = (request, _body, response) => {
      if (request.method === 'DELETE') {
        response.writeHead(204);
        response.end();
      } else replyXml(response, 404, 'NoSuchKey');
    };

    expect(await blobs.get('t/missing')).toBeUndefined();
    await expect(blobs.delete('t/missing')).resolves.toBeUndefined();
  });

  it('throws on a refusal, with its status, S3 error code and request id', async () => {
    answer = (_request, _body, response) => replyXml(response, 403, 'AccessDenied');

    for (const attempt of [
      () => blobs.put('t/denied', new Uint8Array([1])),
      () => blobs.get('t/denied'),
      () => blobs.delete('t/denied'),
    ]) {
      const error = await attempt().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(S3RequestError);
      expect(error).toMatchObject({ status: 403, code: 'AccessDenied', requestId: '4442587FB7D0A2F9' });
      expect((error as Error).message).toMatch(/^S3 (PUT|GET|DELETE) answered 403 AccessDenied/);
    }
  });

  it('throws on a missing bucket, without trying again', async () => {
    answer = (_request, _body, response) => replyXml(response, 404, 'NoSuchBucket');

    await expect(blobs.get('t/x')).rejects.toMatchObject({ status: 404, code: 'NoSuchBucket' });
    expect(received).toHaveLength(1);
  });

  it('tries three times on a server error, then throws, even without a body', async () => {
    answer = (_request, _body, response) => {
      response.writeHead(500);
      response.end();
    };

    await expect(blobs.put('t/x', new Uint8Array([1]))).rejects.toMatchObject({
      status: 500,
      code: undefined,
      message: 'S3 PUT answered 500',
    });
    expect(received.map((request) => request.method)).toEqual(['PUT', 'PUT', 'PUT']);
  });

  it('tries again when throttled, or when the connection drops', async () => {
    let calls = 0;
    answer = (request, _body, response) => {
      calls += 1;
      if (calls === 1) replyXml(response, 503, 'SlowDown');
      else if (calls === 2) request.socket.destroy();
      else {
        response.writeHead(200);
        response.end(Buffer.from([5, 6]));
      }
    };

    expect(await blobs.get('t/busy')).toEqual(new Uint8Array([5, 6]));
    expect(received).toHaveLength(3);
    expect(received.every((request) => request.headers.authorization?.startsWith('AWS4-HMAC-SHA256 '))).toBe(
      true,
    );
  });
});
