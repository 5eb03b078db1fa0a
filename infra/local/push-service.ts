import { execFileSync } from 'node:child_process';
import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  type ECDH,
  hkdfSync,
  randomBytes,
  randomUUID,
  verify,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { readBody } from './gateway/wire';
import { close, LOCAL_HOST, listen } from './listen';

/** A push as the stand-in received it: the request's RFC 8030 headers, the VAPID claims, the decrypted payload. */
export interface ReceivedPush {
  readonly endpoint: string;
  readonly ttl: number;
  readonly topic?: string;
  readonly urgency?: string;
  /** The VAPID token's claims (RFC 8292 §2), checked. */
  readonly vapid: { readonly aud: string; readonly exp: number; readonly sub: string };
  /** The payload as the browser would read it, decrypted with the subscription's keys (RFC 8291). */
  readonly payload: string;
  /** The encrypted body's length in bytes: all the push service itself ever sees of the payload. */
  readonly bodyBytes: number;
  /** When it arrived (epoch ms). */
  readonly receivedAt: number;
}

/** A browser's subscription at the stand-in: what `PushSubscription.toJSON()` gives. */
export interface StandInSubscription {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

export interface LocalPushService {
  /** The stand-in's origin, `https://127.0.0.1:{port}`. */
  readonly origin: string;
  /** The PEM certificate it serves: the functions trust it (`PUSH_SERVICE_CA_FILE`). */
  readonly caFile: string;
  /**
   * Subscribes as a browser would with the stage's VAPID public key: the stand-in keeps the private half
   * of the subscription's keys, to decrypt what arrives, and refuses pushes signed with another key.
   */
  subscribe(applicationServerKey: string): StandInSubscription;
  /** Every push accepted for a subscription, in order of arrival. */
  received(endpoint: string): readonly ReceivedPush[];
  /** Every push accepted, for any subscription. */
  all(): readonly ReceivedPush[];
  /** Answers the next `count` pushes to `endpoint` with `status` (and headers) instead, then as before. */
  answerNext(
    endpoint: string,
    status: number,
    options?: { count?: number; headers?: Record<string, string> },
  ): void;
  /** From now on the subscription is gone: every push to it is answered 410, as push services do. */
  expire(endpoint: string): void;
  /** Requests refused (bad VAPID token, wrong key, undecryptable body, or as `answerNext` asked), with why. */
  readonly refusals: ReadonlyArray<{
    readonly endpoint: string;
    readonly status: number;
    readonly reason: string;
  }>;
  stop(): Promise<void>;
}

interface Subscription {
  readonly ecdh: ECDH;
  readonly auth: Buffer;
  readonly applicationServerKey: string;
  gone: boolean;
  readonly scripted: Array<{ status: number; headers: Record<string, string> }>;
  readonly received: ReceivedPush[];
}

const MAX_BODY_IN_BYTES = 4096 + 1024;
/** RFC 8292 §2: a token must not expire more than 24 hours from when it was made. */
const MAX_TOKEN_LIFETIME_IN_SECONDS = 24 * 60 * 60;

/**
 * A Web Push service (RFC 8030) for the local stack and its tests, served over HTTPS with a certificate of
 * its own (made once with `openssl` under `{dataDir}`). It checks each push as a real one does: the VAPID
 * token (ES256 over the stand-in's origin, not expired, a contact in `sub`, signed by the key the
 * subscription was made with), a `TTL` header, and `aes128gcm` content. It then decrypts the payload with
 * the subscription's private key, which a real push service never holds, so tests see exactly what a
 * browser would be handed.
 */
export async function startPushService(options: {
  dataDir: string;
  port?: number;
}): Promise<LocalPushService> {
  const { keyFile, certFile } = certificate(options.dataDir);
  const subscriptions = new Map<string, Subscription>();
  const refusals: Array<{ endpoint: string; status: number; reason: string }> = [];
  let origin = '';

  const server = createServer(
    { key: readFileSync(keyFile), cert: readFileSync(certFile) },
    (request, response) => {
      handle(request, response).catch(() => {
        if (!response.headersSent) response.writeHead(500).end();
      });
    },
  );
  const port = await listen(server as unknown as import('node:http').Server, options.port ?? 0);
  origin = `https://${LOCAL_HOST}:${port}`;

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const endpoint = `${origin}${request.url ?? ''}`;
    const subscription = subscriptions.get(endpoint);
    const refuse = (status: number, reason: string) => {
      refusals.push({ endpoint, status, reason });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(reason);
    };
    if (request.method !== 'POST') return refuse(405, 'Only POST');
    if (!subscription) return refuse(404, 'No such subscription');
    if (subscription.gone) return refuse(410, 'The subscription has expired');
    const scripted = subscription.scripted.shift();
    if (scripted) {
      refusals.push({ endpoint, status: scripted.status, reason: 'Answered as the test asked' });
      response.writeHead(scripted.status, scripted.headers).end();
      return;
    }
    const body = await readBody(request, MAX_BODY_IN_BYTES);
    if (!body) return refuse(413, 'Payload too large');
    const vapid = checkVapid(request.headers.authorization, subscription.applicationServerKey, origin);
    if (typeof vapid === 'string') return refuse(403, vapid);
    const ttl = Number(request.headers.ttl);
    if (request.headers.ttl === undefined || !Number.isInteger(ttl) || ttl < 0) return refuse(400, 'No TTL');
    if (request.headers['content-encoding'] !== 'aes128gcm') return refuse(415, 'Not aes128gcm');
    let payload: string;
    try {
      payload = decrypt(body, subscription.ecdh, subscription.auth).toString('utf8');
    } catch (error) {
      return refuse(400, `Undecryptable: ${(error as Error).message}`);
    }
    const topic = header(request, 'topic');
    const urgency = header(request, 'urgency');
    subscription.received.push({
      endpoint,
      ttl,
      ...(topic ? { topic } : {}),
      ...(urgency ? { urgency } : {}),
      vapid,
      payload,
      bodyBytes: body.length,
      receivedAt: Date.now(),
    });
    response.writeHead(201, { location: `${origin}/message/${randomUUID()}` }).end();
  }

  return {
    origin,
    caFile: certFile,
    subscribe(applicationServerKey) {
      const ecdh = createECDH('prime256v1');
      const p256dh = ecdh.generateKeys();
      const auth = randomBytes(16);
      const endpoint = `${origin}/push/${randomBytes(24).toString('base64url')}`;
      subscriptions.set(endpoint, {
        ecdh,
        auth,
        applicationServerKey,
        gone: false,
        scripted: [],
        received: [],
      });
      return { endpoint, keys: { p256dh: p256dh.toString('base64url'), auth: auth.toString('base64url') } };
    },
    received: (endpoint) => [...(subscriptions.get(endpoint)?.received ?? [])],
    all: () => [...subscriptions.values()].flatMap((subscription) => subscription.received),
    answerNext(endpoint, status, answer = {}) {
      const subscription = subscriptions.get(endpoint);
      if (!subscription) throw new Error(`No subscription ${endpoint}`);
      for (let index = 0; index < (answer.count ?? 1); index += 1) {
        subscription.scripted.push({ status, headers: answer.headers ?? {} });
      }
    },
    expire(endpoint) {
      const subscription = subscriptions.get(endpoint);
      if (subscription) subscription.gone = true;
    },
    refusals,
    stop: () => close(server as unknown as import('node:http').Server),
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The VAPID claims when the `Authorization: vapid t=…, k=…` header holds a valid token, else why not. */
function checkVapid(
  authorization: string | undefined,
  applicationServerKey: string,
  origin: string,
): ReceivedPush['vapid'] | string {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!match) return 'No VAPID authorization';
  const [, token = '', key = ''] = match;
  if (key !== applicationServerKey) return 'Signed with another key than the subscription was made with';
  const [head = '', claims = '', signature = ''] = token.split('.');
  const point = Buffer.from(key, 'base64url');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const signed = verify(
    'sha256',
    Buffer.from(`${head}.${claims}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  if (!signed) return 'Bad VAPID signature';
  const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: string };
  if (header.alg !== 'ES256') return 'VAPID token is not ES256';
  const body = JSON.parse(Buffer.from(claims, 'base64url').toString()) as {
    aud?: string;
    exp?: number;
    sub?: string;
  };
  const now = Math.floor(Date.now() / 1000);
  if (body.aud !== origin) return `VAPID audience ${body.aud} is not ${origin}`;
  if (typeof body.exp !== 'number' || body.exp <= now || body.exp > now + MAX_TOKEN_LIFETIME_IN_SECONDS) {
    return 'VAPID token expired or too long-lived';
  }
  if (typeof body.sub !== 'string' || !/^(mailto:|https:)/.test(body.sub))
    return 'VAPID subject is no contact';
  return { aud: body.aud, exp: body.exp, sub: body.sub };
}

/**
 * Decrypts an `aes128gcm` Web Push body (RFC 8188 framing, RFC 8291 keys) with the subscription's private
 * key and auth secret. One record, as push payloads are.
 */
export function decrypt(body: Buffer, ecdh: ECDH, auth: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const idLength = body.readUInt8(20);
  const senderKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  const secret = ecdh.computeSecret(senderKey);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), senderKey]);
  const ikm = Buffer.from(hkdfSync('sha256', secret, auth, info, 32));
  const key = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', key, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 2) throw new Error('No last-record delimiter');
  return padded.subarray(0, end);
}

/** The stand-in's key and self-signed certificate for 127.0.0.1, made once with `openssl`. */
function certificate(dataDir: string): { keyFile: string; certFile: string } {
  const dir = join(dataDir, 'push');
  const keyFile = join(dir, 'push-service-key.pem');
  const certFile = join(dir, 'push-service-cert.pem');
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    mkdirSync(dir, { recursive: true });
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '3650',
        '-subj',
        `/CN=${LOCAL_HOST}`,
        '-addext',
        `subjectAltName=IP:${LOCAL_HOST}`,
      ],
      { stdio: 'ignore' },
    );
  }
  return { keyFile, certFile };
}
