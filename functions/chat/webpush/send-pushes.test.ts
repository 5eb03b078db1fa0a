import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryDeps, seedConversation } from '../../../test/support/fixtures';
import { browserPushSubscription } from '../../../test/support/push';
import { InMemoryDeviceDirectory } from '../../adapters/memory/memory-device-directory';
import { InMemoryPushService } from '../../adapters/memory/memory-push-service';
import type { PushJob } from '../../ports/push-queue';
import { MAX_PUSH_ATTEMPTS, PUSH_TTL_IN_SECONDS, retryDelay, sendPushes } from './send-pushes';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const HOUR = 60 * 60 * 1000;

describe('sendPushes', () => {
  let deps: ReturnType<typeof memoryDeps> & {
    devices: InMemoryDeviceDirectory;
    pushService: InMemoryPushService;
  };
  let send: ReturnType<typeof sendPushes>;
  const endpoints = new Map<string, string>();

  /** Registers a device that takes pushes, with the given preview setting. */
  async function subscribe(userId: string, deviceId: string, preview: 'name' | 'none' = 'name') {
    await deps.devices.registerIfAbsent({
      userId,
      deviceId,
      signaturePublicKey: new Uint8Array(32),
      createdAt: T0,
    });
    const browser = browserPushSubscription();
    await deps.devices.setPushSubscription({
      userId,
      deviceId,
      endpoint: browser.endpoint,
      p256dh: browser.keys.p256dh,
      auth: browser.keys.auth,
      preview,
      updatedAt: T0,
    });
    await deps.connections.setPushDevice(userId, deviceId, true);
    endpoints.set(`${userId}/${deviceId}`, browser.endpoint);
    return browser.endpoint;
  }

  const job = (
    conversationId: string,
    seq: number,
    targets: PushJob['targets'],
    extra: Partial<PushJob> = {},
  ) => ({
    correlationId: `c-${seq}`,
    conversationId,
    seq,
    count: 1,
    senderId: 'alice',
    targets,
    ...extra,
  });
  const pushDevicesOf = async (userId: string) =>
    (await deps.connections.reachOf([userId], T0))[0]?.pushDevices;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = {
      ...memoryDeps({
        profiles: [
          {
            userId: 'alice',
            username: 'alice',
            displayName: 'Alice Liddell',
            email: 'a@example.com',
            createdAt: T0,
          },
          { userId: 'bob', username: 'bob', displayName: 'Bob', email: 'b@example.com', createdAt: T0 },
        ],
      }),
      devices: new InMemoryDeviceDirectory(),
      pushService: new InMemoryPushService(),
    };
    send = sendPushes({ ...deps, topicOf: (id) => `topic-${id}` });
    await seedConversation(deps.conversations, {
      conversationId: 'd1',
      kind: 'direct',
      memberIds: ['alice', 'bob'],
      now: T0,
    });
    await seedConversation(deps.conversations, {
      conversationId: 'g1',
      kind: 'group',
      name: 'Climbing',
      memberIds: ['alice', 'bob', 'carol'],
      now: T0,
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends one push per device and conversation for a burst, for the newest message, counting them all', async () => {
    const phone = await subscribe('bob', 'phone');
    const target = [{ userId: 'bob', deviceId: 'phone' }];

    const report = await send([
      job('d1', 3, target),
      job('d1', 5, target),
      job('d1', 4, target),
      job('g1', 9, target),
    ]);

    expect(report).toEqual({ devices: 2, sent: 2, skipped: 0, gone: 0, retried: 0, dropped: 0 });
    expect(deps.pushService.payloadsTo(phone)).toEqual([
      { v: 1, conversationId: 'd1', seq: 5, count: 3, from: 'Alice Liddell' },
      { v: 1, conversationId: 'g1', seq: 9, count: 1, from: 'Alice Liddell', group: 'Climbing' },
    ]);
    expect(deps.pushService.requests[0]).toMatchObject({
      topic: 'topic-d1',
      ttlSeconds: PUSH_TTL_IN_SECONDS,
      urgency: 'high',
    });
  });

  it('shows no name, of the sender or the group, to a device whose owner chose so', async () => {
    const phone = await subscribe('bob', 'phone', 'none');

    await send([job('g1', 2, [{ userId: 'bob', deviceId: 'phone' }])]);

    expect(deps.pushService.payloadsTo(phone)).toEqual([{ v: 1, conversationId: 'g1', seq: 2, count: 1 }]);
    expect(JSON.stringify(deps.pushService.requests)).not.toMatch(/Alice|Climbing/);
  });

  it('sends nothing for a muted conversation until the mute ends, nor to someone no longer a member', async () => {
    await subscribe('bob', 'phone');
    await subscribe('dave', 'phone');
    await deps.conversations.changeSettings('d1', 'bob', { mutedUntil: T0 + 8 * HOUR });
    const targets = [
      { userId: 'bob', deviceId: 'phone' },
      { userId: 'dave', deviceId: 'phone' },
    ];

    expect(await send([job('d1', 2, targets)])).toMatchObject({ sent: 0, skipped: 2 });
    vi.setSystemTime(T0 + 8 * HOUR + 1);
    expect(await send([job('d1', 3, targets)])).toMatchObject({ sent: 1, skipped: 1 });
    expect(deps.pushService.requests.map((request) => request.destination.endpoint)).toEqual([
      endpoints.get('bob/phone'),
    ]);
  });

  it('drops a device whose subscription is gone from the devices fan-out pushes to', async () => {
    await deps.connections.setPushDevice('bob', 'tablet', true);

    expect(await send([job('d1', 2, [{ userId: 'bob', deviceId: 'tablet' }])])).toMatchObject({ skipped: 1 });

    expect(await pushDevicesOf('bob')).toEqual([]);
    expect(deps.pushService.requests).toEqual([]);
  });

  it('removes a subscription the push service says is gone, and keeps one the browser made anew', async () => {
    const phone = await subscribe('bob', 'phone');
    const laptop = await subscribe('bob', 'laptop');
    deps.pushService.answer(phone, { kind: 'gone', status: 410 });
    deps.pushService.answer(laptop, { kind: 'gone', status: 404 });
    // The laptop's browser subscribed again after the push left (a new endpoint): that one stays.
    const send404 = deps.pushService.send.bind(deps.pushService);
    deps.pushService.send = async (request) => {
      const outcome = await send404(request);
      if (request.destination.endpoint === laptop) await subscribe('bob', 'laptop');
      return outcome;
    };

    const report = await send([
      job('d1', 2, [
        { userId: 'bob', deviceId: 'phone' },
        { userId: 'bob', deviceId: 'laptop' },
      ]),
    ]);

    expect(report).toMatchObject({ gone: 2 });
    expect(await deps.devices.getPushSubscription('bob', 'phone')).toBeUndefined();
    expect((await deps.devices.getPushSubscription('bob', 'laptop'))?.endpoint).toBe(
      endpoints.get('bob/laptop'),
    );
    expect(await pushDevicesOf('bob')).toEqual(['laptop']);
  });

  it('tries again later when the push service asks to wait or fails, then gives up', async () => {
    const phone = await subscribe('bob', 'phone');
    const tablet = await subscribe('bob', 'tablet');
    deps.pushService.answer(phone, { kind: 'retry', status: 429, afterSeconds: 30 });
    deps.pushService.answer(tablet, { kind: 'retry', status: 503 });

    const report = await send([
      job('d1', 2, [
        { userId: 'bob', deviceId: 'phone' },
        { userId: 'bob', deviceId: 'tablet' },
      ]),
    ]);

    expect(report).toMatchObject({ retried: 2 });
    expect(deps.pushes.jobs).toEqual([
      job('d1', 2, [{ userId: 'bob', deviceId: 'phone' }], { attempt: 1 }),
      job('d1', 2, [{ userId: 'bob', deviceId: 'tablet' }], { attempt: 1 }),
    ]);
    expect(deps.pushes.delays).toEqual([30, 10]);

    const last = await send([
      job('d1', 2, [{ userId: 'bob', deviceId: 'phone' }], { attempt: MAX_PUSH_ATTEMPTS - 1 }),
    ]);
    expect(last).toMatchObject({ dropped: 1, retried: 0 });
    expect(deps.pushes.jobs).toHaveLength(2);
  });

  it('backs off from 10 s, doubling, within SQS’s longest delay', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelay(attempt))).toEqual([10, 20, 40, 80]);
    expect(retryDelay(1, 0.2)).toBe(1);
    expect(retryDelay(1, 3600)).toBe(900);
  });
});
