/** Where one push goes and the keys its payload is encrypted to (a browser's `PushSubscription`). */
export interface PushDestination {
  readonly endpoint: string;
  /** The subscription's P-256 public key, URL-safe base64 (RFC 8291 `p256dh`). */
  readonly p256dh: string;
  /** The subscription's authentication secret, URL-safe base64 (RFC 8291 `auth`). */
  readonly auth: string;
}

export interface PushRequest {
  readonly destination: PushDestination;
  /** The plaintext payload; the service encrypts it to the destination (RFC 8291, `aes128gcm`). */
  readonly payload: string;
  /** RFC 8030 `Topic`: an undelivered push with the same topic is replaced by this one. */
  readonly topic: string;
  /** RFC 8030 `TTL`: how long the push service keeps it for a device that is offline. */
  readonly ttlSeconds: number;
  /** RFC 8030 `Urgency`. */
  readonly urgency: 'very-low' | 'low' | 'normal' | 'high';
}

/**
 * What the push service answered.
 * - `sent`: it took the push (201).
 * - `gone`: the subscription is no more (404, 410): never push to it again.
 * - `retry`: try later, after `afterSeconds` when it said (429 with `Retry-After`, 5xx, no answer).
 * - `refused`: it will never take this push (400, 401, 403, 413): retrying would not help.
 */
export type PushOutcome =
  | { readonly kind: 'sent' }
  | { readonly kind: 'gone'; readonly status: number }
  | { readonly kind: 'retry'; readonly status?: number; readonly afterSeconds?: number }
  | { readonly kind: 'refused'; readonly status: number };

/** A Web Push sender (RFC 8030), signing with the stage's VAPID key (RFC 8292). */
export interface PushService {
  send(request: PushRequest): Promise<PushOutcome>;
}
