import { beforeEach, describe, expect, it } from 'vitest';
import type { OutboundFrame } from '../../../shared/protocol/outbound';
import { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import { InMemoryFanoutQueue } from '../../adapters/memory/memory-fanout-queue';
import { InMemoryMessageLog } from '../../adapters/memory/memory-message-log';
import { InMemoryNotifier } from '../../adapters/memory/memory-notifier';
import { InMemoryUserRegistry } from '../../adapters/memory/memory-user-registry';
import type { FanoutJob } from '../../ports/fanout-queue';
import { deliverMessage } from './deliver-message';
import { sendMessage } from './send-message';

const alice = 'alice';
const bob = 'bob';
const carol = 'carol';
const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const HOUR_IN_MS = 60 * 60 * 1000;

const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('deliverMessage', () => {
  let conversations: InMemoryConversationStore;
  let connections: InMemoryConnectionStore;
  let messages: InMemoryMessageLog;
  let notifier: InMemoryNotifier;
  let fanout: InMemoryFanoutQueue;
  let deliver: ReturnType<typeof deliverMessage>;
  let job: FanoutJob;

  const connect = (userId: string, connectionId: string, expiresAt = T0 + HOUR_IN_MS) =>
    connections.put({ connectionId, userId, connectedAt: T0 - 1000 }, expiresAt);
  const received = (connectionId: string) => notifier.framesOf(connectionId);

  beforeEach(async () => {
    conversations = new InMemoryConversationStore();
    connections = new InMemoryConnectionStore();
    messages = new InMemoryMessageLog();
    notifier = new InMemoryNotifier();
    fanout = new InMemoryFanoutQueue();
    const users = new InMemoryUserRegistry();
    const clock = () => T0;
    for (const user of [alice, bob, carol]) await users.touch(user, T0);
    await connect(alice, 'alice-phone');
    await connect(alice, 'alice-laptop');
    await connect(bob, 'bob-phone');
    await connect(bob, 'bob-laptop');
    await connect(carol, 'carol-phone');

    const send = sendMessage({ conversations, users, messages, fanout, clock });
    await send({
      senderId: alice,
      connectionId: 'alice-phone',
      correlationId: 'req-1',
      recipientId: bob,
      messageId: 'm1',
      body: base64('hello bob'),
    });
    job = fanout.jobs[0] as FanoutJob;
    deliver = deliverMessage({ conversations, connections, messages, notifier, clock });
  });

  it("pushes the message to every member's open connections except the one it was sent from", async () => {
    const report = await deliver(job);

    for (const connectionId of ['alice-laptop', 'bob-phone', 'bob-laptop']) {
      expect(received(connectionId)).toEqual([job.frame]);
    }
    expect(received('alice-phone')).toEqual([]);
    expect(received('carol-phone')).toEqual([]);
    expect(report).toEqual({ recipients: 3, delivered: 3, gone: 0 });
  });

  it('forgets a connection that is gone and still delivers to the others', async () => {
    notifier.markGone('bob-phone');

    const report = await deliver(job);

    expect(report).toEqual({ recipients: 3, delivered: 2, gone: 1 });
    expect(connections.find(bob, 'bob-phone')).toBeUndefined();
    expect(connections.find(bob, 'bob-laptop')).toBeDefined();
    expect(received('bob-laptop')).toEqual([job.frame]);
    expect(received('alice-laptop')).toEqual([job.frame]);
  });

  it('skips connections past their expiry', async () => {
    await connect(bob, 'bob-stale', T0);
    await connect(bob, 'bob-older', T0 - HOUR_IN_MS);

    const report = await deliver(job);

    expect(received('bob-stale')).toEqual([]);
    expect(received('bob-older')).toEqual([]);
    expect(report).toEqual({ recipients: 3, delivered: 3, gone: 0 });
  });

  it('fails the job on any other push failure, so the queue retries it', async () => {
    notifier.failWith('bob-laptop', new Error('ThrottlingException: Rate exceeded'));

    await expect(deliver(job)).rejects.toThrow('ThrottlingException');

    expect(connections.find(bob, 'bob-laptop')).toBeDefined();
  });

  it('reads the message from the log when the job carries no frame', async () => {
    const { frame, ...withoutFrame } = job;

    const report = await deliver(withoutFrame);

    const pushed = received('bob-phone')[0] as OutboundFrame;
    expect(pushed).toEqual(frame);
    expect(pushed).toMatchObject({ seq: 1, senderId: alice, body: base64('hello bob') });
    expect(report).toEqual({ recipients: 3, delivered: 3, gone: 0 });
  });

  it('delivers nothing when the log has no message at the job seq', async () => {
    const { frame: _frame, ...withoutFrame } = job;

    const report = await deliver({ ...withoutFrame, seq: 99 });

    expect(report).toEqual({ recipients: 0, delivered: 0, gone: 0 });
    expect(received('bob-phone')).toEqual([]);
  });

  it('reaches every device of a member with more connections than posts run at once', async () => {
    const bobDevices = Array.from({ length: 40 }, (_, i) => `bob-device-${i}`);
    for (const connectionId of bobDevices) await connect(bob, connectionId);
    notifier.markGone('bob-device-7');
    notifier.markGone('bob-device-31');

    const report = await deliver(job);

    expect(report).toEqual({ recipients: 43, delivered: 41, gone: 2 });
    for (const connectionId of bobDevices.filter((id) => !['bob-device-7', 'bob-device-31'].includes(id))) {
      expect(received(connectionId)).toHaveLength(1);
    }
    expect(await connections.listByUser(bob, T0)).toHaveLength(40);
  });

  it('delivers to the sender devices too when the message came without a connection (over HTTP)', async () => {
    const { excludeConnectionId: _excluded, ...fromHttp } = job;

    const report = await deliver(fromHttp);

    expect(received('alice-phone')).toEqual([job.frame]);
    expect(report.recipients).toBe(4);
  });
});
