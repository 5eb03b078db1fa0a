import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MemoryDeps } from '../../../test/support/fixtures';
import { befriend, memoryDeps } from '../../../test/support/fixtures';
import { QueueUnreachableError } from '../../adapters/memory/memory-fanout-queue';
import type { MessageJob, SendCheckJob } from '../../ports/fanout-queue';
import { directConversationId } from '../conversation/direct-conversation';
import { SEND_CHECK_DELAY_IN_SECONDS } from './message-job';
import { type SendMessageCommand, sendMessage } from './send-message';
import { settleSend } from './settle-send';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const ALICE_BOB = directConversationId('alice', 'bob');
const profile = (userId: string) => ({
  userId,
  username: userId,
  displayName: userId,
  email: `${userId}@example.com`,
  createdAt: T0,
});

describe('settleSend', () => {
  let deps: MemoryDeps;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps({ profiles: ['alice', 'bob', 'carol'].map(profile) });
    await befriend(deps.relationships, 'alice', 'bob', T0);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const aliceToBob = (fields: Partial<SendMessageCommand> = {}): SendMessageCommand => ({
    senderId: 'alice',
    correlationId: 'req-1',
    recipientId: 'bob',
    messageId: 'm1',
    body: Buffer.from('hello bob').toString('base64'),
    ...fields,
  });
  const checkJob = () => deps.fanout.jobs.find((job): job is SendCheckJob => job.kind === 'send-check');
  const messageJobs = () => deps.fanout.jobs.filter((job): job is MessageJob => job.kind === 'message');
  /** Runs the send's check when the queue hands it out. */
  const runCheck = () => {
    vi.setSystemTime(T0 + SEND_CHECK_DELAY_IN_SECONDS * 1000);
    return settleSend(deps)(checkJob() as SendCheckJob);
  };

  it('queues the fan-out of a message stored by a send that died before queuing it, read from the log', async () => {
    deps.fanout.refuseNext('message');
    await expect(send(aliceToBob({ deviceId: 'alice-laptop' }))).rejects.toThrow(QueueUnreachableError);

    expect(await runCheck()).toBe('handed-off');

    expect(messageJobs()).toEqual([
      {
        kind: 'message',
        conversationId: ALICE_BOB,
        seq: 1,
        contentCount: 1,
        correlationId: 'req-1',
        // The device that sent it over HTTP still gets no copy: its retry gets the answer.
        excludeDevice: { userId: 'alice', deviceId: 'alice-laptop' },
      },
    ]);
    // A retry afterwards is answered from the log and pushes nothing again.
    const retry = await send(aliceToBob({ correlationId: 'req-retry' }));
    expect(retry.seq).toBe(1);
    expect(messageJobs()).toHaveLength(1);
  });

  it('leaves a send alone while its request may still be running', async () => {
    deps.fanout.refuseNext('message');
    await expect(send(aliceToBob())).rejects.toThrow(QueueUnreachableError);
    vi.setSystemTime(T0 + 1_000);

    expect(await settleSend(deps)(checkJob() as SendCheckJob)).toBe('in-progress');
    expect(messageJobs()).toEqual([]);
  });

  it('does nothing for a send that queued its fan-out', async () => {
    await send(aliceToBob());

    expect(await runCheck()).toBe('done');
    expect(messageJobs()).toHaveLength(1);
  });

  it('does nothing for a send refused before it stored anything', async () => {
    await expect(send(aliceToBob({ recipientId: 'carol' }))).rejects.toThrow();

    expect(await runCheck()).toBe('not-placed');
    expect(deps.fanout.jobs.filter((job) => job.kind !== 'send-check')).toEqual([]);
  });

  function send(command: SendMessageCommand) {
    return sendMessage(deps)(command);
  }
});
