import { createECDH } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPushService, startPushService } from '../../../infra/local/push-service';
import { VAPID_KEYS_TTL_IN_MS, type VapidKeys, WebPushService } from './web-push-service';

function keyPair(): VapidKeys {
  const ecdh = createECDH('prime256v1');
  return {
    publicKey: ecdh.generateKeys().toString('base64url'),
    privateKey: ecdh.getPrivateKey().toString('base64url'),
  };
}

describe('Web Push through a push service that checks VAPID', () => {
  let dataDir: string;
  let pushService: LocalPushService;
  let agent: Agent;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-web-push-'));
    pushService = await startPushService({ dataDir });
    agent = new Agent({ ca: readFileSync(pushService.caFile) });
  });
  afterAll(async () => {
    agent.destroy();
    await pushService.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs with a rotated key pair once the one it read is older than the keys’ lifetime, not before', async () => {
    let stored = keyPair();
    let reads = 0;
    let now = 1_000_000;
    const service = new WebPushService(
      async () => {
        reads++;
        return stored;
      },
      'mailto:ops@example.com',
      agent,
      () => now,
    );
    const push = (subscription: { endpoint: string; keys: { p256dh: string; auth: string } }) =>
      service.send({
        destination: { endpoint: subscription.endpoint, ...subscription.keys },
        payload: '{"type":"test"}',
        ttlSeconds: 60,
        topic: 'test',
        urgency: 'high',
      });

    const before = pushService.subscribe(stored.publicKey);
    expect(await push(before)).toEqual({ kind: 'sent' });

    // The stage's pair is rotated; a browser that opens the app subscribes again with the new public key.
    stored = keyPair();
    const after = pushService.subscribe(stored.publicKey);
    now += VAPID_KEYS_TTL_IN_MS - 1;
    // Still the old pair: the push service refuses it for the new subscription, and takes it for the old one.
    expect(await push(after)).toEqual({ kind: 'refused', status: 403 });
    expect(await push(before)).toEqual({ kind: 'sent' });
    expect(reads).toBe(1);

    now += 1;
    expect(await push(after)).toEqual({ kind: 'sent' });
    expect(reads).toBe(2);
    expect(pushService.received(after.endpoint)).toHaveLength(1);
  });

  it('reads the keys again on the next push when a read failed', async () => {
    let fail = true;
    const pair = keyPair();
    const service = new WebPushService(
      async () => {
        if (fail) throw new Error('SSM is down');
        return pair;
      },
      'mailto:ops@example.com',
      agent,
    );
    const subscription = pushService.subscribe(pair.publicKey);
    const push = () =>
      service.send({
        destination: { endpoint: subscription.endpoint, ...subscription.keys },
        payload: '{}',
        ttlSeconds: 60,
        topic: 'test',
        urgency: 'high',
      });
    await expect(push()).rejects.toThrow('SSM is down');
    fail = false;
    expect(await push()).toEqual({ kind: 'sent' });
  });
});
