import { Sha256 } from '@smithy/core/checksum';
import { escapeUri, HttpRequest, type HttpResponse } from '@smithy/core/protocols';
import { streamCollector } from '@smithy/core/serde';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { BlobStore } from '../../ports/blob-store';

/** What sends a signed request: the SDK's `NodeHttpHandler`, or a test's recorder. */
export interface S3RequestHandler {
  handle(request: HttpRequest): Promise<{ response: HttpResponse }>;
}

export interface S3BlobStoreOptions {
  readonly bucketName: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * Base URL of a local stand-in, addressed path-style (`{endpoint}/{bucket}/{key}`).
   * Unset on AWS: virtual-hosted-style, `https://{bucket}.s3.{region}.amazonaws.com/{key}`.
   */
  readonly endpoint?: string | undefined;
  /** A `NodeHttpHandler` unless given. */
  readonly requestHandler?: S3RequestHandler;
}

/** A request S3 answered with a status other than the ones expected; `code` is S3's error code. */
export class S3RequestError extends Error {
  constructor(
    readonly method: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly requestId: string | undefined,
  ) {
    super(
      `S3 ${method} answered ${status}${code ? ` ${code}` : ''}${requestId ? ` (request ${requestId})` : ''}`,
    );
    this.name = 'S3RequestError';
  }
}

/**
 * Blobs as objects of one S3 bucket. The bytes are opaque ciphertext: stored
 * as `application/octet-stream`, encrypted at rest by the bucket's default.
 *
 * No S3 client: each of the four requests (`PUT`, `GET`, `HEAD`, `DELETE` of one
 * object) is signed with SigV4 as the SDK's S3 client signs it (service `s3`,
 * the path not escaped twice, the payload's SHA-256 in `x-amz-content-sha256`)
 * and sent with the HTTP handler the other SDK clients of a bundle already
 * carry. The S3 client would add about 45 KiB gzip to a function bundle.
 */
export class S3BlobStore implements BlobStore {
  private readonly signer: SignatureV4;
  private readonly handler: S3RequestHandler;
  private readonly protocol: string;
  private readonly hostname: string;
  private readonly port: number | undefined;
  /** What precedes the key in the path: the bucket when path-style. */
  private readonly pathPrefix: string;

  constructor(options: S3BlobStoreOptions) {
    this.signer = new SignatureV4({
      service: 's3',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
      uriEscapePath: false,
      applyChecksum: true,
    });
    this.handler = options.requestHandler ?? new NodeHttpHandler();
    if (options.endpoint) {
      const url = new URL(options.endpoint);
      this.protocol = url.protocol;
      this.hostname = url.hostname;
      this.port = url.port ? Number(url.port) : undefined;
      this.pathPrefix = `${url.pathname.replace(/\/+$/, '')}/${options.bucketName}`;
    } else {
      this.protocol = 'https:';
      this.hostname = `${options.bucketName}.s3.${options.region}.amazonaws.com`;
      this.port = undefined;
      this.pathPrefix = '';
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const answer = await this.send('PUT', key, bytes);
    if (!ok(answer.status)) throw failure('PUT', answer);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const answer = await this.send('GET', key);
    if (ok(answer.status)) return answer.body;
    if (isMissingKey(answer)) return undefined;
    throw failure('GET', answer);
  }

  /** The object's size in bytes (a HEAD request), or undefined when there is none. */
  async size(key: string): Promise<number | undefined> {
    const answer = await this.send('HEAD', key);
    if (ok(answer.status)) return Number(contentLengthOf(answer.headers));
    // A HEAD answer has no body, so no error code: a 404 is the key's (a missing bucket would fail its GETs too).
    if (answer.status === 404) return undefined;
    throw failure('HEAD', answer);
  }

  async delete(key: string): Promise<void> {
    // S3 answers a delete of a missing key with 204 as well.
    const answer = await this.send('DELETE', key);
    if (!ok(answer.status) && !isMissingKey(answer)) throw failure('DELETE', answer);
  }

  /** The bucket's own URL, with a trailing slash: where a browser's form upload is posted. */
  get bucketUrl(): string {
    const port = this.port === undefined ? '' : `:${this.port}`;
    return `${this.protocol}//${this.hostname}${port}${this.pathPrefix}/`;
  }

  /**
   * A link that GETs the object under `key` until `expiresAt`, signed as of `now` (both epoch ms): what the
   * SDK's `getSignedUrl` makes, without the S3 client it needs. The payload is not signed, as S3 wants for a link.
   */
  async presignedGet(key: string, now: number, expiresAt: number): Promise<string> {
    const request = this.request('GET', key, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' });
    const signed = await this.signer.presign(request, {
      signingDate: new Date(now),
      expiresIn: Math.max(1, Math.floor((expiresAt - now) / 1000)),
    });
    const url = new URL(`${this.bucketUrl}${encodeKey(key)}`);
    for (const [name, value] of Object.entries(signed.query ?? {})) url.searchParams.set(name, String(value));
    return url.href;
  }

  /**
   * The request as S3 expects it, signed, sent, and its whole answer read.
   * Retried as the SDK's clients retry (standard mode: three attempts, backing
   * off): on a server error or throttling, or when the connection fails (a
   * kept-alive socket may have been closed while the environment was frozen).
   * All four requests are idempotent.
   */
  private async send(
    method: 'PUT' | 'GET' | 'HEAD' | 'DELETE',
    key: string,
    body?: Uint8Array,
  ): Promise<S3Answer> {
    for (let attempt = 1; ; attempt++) {
      // Signed at each attempt, as the SDK does: the signature carries the time.
      const signed = await this.signed(method, key, body);
      try {
        const { response } = await this.handler.handle(signed);
        // Read every answer to its end, so that its connection goes back to the pool.
        const bytes: Uint8Array = response.body ? await streamCollector(response.body) : new Uint8Array();
        const answer = { status: response.statusCode, headers: response.headers, body: bytes };
        if (attempt === MAX_ATTEMPTS || !RETRIED_STATUSES.has(answer.status)) return answer;
      } catch (error) {
        if (attempt === MAX_ATTEMPTS) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * BASE_DELAY_IN_MS * 2 ** attempt));
    }
  }

  private async signed(method: string, key: string, body: Uint8Array | undefined): Promise<HttpRequest> {
    const headers: Record<string, string> = body
      ? { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) }
      : {};
    // A clone of the `HttpRequest` given, though typed as the plain interface.
    return (await this.signer.sign(this.request(method, key, headers, body))) as HttpRequest;
  }

  /** The unsigned request for the object under `key`, addressed as this store addresses the bucket. */
  private request(
    method: string,
    key: string,
    headers: Record<string, string>,
    body?: Uint8Array,
  ): HttpRequest {
    return new HttpRequest({
      method,
      protocol: this.protocol,
      hostname: this.hostname,
      ...(this.port === undefined ? {} : { port: this.port }),
      path: `${this.pathPrefix}/${encodeKey(key)}`,
      headers: {
        host: this.port === undefined ? this.hostname : `${this.hostname}:${this.port}`,
        ...headers,
      },
      ...(body ? { body } : {}),
    });
  }
}

/** As the SDK's standard retry mode. */
const MAX_ATTEMPTS = 3;
const BASE_DELAY_IN_MS = 100;
/** Transient server errors; S3 throttles with 503 `SlowDown`. */
const RETRIED_STATUSES = new Set([429, 500, 502, 503, 504]);

interface S3Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

/**
 * Each segment of the key URI-encoded as S3 expects (RFC 3986 unreserved
 * characters kept, `!'()*` encoded too), its slashes kept: the SDK's encoding of a key.
 */
function encodeKey(key: string): string {
  return key.split('/').map(escapeUri).join('/');
}

const ok = (status: number) => status >= 200 && status < 300;

/** The `content-length` header, whatever case the handler gave its name. */
function contentLengthOf(headers: Record<string, string>): string | undefined {
  return Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-length')?.[1];
}

/** S3's error code, from the XML body of an error answer. */
function errorCode(answer: S3Answer): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(new TextDecoder().decode(answer.body))?.[1];
}

/** 404 for the key, not for the bucket: a missing bucket is a misconfiguration, not an absent blob. */
function isMissingKey(answer: S3Answer): boolean {
  if (answer.status !== 404) return false;
  const code = errorCode(answer);
  return code === undefined || code === 'NoSuchKey';
}

function failure(method: string, answer: S3Answer): S3RequestError {
  return new S3RequestError(method, answer.status, errorCode(answer), answer.headers['x-amz-request-id']);
}
