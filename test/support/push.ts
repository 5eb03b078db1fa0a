import { createECDH, randomBytes } from 'node:crypto';

/**
 * A push subscription's JSON as a browser's `PushSubscription.toJSON()` gives it, with real keys: an
 * uncompressed P-256 public key and a 16-byte secret, both base64url without padding.
 */
export function browserPushSubscription(
  endpoint = `https://push.example.com/wpush/v2/${randomBytes(24).toString('base64url')}`,
) {
  const ecdh = createECDH('prime256v1');
  return {
    endpoint,
    expirationTime: null,
    keys: { p256dh: ecdh.generateKeys().toString('base64url'), auth: randomBytes(16).toString('base64url') },
  };
}
