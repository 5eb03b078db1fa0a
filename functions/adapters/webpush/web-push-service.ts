import type { Agent } from 'node:https';
import webpush from 'web-push';
import type { PushOutcome, PushRequest, PushService } from '../../ports/push-service';

/** A stage's VAPID key pair (RFC 8292), URL-safe base64. */
export interface VapidKeys {
  readonly publicKey: string;
  readonly privateKey: string;
}

/** How long one push request may take before it counts as failed (and is tried again later). */
const REQUEST_TIMEOUT_IN_MS = 5_000;

/**
 * How long a function keeps the key pair it read. A rotated pair (`-c vapidKeyRotation`, see
 * docs/operations.md) reaches every warm sender within this time; until then a sender still signs with the
 * old key, which browsers subscribed since refuse (403, not retried). One SSM read per sender per period.
 */
export const VAPID_KEYS_TTL_IN_MS = 5 * 60 * 1000;

/**
 * Web Push with the `web-push` library: it encrypts each payload to its subscription (RFC 8291,
 * `aes128gcm`), signs a VAPID token for the push service's origin (RFC 8292) and posts it (RFC 8030).
 * The keys are read when the first push goes, and again once they are {@link VAPID_KEYS_TTL_IN_MS} old.
 */
export class WebPushService implements PushService {
  private keys: { readonly value: Promise<VapidKeys>; readonly readAt: number } | undefined;

  constructor(
    private readonly loadKeys: () => Promise<VapidKeys>,
    /** The VAPID `sub`: how a push service's operators can reach the stage's. */
    private readonly subject: string,
    /** An agent trusting the local push-service stand-in's certificate; unset on AWS. */
    private readonly agent?: Agent,
    private readonly now: () => number = Date.now,
  ) {}

  async send(request: PushRequest): Promise<PushOutcome> {
    const keys = await this.currentKeys();
    const { endpoint, p256dh, auth } = request.destination;
    try {
      await webpush.sendNotification({ endpoint, keys: { p256dh, auth } }, request.payload, {
        vapidDetails: { subject: this.subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
        TTL: request.ttlSeconds,
        topic: request.topic,
        urgency: request.urgency,
        contentEncoding: 'aes128gcm',
        timeout: REQUEST_TIMEOUT_IN_MS,
        ...(this.agent ? { agent: this.agent } : {}),
      });
      return { kind: 'sent' };
    } catch (error) {
      if (!(error instanceof webpush.WebPushError)) return { kind: 'retry' };
      return outcomeOf(error.statusCode, error.headers);
    }
  }

  /** The pair, read again once it is old; a failed read is not kept, so the next push tries again. */
  private currentKeys(): Promise<VapidKeys> {
    const now = this.now();
    if (!this.keys || now - this.keys.readAt >= VAPID_KEYS_TTL_IN_MS) {
      const value = this.loadKeys().catch((error: unknown) => {
        if (this.keys?.value === value) this.keys = undefined;
        throw error;
      });
      this.keys = { value, readAt: now };
    }
    return this.keys.value;
  }
}

/** What a push service's refusal means for the subscription and the push. */
export function outcomeOf(
  status: number,
  headers: Record<string, string | string[] | undefined>,
): PushOutcome {
  if (status === 404 || status === 410) return { kind: 'gone', status };
  if (status === 429 || status >= 500) {
    const afterSeconds = retryAfterSeconds(headers['retry-after']);
    return { kind: 'retry', status, ...(afterSeconds === undefined ? {} : { afterSeconds }) };
  }
  return { kind: 'refused', status };
}

/** `Retry-After` as seconds from now: a number of seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterSeconds(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim());
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
