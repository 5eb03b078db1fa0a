import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StandInSubscription } from '../../infra/local/push-service';
import { type PushPayload, parsePushPayload } from '../../shared/push/payload';
import { type Api, apiFor, befriend } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually, tableReader } from '../support/table';

const keyOf = (seed: number) => Buffer.alloc(32, seed).toString('base64');
/** Text no push may ever carry: it is only ever inside a message's (here plain) body. */
const CANARY = 'CANARY-web-push-7f3a';

/**
 * Bob has a phone and a tablet whose browsers are closed, and a laptop with Parley open. When Alice writes
 * to him, the push sender reaches the closed ones through the push service (the stand-in decrypts what
 * arrives with the subscription's own keys) and leaves the open one to its socket. What arrives carries
 * the conversation, the seq and a count, the sender's name only where Bob allows it, and never a word of
 * the message.
 */
describe('Web Push to devices without an open connection', () => {
  let stack: TestStack;
  let table: ReturnType<typeof tableReader>;
  let alice: Persona;
  let bob: Persona;
  let alices: Api;
  let bobs: Api;
  let direct: string;
  let laptopSocket: TestSocket;
  const endpoints: Record<string, StandInSubscription> = {};
  let sent = 0;

  /** Alice writes to the conversation; resolves once Bob's open laptop has the message. */
  async function write(conversationId = direct): Promise<number> {
    sent += 1;
    const messageId = `push-${sent}`;
    const posted = await alices.postMessage({
      params: { conversationId },
      body: { messageId, body: Buffer.from(`${CANARY} ${sent}`).toString('base64') },
    });
    await laptopSocket.waitFor((frame) => (frame as { messageId?: string }).messageId === messageId);
    return posted.seq;
  }

  const payloadsOf = (device: string): PushPayload[] =>
    stack.pushService
      .received(endpoints[device]?.endpoint ?? '')
      .map((push) => parsePushPayload(JSON.parse(push.payload)) as PushPayload);

  /** Waits until the device's pushes for the direct conversation cover `seq`, then answers them all. */
  const pushedUpTo = (device: string, seq: number) =>
    eventually(async () => {
      const payloads = payloadsOf(device).filter((payload) => payload.conversationId === direct);
      return payloads.some((payload) => payload.seq >= seq) ? payloads : undefined;
    }, 15_000);

  /** A group of Alice's with Bob, so a test counts only its own conversation's pushes. */
  const newGroup = async (name: string) =>
    (await alices.createConversation({ body: { kind: 'group', name, memberIds: [bob.userId] } }))
      .conversationId;

  /** The phone's pushes for one conversation, once they stand for `messages` messages in all. */
  const phonePushesFor = (conversationId: string, messages: number) =>
    eventually(async () => {
      const found = payloadsOf('bob-phone').filter((payload) => payload.conversationId === conversationId);
      return found.reduce((total, payload) => total + payload.count, 0) >= messages ? found : undefined;
    }, 15_000);

  async function subscribe(persona: Persona, api: Api, deviceId: string, preview: 'name' | 'none' = 'name') {
    const subscription = stack.pushService.subscribe(stack.vapidPublicKey);
    endpoints[`${persona.name}-${deviceId}`] = subscription;
    await api.putPushSubscription({ params: { deviceId }, body: { ...subscription, preview } });
  }

  /** Devices the push sender has left out so far (muted, no longer a member, no subscription), from its logs. */
  const skippedSoFar = () =>
    stack.logs
      .filter((line) => line.functionName === 'pushSender' && line.line.includes('"Pushes sent"'))
      .reduce(
        (total, line) => total + Number((JSON.parse(line.line) as { skipped?: number }).skipped ?? 0),
        0,
      );

  let aliceName = '';
  /** What a push names for a group of Alice's, to a device that allows names. */
  const names = () => ({ from: aliceName, group: 'Muted' });

  beforeAll(async () => {
    stack = await startTestStack();
    table = tableReader(stack);
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    [alices, bobs] = [apiFor(stack, alice), apiFor(stack, bob)];
    await befriend(stack, alice, bob);
    for (const [api, deviceId, seed] of [
      [bobs, 'phone', 1],
      [bobs, 'laptop', 2],
      [bobs, 'tablet', 3],
      [alices, 'phone', 4],
    ] as const) {
      await api.registerDevice({ body: { deviceId, signaturePublicKey: keyOf(seed) } });
    }
    await subscribe(bob, bobs, 'phone');
    await subscribe(bob, bobs, 'laptop');
    await subscribe(bob, bobs, 'tablet', 'none');
    await subscribe(alice, alices, 'phone');
    direct = (await alices.createConversation({ body: { kind: 'direct', userId: bob.userId } }))
      .conversationId;
    laptopSocket = await connect(stack.endpoints.webSocketUrl, bob.accessToken, { deviceId: 'laptop' });
    aliceName = (await alices.getMe()).displayName;
  });

  afterAll(async () => {
    await laptopSocket?.close();
    table?.destroy();
    await stack?.stop();
  });

  it('pushes to each closed device once, with the sender’s name where allowed, and to no open device', async () => {
    const seq = await write();

    const phone = await pushedUpTo('bob-phone', seq);
    const tablet = await pushedUpTo('bob-tablet', seq);
    const aliceName = (await alices.getMe()).displayName;
    expect(phone).toEqual([{ v: 1, conversationId: direct, seq, count: 1, from: aliceName }]);
    expect(tablet).toEqual([{ v: 1, conversationId: direct, seq, count: 1 }]);
    // The laptop had its socket; Alice wrote it herself, so her closed phone gets nothing either.
    expect(payloadsOf('bob-laptop')).toEqual([]);
    expect(payloadsOf('alice-phone')).toEqual([]);

    const [push] = stack.pushService.received(endpoints['bob-phone']?.endpoint ?? '');
    expect(push).toMatchObject({
      ttl: 24 * 60 * 60,
      urgency: 'high',
      vapid: { sub: 'mailto:push@localhost' },
    });
    expect(push?.topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(push?.vapid.aud).toBe(stack.pushService.origin);
    expect(stack.pushService.refusals).toEqual([]);
  });

  it('never carries a word of any message, to the push service or in what it decrypts', async () => {
    await write();
    const everything = JSON.stringify(stack.pushService.all());
    expect(everything).not.toContain(CANARY);
    expect(everything).not.toContain(Buffer.from(CANARY).toString('base64'));
  });

  it('counts a burst of messages in the pushes it sends, the newest among them', async () => {
    const group = await newGroup('Burst');
    const seqs = [await write(group), await write(group), await write(group)];

    const payloads = await phonePushesFor(group, 3);

    expect(payloads.reduce((total, payload) => total + payload.count, 0)).toBe(3);
    expect(Math.max(...payloads.map((payload) => payload.seq))).toBe(seqs[2]);
  });

  it('names the group, and the sender under it, in a group’s pushes', async () => {
    const group = await newGroup('Climbing');

    const seq = await write(group);

    expect(await phonePushesFor(group, 1)).toEqual([
      {
        v: 1,
        conversationId: group,
        seq,
        count: 1,
        from: (await alices.getMe()).displayName,
        group: 'Climbing',
      },
    ]);
  });

  it('sends nothing for a muted conversation, and pushes again once it is unmuted', async () => {
    const group = await newGroup('Muted');
    await bobs.updateConversationSettings({
      params: { conversationId: group },
      body: { mutedUntil: new Date(Date.now() + 60 * 60 * 1000).toISOString() },
    });
    const skippedBefore = skippedSoFar();
    await write(group);
    // The push sender reads the mute when it sends: wait until it has left this one out (Bob's tablet and
    // phone both), then unmute.
    await eventually(async () => (skippedSoFar() >= skippedBefore + 2 ? true : undefined), 15_000);
    await bobs.updateConversationSettings({ params: { conversationId: group }, body: { mutedUntil: null } });

    const seq = await write(group);

    // Had the muted message been pushed, it would show as a push of its own or in the count.
    expect(await phonePushesFor(group, 1)).toEqual([
      { v: 1, conversationId: group, seq, count: 1, ...names() },
    ]);
  });

  it('waits as long as the push service asks on a 429, then delivers', async () => {
    const phone = endpoints['bob-phone']?.endpoint ?? '';
    const group = await newGroup('Busy');
    stack.pushService.answerNext(phone, 429, { headers: { 'retry-after': '1' } });

    const seq = await write(group);

    expect(await phonePushesFor(group, 1)).toEqual([expect.objectContaining({ seq, count: 1 })]);
    expect(stack.pushService.refusals.filter((refusal) => refusal.endpoint === phone)).toEqual([
      { endpoint: phone, status: 429, reason: 'Answered as the test asked' },
    ]);
  });

  it('removes a subscription the push service says is gone, and stops pushing to it', async () => {
    const tablet = endpoints['bob-tablet']?.endpoint ?? '';
    stack.pushService.expire(tablet);

    await write();

    await eventually(async () => {
      const device = await table.get(`USER#${bob.userId}`, 'DEVICE#tablet');
      return device && device.pushSubscription === undefined ? true : undefined;
    }, 15_000);
    // Then the devices fan-out pushes to leave it out (the mark goes after the subscription).
    const pushDevices = await eventually(async () => {
      const presence = await table.get(`USER#${bob.userId}`, 'PRESENCE');
      const devices = [...((presence?.pushDevices as Set<string> | undefined) ?? [])].sort();
      return devices.includes('tablet') ? undefined : devices;
    }, 15_000);
    expect(pushDevices).toEqual(['laptop', 'phone']);
    expect(stack.pushService.refusals.filter((refusal) => refusal.endpoint === tablet)).toEqual([
      { endpoint: tablet, status: 410, reason: 'The subscription has expired' },
    ]);
  });

  it('pushes nothing to a revoked device', async () => {
    await bobs.revokeDevice({ params: { deviceId: 'laptop' } });
    await laptopSocket.close();
    laptopSocket = await connect(stack.endpoints.webSocketUrl, bob.accessToken, { deviceId: 'watch' });

    const seq = await write();

    await pushedUpTo('bob-phone', seq);
    expect(payloadsOf('bob-laptop')).toEqual([]);
  });
});
