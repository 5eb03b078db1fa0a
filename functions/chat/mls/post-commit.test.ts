import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InMemoryCommitLog } from '../../adapters/memory/memory-commit-log';
import { InMemoryDeviceDirectory } from '../../adapters/memory/memory-device-directory';
import { InMemoryWelcomeStore } from '../../adapters/memory/memory-welcome-store';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors';
import { sendMessage } from '../message/send-message';
import { type MemoryDeps, memoryDeps, seedConversation, seedMessages } from '../testing/fixtures';
import { getEpoch } from './get-epoch';
import { postCommit } from './post-commit';
import { acknowledgeWelcome, listWelcomes } from './welcomes';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const KEY = new Uint8Array(32).fill(1);
const GROUP = 'g_mls';
const b64 = (text: string) => Buffer.from(text).toString('base64');
const alice = { userId: 'alice', correlationId: 'r-alice' };
const bob = { userId: 'bob', correlationId: 'r-bob' };
const carol = { userId: 'carol', correlationId: 'r-carol' };
const dave = { userId: 'dave', correlationId: 'r-dave' };

describe('MLS commits and welcomes', () => {
  let deps: MemoryDeps & {
    commits: InMemoryCommitLog;
    devices: InMemoryDeviceDirectory;
    welcomes: InMemoryWelcomeStore;
  };
  let commit: ReturnType<typeof postCommit>;
  let epochOf: ReturnType<typeof getEpoch>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = {
      ...memoryDeps(),
      commits: new InMemoryCommitLog(),
      devices: new InMemoryDeviceDirectory(),
      welcomes: new InMemoryWelcomeStore(),
    };
    await seedConversation(deps.conversations, {
      conversationId: GROUP,
      kind: 'group',
      memberIds: ['alice', 'bob', 'carol'],
      now: T0,
    });
    await seedMessages(deps.messages, GROUP, 'alice', 1, T0);
    for (const deviceId of ['laptop', 'phone']) {
      await deps.devices.registerIfAbsent({
        userId: 'carol',
        deviceId,
        signaturePublicKey: KEY,
        createdAt: T0,
      });
    }
    commit = postCommit(deps);
    epochOf = getEpoch(deps);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('accepts a commit at the current epoch, logs it after the messages and pushes it to the members', async () => {
    const accepted = await commit(alice, GROUP, { epoch: 0, commit: b64('c0') });

    expect(accepted).toEqual({ conversationId: GROUP, epoch: 1, seq: 2, sentAt: '2025-03-01T12:00:00.000Z' });
    await expect(epochOf(bob, GROUP)).resolves.toEqual({ epoch: 1 });
    expect(deps.messages.messagesOf(GROUP).at(-1)).toMatchObject({
      seq: 2,
      messageId: 'commit-0',
      senderId: 'alice',
      kind: 'commit',
      body: new Uint8Array(Buffer.from('c0')),
    });
    expect(deps.fanout.jobs).toEqual([
      expect.objectContaining({
        kind: 'message',
        conversationId: GROUP,
        seq: 2,
        frame: expect.objectContaining({
          type: 'message',
          kind: 'commit',
          messageId: 'commit-0',
          body: b64('c0'),
        }),
      }),
    ]);
    expect(deps.commits.recordOf(GROUP, 0)).toMatchObject({ senderId: 'alice', seq: 2, sentAt: T0 });
  });

  it('accepts one of two commits racing for the same epoch; the other is a conflict naming the epoch', async () => {
    const results = await Promise.allSettled([
      commit(alice, GROUP, { epoch: 0, commit: b64('from alice') }),
      commit(bob, GROUP, { epoch: 0, commit: b64('from bob') }),
    ]);

    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((result) => result.status === 'rejected');
    expect(lost?.reason).toBeInstanceOf(ConflictError);
    expect(String(lost?.reason.message)).toContain('at epoch 1');
    expect(deps.messages.messagesOf(GROUP).filter((message) => message.kind === 'commit')).toHaveLength(1);
    await expect(epochOf(alice, GROUP)).resolves.toEqual({ epoch: 1 });
  });

  it('refuses a commit for an epoch that is not the current one', async () => {
    await commit(alice, GROUP, { epoch: 0, commit: b64('c0') });

    await expect(commit(bob, GROUP, { epoch: 0, commit: b64('late') })).rejects.toThrow(ConflictError);
    await expect(commit(bob, GROUP, { epoch: 5, commit: b64('early') })).rejects.toThrow(ConflictError);
    expect(deps.messages.messagesOf(GROUP)).toHaveLength(2);
  });

  it('gives a retry of the same commit the first result, and pushes it again from the log', async () => {
    const first = await commit(alice, GROUP, { epoch: 0, commit: b64('c0') });
    vi.advanceTimersByTime(5000);
    await commit(bob, GROUP, { epoch: 1, commit: b64('c1') });

    await expect(commit(alice, GROUP, { epoch: 0, commit: b64('c0') })).resolves.toEqual(first);
    expect(deps.messages.messagesOf(GROUP)).toHaveLength(3);
    expect(deps.fanout.jobs.at(-1)).toEqual(expect.objectContaining({ kind: 'message', seq: 2 }));
    expect(deps.fanout.jobs.at(-1)).not.toHaveProperty('frame');
    await expect(epochOf(alice, GROUP)).resolves.toEqual({ epoch: 2 });
  });

  it('finishes a commit whose first attempt died after moving the epoch', async () => {
    vi.spyOn(deps.messages, 'append').mockRejectedValueOnce(new Error('timed out'));
    await expect(commit(alice, GROUP, { epoch: 0, commit: b64('c0') })).rejects.toThrow('timed out');
    await expect(epochOf(alice, GROUP)).resolves.toEqual({ epoch: 1 });

    await expect(commit(alice, GROUP, { epoch: 0, commit: b64('c0') })).resolves.toMatchObject({
      epoch: 1,
      seq: 2,
    });
    await expect(commit(bob, GROUP, { epoch: 0, commit: b64('c0') })).rejects.toThrow(ConflictError);
  });

  it('refuses non-members', async () => {
    await expect(commit(dave, GROUP, { epoch: 0, commit: b64('c0') })).rejects.toThrow(ForbiddenError);
    await expect(epochOf(dave, GROUP)).rejects.toThrow(ForbiddenError);
    await expect(epochOf(alice, GROUP)).resolves.toEqual({ epoch: 0 });
  });

  it('stores a Welcome per recipient device and tells each recipient’s user', async () => {
    await commit(alice, GROUP, {
      epoch: 0,
      commit: b64('c0'),
      welcome: b64('w'),
      welcomeRecipients: [{ userId: 'carol', deviceId: 'laptop' }],
    });

    const list = listWelcomes(deps);
    await expect(list(carol, 'laptop', { limit: 10 })).resolves.toEqual({
      items: [{ conversationId: GROUP, epoch: 1, welcome: b64('w'), createdAt: '2025-03-01T12:00:00.000Z' }],
    });
    await expect(list(carol, 'phone', { limit: 10 })).resolves.toEqual({ items: [] });
    await expect(list(bob, 'laptop', { limit: 10 })).rejects.toThrow(NotFoundError);
    expect(deps.fanout.jobs).toContainEqual(
      expect.objectContaining({
        kind: 'users',
        userIds: ['carol'],
        frame: { type: 'welcome', conversationId: GROUP, epoch: 1, deviceId: 'laptop' },
      }),
    );

    await acknowledgeWelcome(deps)(carol, { deviceId: 'laptop', conversationId: GROUP, epoch: 1 });
    await expect(list(carol, 'laptop', { limit: 10 })).resolves.toEqual({ items: [] });
  });

  it.each([
    ['a user who is not a member', { userId: 'dave', deviceId: 'laptop' }],
    ['a device that is not registered', { userId: 'carol', deviceId: 'tablet' }],
    ['a revoked device', { userId: 'carol', deviceId: 'phone' }],
  ])('refuses a Welcome for %s, and stores nothing', async (_, recipient) => {
    await deps.devices.revoke('carol', 'phone', T0);

    await expect(
      commit(alice, GROUP, {
        epoch: 0,
        commit: b64('c0'),
        welcome: b64('w'),
        welcomeRecipients: [recipient],
      }),
    ).rejects.toThrow(ValidationError);
    await expect(epochOf(alice, GROUP)).resolves.toEqual({ epoch: 0 });
    expect(deps.commits.recordOf(GROUP, 0)).toBeUndefined();
    expect(deps.messages.messagesOf(GROUP)).toHaveLength(1);
  });

  it('keeps commits out of the message paths', async () => {
    const send = sendMessage(deps);
    const base = { senderId: 'alice', correlationId: 'r', conversationId: GROUP, body: b64('x') };

    await expect(send({ ...base, messageId: 'm9', kind: 'commit' })).rejects.toThrow(ValidationError);
    await expect(send({ ...base, messageId: 'commit-0' })).rejects.toThrow(ValidationError);
    expect(deps.messages.messagesOf(GROUP)).toHaveLength(1);
  });
});
