import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_INLINE_BYTES_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import { type MemoryDeps, memoryDeps, seedConversation, seedMessages } from '../../../test/support/fixtures';
import { InMemoryBlobQuota } from '../../adapters/memory/memory-blob-quota';
import { InMemoryCommitLog } from '../../adapters/memory/memory-commit-log';
import { InMemoryDeviceDirectory } from '../../adapters/memory/memory-device-directory';
import { QueueUnreachableError } from '../../adapters/memory/memory-fanout-queue';
import { InMemoryWelcomeStore } from '../../adapters/memory/memory-welcome-store';
import {
  ConflictError,
  ForbiddenError,
  LimitReachedError,
  NotFoundError,
  SendInProgressError,
  ValidationError,
} from '../../errors';
import { listHistory } from '../message/list-history';
import { sendMessage } from '../message/send-message';
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

/** What `GET …/epoch` says of the seeded group (members version 1, no commit for it yet) at an epoch. */
const atEpoch = (epoch: number, committedMembersVersion = 0) => ({
  epoch,
  membersVersion: 1,
  committedMembersVersion,
});
/** Bytes too large to stay inline, and too large for one push frame. */
const large = (fill: number) => Buffer.alloc(2 * MAX_INLINE_BYTES_SIZE_IN_BYTES, fill);

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

  it('answers the author with its commit while a rival member is finishing it, not SEND_IN_PROGRESS', async () => {
    const waits: number[] = [];
    const append = deps.messages.append.bind(deps.messages);
    let rivalHolds = true;
    const withRival = postCommit({
      ...deps,
      messages: Object.assign(Object.create(deps.messages), {
        // The rival holds the log's claim on `commit-0` while it places it: the author's first try waits.
        append: async (...args: Parameters<typeof append>) => {
          if (args[0].messageId === 'commit-0' && rivalHolds) {
            rivalHolds = false;
            await append(...args);
            throw new SendInProgressError();
          }
          return append(...args);
        },
      }),
      sleep: async (ms: number) => {
        waits.push(ms);
      },
    });

    const accepted = await withRival(alice, GROUP, { epoch: 0, commit: b64('c0') });

    expect(accepted).toMatchObject({ epoch: 1, seq: 2 });
    expect(waits).toHaveLength(1);
    expect(deps.messages.messagesOf(GROUP).filter((m) => m.messageId === 'commit-0')).toHaveLength(1);
  });

  it('accepts a commit at the current epoch, logs it after the messages and pushes it to the members', async () => {
    const accepted = await commit(alice, GROUP, { epoch: 0, commit: b64('c0') });

    expect(accepted).toEqual({ conversationId: GROUP, epoch: 1, seq: 2, sentAt: '2025-03-01T12:00:00.000Z' });
    await expect(epochOf(bob, GROUP)).resolves.toEqual(atEpoch(1));
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
    await expect(epochOf(alice, GROUP)).resolves.toEqual(atEpoch(1));
  });

  it('refuses a commit for an epoch that is not the current one', async () => {
    await commit(alice, GROUP, { epoch: 0, commit: b64('c0') });

    await expect(commit(bob, GROUP, { epoch: 0, commit: b64('late') })).rejects.toThrow(ConflictError);
    await expect(commit(bob, GROUP, { epoch: 5, commit: b64('early') })).rejects.toThrow(ConflictError);
    expect(deps.messages.messagesOf(GROUP)).toHaveLength(2);
  });

  it('gives a retry of the same commit the first result, pushing it once', async () => {
    const first = await commit(alice, GROUP, { epoch: 0, commit: b64('c0') });
    vi.advanceTimersByTime(5000);
    await commit(bob, GROUP, { epoch: 1, commit: b64('c1') });
    const queued = deps.fanout.jobs.length;

    await expect(commit(alice, GROUP, { epoch: 0, commit: b64('c0') })).resolves.toEqual(first);
    expect(deps.messages.messagesOf(GROUP)).toHaveLength(3);
    expect(deps.fanout.jobs.slice(queued).filter((job) => job.kind === 'message')).toEqual([]);
    await expect(epochOf(alice, GROUP)).resolves.toEqual(atEpoch(2));
  });

  it('stores no commit whose push cannot be queued; the retry stores and pushes it once', async () => {
    deps.fanout.refuseNext('message');
    await expect(commit(alice, GROUP, { epoch: 0, commit: b64('c0') })).rejects.toThrow(
      QueueUnreachableError,
    );
    expect(deps.messages.messagesOf(GROUP).filter((message) => message.kind === 'commit')).toEqual([]);

    const retried = await commit(alice, GROUP, { epoch: 0, commit: b64('c0') });

    const pushes = deps.fanout.jobs.filter((job) => job.kind === 'message');
    expect(pushes).toEqual([
      expect.objectContaining({ kind: 'message', conversationId: GROUP, seq: retried.seq }),
    ]);
    expect(deps.messages.messagesOf(GROUP).filter((message) => message.kind === 'commit')).toHaveLength(1);
  });

  it('finishes a commit whose first attempt died after moving the epoch', async () => {
    vi.spyOn(deps.messages, 'append').mockRejectedValueOnce(new Error('timed out'));
    await expect(commit(alice, GROUP, { epoch: 0, commit: b64('c0') })).rejects.toThrow('timed out');
    await expect(epochOf(alice, GROUP)).resolves.toEqual(atEpoch(1));

    await expect(commit(alice, GROUP, { epoch: 0, commit: b64('c0') })).resolves.toMatchObject({
      epoch: 1,
      seq: 2,
    });
    await expect(commit(bob, GROUP, { epoch: 0, commit: b64('c0') })).rejects.toThrow(ConflictError);
  });

  it('refuses non-members', async () => {
    await expect(commit(dave, GROUP, { epoch: 0, commit: b64('c0') })).rejects.toThrow(ForbiddenError);
    await expect(epochOf(dave, GROUP)).rejects.toThrow(ForbiddenError);
    await expect(epochOf(alice, GROUP)).resolves.toEqual(atEpoch(0));
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
    await expect(epochOf(alice, GROUP)).resolves.toEqual(atEpoch(0));
    expect(deps.commits.recordOf(GROUP, 0)).toBeUndefined();
    expect(deps.messages.messagesOf(GROUP)).toHaveLength(1);
  });

  describe('a commit whose author died after claiming the epoch', () => {
    /** Alice's claim, as her request left it: the epoch taken, nothing else done. */
    const claimDeadCommit = (commitBytes: Uint8Array) =>
      deps.commits.claim({
        conversationId: GROUP,
        epoch: 0,
        senderId: 'alice',
        hash: 'hash-of-alice-commit',
        claimedAt: T0,
        commit: { bytes: commitBytes },
        welcome: { bytes: new Uint8Array(Buffer.from('welcome-carol')) },
        welcomeRecipients: [{ userId: 'carol', deviceId: 'laptop' }],
        membersVersion: 1,
      });

    it('is finished by a rival, who then gets the conflict and commits at the next epoch', async () => {
      await claimDeadCommit(new Uint8Array(Buffer.from('alice-c0')));

      await expect(commit(bob, GROUP, { epoch: 0, commit: b64('bob-c0') })).rejects.toThrow(ConflictError);

      expect(deps.messages.messagesOf(GROUP).at(-1)).toMatchObject({
        seq: 2,
        messageId: 'commit-0',
        senderId: 'alice',
        kind: 'commit',
        body: new Uint8Array(Buffer.from('alice-c0')),
      });
      expect(deps.commits.recordOf(GROUP, 0)).toMatchObject({ seq: 2 });
      await expect(listWelcomes(deps)(carol, 'laptop', { limit: 10 })).resolves.toMatchObject({
        items: [{ conversationId: GROUP, epoch: 1, welcome: b64('welcome-carol') }],
      });
      expect(deps.fanout.jobs).toContainEqual(
        expect.objectContaining({
          kind: 'users',
          userIds: ['carol'],
          frame: expect.objectContaining({ type: 'welcome' }),
        }),
      );
      await expect(commit(bob, GROUP, { epoch: 1, commit: b64('bob-c1') })).resolves.toMatchObject({
        epoch: 2,
        seq: 3,
      });
      await expect(epochOf(carol, GROUP)).resolves.toEqual(atEpoch(2, 1));
    });

    it('is finished by a member reading the epoch', async () => {
      await claimDeadCommit(new Uint8Array(Buffer.from('alice-c0')));

      await expect(epochOf(bob, GROUP)).resolves.toEqual(atEpoch(1, 1));

      expect(deps.messages.messagesOf(GROUP).map((message) => message.messageId)).toEqual(['m1', 'commit-0']);
      expect(deps.commits.recordOf(GROUP, 0)).toMatchObject({ seq: 2 });
    });
  });

  describe('large commits and Welcomes', () => {
    it('keeps them in the blob store once, and gives them back whole in history and Welcome pages', async () => {
      const accepted = await commit(alice, GROUP, {
        epoch: 0,
        commit: large(7).toString('base64'),
        welcome: large(8).toString('base64'),
        welcomeRecipients: [
          { userId: 'carol', deviceId: 'laptop' },
          { userId: 'carol', deviceId: 'phone' },
        ],
      });

      expect(deps.blobs.keys()).toEqual([
        expect.stringMatching(/^commits\/g_mls\/0\/alice\//),
        expect.stringMatching(/^welcomes\/g_mls\/1\/alice\//),
      ]);
      expect(deps.messages.messagesOf(GROUP).at(-1)).not.toHaveProperty('body');
      // Too large for one frame: the push carries no frame, the sender reads the log.
      expect(deps.fanout.jobs.find((job) => job.kind === 'message')).not.toHaveProperty('frame');
      const page = await listHistory(deps)(alice, GROUP, { after: 1, limit: 10 });
      expect(page.items.map((item) => [item.seq, item.body])).toEqual([
        [accepted.seq, large(7).toString('base64')],
      ]);
      for (const deviceId of ['laptop', 'phone']) {
        await expect(listWelcomes(deps)(carol, deviceId, { limit: 10 })).resolves.toMatchObject({
          items: [{ epoch: 1, welcome: large(8).toString('base64') }],
        });
      }
    });

    it('deletes the blobs of a commit that lost its epoch', async () => {
      await commit(alice, GROUP, { epoch: 0, commit: large(1).toString('base64') });
      const winners = deps.blobs.keys();

      await expect(
        commit(bob, GROUP, {
          epoch: 0,
          commit: large(2).toString('base64'),
          welcome: large(3).toString('base64'),
          welcomeRecipients: [{ userId: 'carol', deviceId: 'laptop' }],
        }),
      ).rejects.toThrow(ConflictError);

      expect(deps.blobs.keys()).toEqual(winners);
    });

    it('counts what goes to the blob store against the sender’s day; past the cap, LIMIT_REACHED and nothing stored', async () => {
      const size = 2 * MAX_INLINE_BYTES_SIZE_IN_BYTES;
      const capped = postCommit({
        ...deps,
        blobQuota: new InMemoryBlobQuota(
          { blobBytesPerUserPerDay: 3 * size, attachmentBytesPerUserPerDay: 0 },
          'blobBytesPerUserPerDay',
        ),
      });
      // Commits small enough to stay inline are not counted.
      await capped(alice, GROUP, { epoch: 0, commit: b64('small') });
      await capped(alice, GROUP, {
        epoch: 1,
        commit: large(1).toString('base64'),
        welcome: large(2).toString('base64'),
        welcomeRecipients: [{ userId: 'carol', deviceId: 'laptop' }],
      });
      const stored = { blobs: deps.blobs.keys(), log: deps.messages.messagesOf(GROUP).length };

      const refused = capped(alice, GROUP, {
        epoch: 2,
        commit: large(3).toString('base64'),
        welcome: large(4).toString('base64'),
        welcomeRecipients: [{ userId: 'carol', deviceId: 'laptop' }],
      });

      await expect(refused).rejects.toThrow(LimitReachedError);
      // 12:00 UTC: twelve hours to the next day's allowance.
      await expect(refused).rejects.toMatchObject({
        cap: 'blobBytesPerUserPerDay',
        retryAfterSeconds: 43_200,
      });
      expect({ blobs: deps.blobs.keys(), log: deps.messages.messagesOf(GROUP).length }).toEqual(stored);
      await expect(epochOf(alice, GROUP)).resolves.toMatchObject({ epoch: 2 });
      // What is left of the day still fits, and another sender has a day of their own.
      await capped(bob, GROUP, { epoch: 2, commit: large(5).toString('base64') });
      await capped(alice, GROUP, { epoch: 3, commit: large(6).toString('base64') });
    });

    it('cuts a history page at the byte budget, keeping at least one, with a cursor to the rest', async () => {
      const size = 1_000_000;
      for (let epoch = 0; epoch < 4; epoch += 1) {
        await commit(alice, GROUP, { epoch, commit: Buffer.alloc(size, epoch + 1).toString('base64') });
      }
      const history = listHistory(deps);

      // 1,333,336 bytes of base64 each: three fit the 4 MiB budget, four do not.
      const first = await history(alice, GROUP, { after: 1, limit: 10 });
      const rest = await history(alice, GROUP, { cursor: first.next, limit: 10 });
      const latest = await history(alice, GROUP, { limit: 10 });

      expect(first.items.map((item) => item.seq)).toEqual([2, 3, 4]);
      expect(rest.items.map((item) => item.seq)).toEqual([5]);
      expect(rest.next).toBeUndefined();
      expect(latest.items.map((item) => item.seq)).toEqual([3, 4, 5]);
      expect(latest.next).toEqual(expect.any(String));
    });
  });

  describe('members version', () => {
    it('refuses a commit for a member list ahead of the conversation, and records the one it catches up to', async () => {
      await expect(commit(alice, GROUP, { epoch: 0, commit: b64('c0'), membersVersion: 2 })).rejects.toThrow(
        ConflictError,
      );
      expect(deps.commits.recordOf(GROUP, 0)).toBeUndefined();

      await commit(alice, GROUP, { epoch: 0, commit: b64('c0'), membersVersion: 1 });
      await expect(epochOf(bob, GROUP)).resolves.toEqual(atEpoch(1, 1));

      const changed = await deps.conversations.change(GROUP, 1, { remove: ['carol'] });
      expect(changed.membersVersion).toBe(2);
      await expect(epochOf(bob, GROUP)).resolves.toEqual({
        epoch: 1,
        membersVersion: 2,
        committedMembersVersion: 1,
      });
      // An update commit that names no version leaves the committed one as it was.
      await commit(bob, GROUP, { epoch: 1, commit: b64('c1') });
      await expect(epochOf(bob, GROUP)).resolves.toEqual({
        epoch: 2,
        membersVersion: 2,
        committedMembersVersion: 1,
      });
      await commit(bob, GROUP, { epoch: 2, commit: b64('c2'), membersVersion: 2 });
      await expect(epochOf(bob, GROUP)).resolves.toEqual({
        epoch: 3,
        membersVersion: 2,
        committedMembersVersion: 2,
      });
    });
  });

  it('keeps commits out of the message paths', async () => {
    const send = sendMessage(deps);
    const base = { senderId: 'alice', correlationId: 'r', conversationId: GROUP, body: b64('x') };

    await expect(send({ ...base, messageId: 'm9', kind: 'commit' })).rejects.toThrow(ValidationError);
    await expect(send({ ...base, messageId: 'commit-0' })).rejects.toThrow(ValidationError);
    expect(deps.messages.messagesOf(GROUP)).toHaveLength(1);
  });
});
