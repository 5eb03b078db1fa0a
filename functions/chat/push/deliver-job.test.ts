import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NEW_CONNECTION_PUSHED_WITHIN_IN_MS } from '../../../shared/protocol/limits';
import type { MessageFrame } from '../../../shared/protocol/outbound';
import { befriend, connectDevice, memoryDeps, seedConversation } from '../../../test/support/fixtures';
import { CachedConnectionStore } from '../../adapters/cache/cached-connection-store';
import type { InMemoryConnectionStore } from '../../adapters/memory/memory-connection-store';
import type { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import type { InMemoryMessageLog } from '../../adapters/memory/memory-message-log';
import type { InMemoryNotifier } from '../../adapters/memory/memory-notifier';
import type { InMemoryPushQueue } from '../../adapters/memory/memory-push-queue';
import type { InMemoryRelationshipStore } from '../../adapters/memory/memory-relationship-store';
import { NotPlacedYetError } from '../../errors';
import { WRITER_DEADLINE_IN_MS } from '../../ports/message-log';
import { deliverJob, FRESH_CONNECTIONS_MAX_USERS, RECEIPT_PUSH_MAX_MEMBERS } from './deliver-job';
import { CONNECTING_GRACE_IN_MS } from './post-all';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const GROUP = 'g_push';
const EVERY_CONNECTION = ['alice-phone', 'alice-laptop', 'bob-phone', 'carol-phone', 'dave-phone'];

describe('deliverJob', () => {
  let conversations: InMemoryConversationStore;
  let connections: InMemoryConnectionStore;
  let messages: InMemoryMessageLog;
  let relationships: InMemoryRelationshipStore;
  let notifier: InMemoryNotifier;
  let pushes: InMemoryPushQueue;
  let deliver: ReturnType<typeof deliverJob>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    const deps = memoryDeps();
    ({ conversations, connections, messages, relationships, notifier, pushes } = deps);
    deliver = deliverJob(deps);
    await createGroup(GROUP, ['alice', 'bob', 'carol']);
    for (const [userId, connectionId] of [
      ['alice', 'alice-phone'],
      ['alice', 'alice-laptop'],
      ['bob', 'bob-phone'],
      ['carol', 'carol-phone'],
      ['dave', 'dave-phone'],
    ] as const) {
      await connect(userId, connectionId);
    }
    vi.advanceTimersByTime(1_000);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const createGroup = (conversationId: string, memberIds: readonly string[]) =>
    seedConversation(conversations, { conversationId, kind: 'group', name: 'G', memberIds, now: T0 });

  const connect = (userId: string, connectionId: string) =>
    connectDevice(connections, userId, connectionId, Date.now());

  /** Which connections received anything. */
  const reached = () => EVERY_CONNECTION.filter((id) => notifier.framesOf(id).length > 0);

  async function storeMessage(senderId: string, text: string) {
    const { seq } = await messages.append({
      conversationId: GROUP,
      messageId: `m-${text}`,
      senderId,
      kind: 'message',
      body: Buffer.from(text),
      now: T0,
    });
    return seq;
  }

  const frameOf = (seq: number, senderId: string, body: string): MessageFrame => ({
    type: 'message',
    conversationId: GROUP,
    seq,
    messageId: `m-${body}`,
    senderId,
    sentAt: '2025-03-01T12:00:00.000Z',
    kind: 'message',
    body: Buffer.from(body).toString('base64'),
  });

  describe('connection lookups', () => {
    it('reads a small audience afresh for every push, and lets a large one reuse a view for a moment', async () => {
      const asked: number[] = [];
      const store = new CachedConnectionStore(
        {
          ...connections,
          put: connections.put.bind(connections),
          signedOutAt: connections.signedOutAt.bind(connections),
          signOut: connections.signOut.bind(connections),
          delete: connections.delete.bind(connections),
          listByUser: connections.listByUser.bind(connections),
          presenceOf: connections.presenceOf.bind(connections),
          listByUsers: (userIds, now) => {
            asked.push(userIds.length);
            return connections.listByUsers(userIds, now);
          },
          reachOf: (userIds, now) => {
            asked.push(userIds.length);
            return connections.reachOf(userIds, now);
          },
          setPushDevice: connections.setPushDevice.bind(connections),
          clearPushDevices: connections.clearPushDevices.bind(connections),
        },
        1_000,
      );
      const cached = deliverJob({
        ...memoryDeps(),
        conversations,
        messages,
        relationships,
        notifier,
        connections: store,
      });
      const crowd = Array.from({ length: FRESH_CONNECTIONS_MAX_USERS + 1 }, (_, index) => `member-${index}`);
      await createGroup('g_crowd', ['alice', ...crowd]);
      const job = (conversationId: string, seq: number) =>
        ({ kind: 'message', conversationId, seq, correlationId: 'c' }) as const;
      await messages.append({
        conversationId: 'g_crowd',
        messageId: 'c1',
        senderId: 'alice',
        kind: 'message',
        body: Buffer.from('1'),
        now: T0,
      });
      await messages.append({
        conversationId: 'g_crowd',
        messageId: 'c2',
        senderId: 'alice',
        kind: 'message',
        body: Buffer.from('2'),
        now: T0,
      });
      const small = await storeMessage('alice', 'one');
      const smallAgain = await storeMessage('alice', 'two');

      await cached(job(GROUP, small));
      await cached(job(GROUP, smallAgain));
      await cached(job('g_crowd', 1));
      await cached(job('g_crowd', 2));
      vi.advanceTimersByTime(NEW_CONNECTION_PUSHED_WITHIN_IN_MS);
      await cached(job('g_crowd', 2));

      // The crowd's first push reads all but Alice, whose view the small group's push had just refreshed.
      expect(asked).toEqual([3, 3, crowd.length, crowd.length + 1]);
    });
  });

  describe('a message job', () => {
    it('pushes a message too large for one frame by reference, from the job or from the log', async () => {
      const bodyRef = { key: 'commits/g_push/0/alice/abc', size: 900_000 };
      const { seq: stored } = await messages.append({
        conversationId: GROUP,
        messageId: 'commit-0',
        senderId: 'alice',
        kind: 'commit',
        bodyRef,
        now: T0,
      });
      const { seq: inline } = await messages.append({
        conversationId: GROUP,
        messageId: 'commit-1',
        senderId: 'bob',
        kind: 'commit',
        body: Buffer.alloc(30_000),
        now: T0,
      });

      await deliver({ kind: 'message', conversationId: GROUP, seq: stored, correlationId: 'c1' });
      await deliver({
        kind: 'message',
        conversationId: GROUP,
        seq: inline,
        correlationId: 'c2',
        frame: {
          ...frameOf(inline, 'bob', 'x'),
          messageId: 'commit-1',
          kind: 'commit',
          body: Buffer.alloc(30_000).toString('base64'),
        },
      });

      expect(notifier.framesOf('carol-phone')).toEqual([
        { type: 'message-ref', conversationId: GROUP, seq: stored },
        { type: 'message-ref', conversationId: GROUP, seq: inline },
      ]);
    });

    it("counts a commit as nobody's read, while a message is its sender's", async () => {
      const { seq } = await messages.append({
        conversationId: GROUP,
        messageId: 'commit-0',
        senderId: 'alice',
        kind: 'commit',
        body: Buffer.from('c'),
        now: T0,
      });
      await deliver({ kind: 'message', conversationId: GROUP, seq, correlationId: 'c1' });
      expect(await conversations.getMembership(GROUP, 'alice')).toMatchObject({
        read: 0,
        readContentCount: 0,
      });

      const next = await storeMessage('alice', 'hi');
      await deliver({ kind: 'message', conversationId: GROUP, seq: next, correlationId: 'c2' });
      expect(await conversations.getMembership(GROUP, 'alice')).toMatchObject({
        read: 2,
        readContentCount: 1,
      });
    });

    it("pushes the message to every member's devices but the connection that sent it", async () => {
      const seq = await storeMessage('alice', 'hi');
      const frame = frameOf(seq, 'alice', 'hi');

      const report = await deliver({
        kind: 'message',
        conversationId: GROUP,
        seq,
        frame,
        correlationId: 'c1',
        excludeConnectionId: 'alice-phone',
      });

      expect(reached()).toEqual(['alice-laptop', 'bob-phone', 'carol-phone']);
      expect(notifier.framesOf('bob-phone')).toEqual([frame]);
      expect(report).toEqual({ recipients: 3, delivered: 3, gone: 0 });
    });

    it("queues a Web Push for other members' devices that take one and have no open connection", async () => {
      // Bob's laptop is open (it gets the frame); his phone's browser is closed. Carol's only device is open,
      // Dave is no member, and the sender's own closed device gets nothing for her own message.
      await connections.put(
        { userId: 'bob', connectionId: 'bob-laptop', connectedAt: Date.now(), deviceId: 'laptop' },
        Date.now() + 60_000,
      );
      await connections.put(
        { userId: 'carol', connectionId: 'carol-tab', connectedAt: Date.now(), deviceId: 'web' },
        Date.now() + 60_000,
      );
      for (const [userId, deviceId] of [
        ['bob', 'laptop'],
        ['bob', 'phone'],
        ['carol', 'web'],
        ['dave', 'web'],
        ['alice', 'closed'],
      ] as const) {
        await connections.setPushDevice(userId, deviceId, true);
      }
      const seq = await storeMessage('alice', 'hi');

      await deliver({
        kind: 'message',
        conversationId: GROUP,
        seq,
        frame: frameOf(seq, 'alice', 'hi'),
        correlationId: 'c1',
      });

      expect(pushes.jobs).toEqual([
        {
          correlationId: 'c1',
          conversationId: GROUP,
          seq,
          count: 1,
          senderId: 'alice',
          targets: [{ userId: 'bob', deviceId: 'phone' }],
        },
      ]);
      expect(notifier.framesOf('bob-laptop')).toHaveLength(1);
    });

    it('queues no Web Push for a commit, nor when every device that takes one is open', async () => {
      await connections.setPushDevice('bob', 'phone', true);
      await connections.put(
        { userId: 'bob', connectionId: 'bob-phone-tab', connectedAt: Date.now(), deviceId: 'phone' },
        Date.now() + 60_000,
      );
      const message = await storeMessage('alice', 'hi');
      await deliver({ kind: 'message', conversationId: GROUP, seq: message, correlationId: 'c1' });
      await connections.delete('bob', 'bob-phone-tab', Date.now());
      const { seq: commit } = await messages.append({
        conversationId: GROUP,
        messageId: 'commit-1',
        senderId: 'alice',
        kind: 'commit',
        body: Buffer.from('c'),
        now: T0,
      });

      await deliver({ kind: 'message', conversationId: GROUP, seq: commit, correlationId: 'c2' });

      expect(pushes.jobs).toEqual([]);
    });

    it('reads the message from the log when the job carries no frame (a retried send)', async () => {
      const seq = await storeMessage('bob', 'stored body');

      await deliver({ kind: 'message', conversationId: GROUP, seq, correlationId: 'c1' });

      expect(notifier.framesOf('alice-phone')).toEqual([frameOf(seq, 'bob', 'stored body')]);
    });

    it('pushes a redelivered job as the log holds the message now: a deleted one is not pushed again', async () => {
      const live = await storeMessage('alice', 'kept');
      const gone = await storeMessage('alice', 'deleted later');
      await messages.markDeleted(GROUP, gone, 'alice', T0 + 500);
      const job = (seq: number, body: string) =>
        ({
          kind: 'message',
          conversationId: GROUP,
          seq,
          frame: frameOf(seq, 'alice', body),
          correlationId: 'c1',
        }) as const;

      const again = await deliver(job(gone, 'deleted later'), { redelivered: true });
      expect(again).toEqual({ recipients: 0, delivered: 0, gone: 0 });
      expect(reached()).toEqual([]);

      await deliver(job(live, 'kept'), { redelivered: true });
      expect(notifier.framesOf('bob-phone')).toEqual([frameOf(live, 'alice', 'kept')]);
    });

    it('pushes nothing for a message deleted before a job without its frame came', async () => {
      const seq = await storeMessage('bob', 'soon gone');
      await messages.markDeleted(GROUP, seq, 'bob', T0 + 500);

      await deliver({ kind: 'message', conversationId: GROUP, seq, correlationId: 'c1' });

      expect(reached()).toEqual([]);
    });

    it("moves the sender's read mark to their own message", async () => {
      await storeMessage('alice', 'one');
      const seq = await storeMessage('bob', 'two');

      await deliver({ kind: 'message', conversationId: GROUP, seq, correlationId: 'c1' });

      expect(await conversations.getMembership(GROUP, 'bob')).toMatchObject({ read: 2, delivered: 2 });
      expect(await conversations.getMembership(GROUP, 'alice')).toMatchObject({ read: 0 });
    });

    it('reaches only the members at delivery time, so a removed member gets nothing', async () => {
      const seq = await storeMessage('alice', 'hi');
      await conversations.change(GROUP, 1, { remove: ['carol'] });

      await deliver({ kind: 'message', conversationId: GROUP, seq, correlationId: 'c1' });

      expect(reached()).toEqual(['alice-phone', 'alice-laptop', 'bob-phone']);
    });

    it('delivers nothing for a message never placed, nor in a conversation that is not there', async () => {
      const nothing = { recipients: 0, delivered: 0, gone: 0 };
      // Taken a writer's deadline ago and still empty: its writer died before placing it.
      const takenAt = T0 - WRITER_DEADLINE_IN_MS;

      await expect(
        deliver({ kind: 'message', conversationId: GROUP, seq: 9, takenAt, correlationId: 'c' }),
      ).resolves.toEqual(nothing);
      await expect(
        deliver({
          kind: 'message',
          conversationId: 'g_missing',
          seq: 1,
          takenAt,
          frame: frameOf(1, 'alice', 'x'),
          correlationId: 'c',
        }),
      ).resolves.toEqual(nothing);
      expect(reached()).toEqual([]);
    });

    it('waits for a message its job came ahead of, and pushes it once placed', async () => {
      const job = {
        kind: 'message' as const,
        conversationId: GROUP,
        seq: 1,
        takenAt: T0,
        correlationId: 'c',
      };
      const delivering = deliver({ ...job, frame: frameOf(1, 'alice', 'late') });
      await vi.advanceTimersByTimeAsync(25);

      await messages.append({
        conversationId: GROUP,
        messageId: 'm-late',
        senderId: 'alice',
        kind: 'message',
        now: T0,
      });
      await vi.advanceTimersByTimeAsync(1_000);

      await expect(delivering).resolves.toMatchObject({ delivered: 4 });
      expect(reached().length).toBeGreaterThan(0);
    });

    it('fails a job whose message may still be placed, so the queue tries it again, and drops one filled as skipped', async () => {
      const early = deliver({
        kind: 'message',
        conversationId: GROUP,
        seq: 1,
        takenAt: T0,
        correlationId: 'c',
      });
      const failed = expect(early).rejects.toThrow(NotPlacedYetError);
      await vi.advanceTimersByTimeAsync(2_000);
      await failed;

      // The writer died: a reader fills its seq once it cannot still be running.
      messages.abandon(GROUP, T0);
      await messages.append({
        conversationId: GROUP,
        messageId: 'm2',
        senderId: 'bob',
        kind: 'message',
        now: T0,
      });
      await messages.list(GROUP, { after: 0, limit: 10 }, T0 + 3 * WRITER_DEADLINE_IN_MS);
      expect((await messages.get(GROUP, 1))?.kind).toBe('skipped');
      await expect(
        deliver({ kind: 'message', conversationId: GROUP, seq: 1, takenAt: T0, correlationId: 'c' }),
      ).resolves.toEqual({ recipients: 0, delivered: 0, gone: 0 });
      expect(reached()).toEqual([]);
    });
  });

  describe('a conversation job', () => {
    const removal = {
      type: 'conversation' as const,
      event: 'member_removed' as const,
      conversationId: GROUP,
      kind: 'group' as const,
      name: 'G',
      memberIds: ['alice', 'bob'],
      actorId: 'alice',
      userIds: ['carol'],
      membersVersion: 2,
    };

    it('reaches the current members and the users named beside them', async () => {
      await conversations.change(GROUP, 1, { remove: ['carol'] });

      await deliver({
        kind: 'conversation',
        conversationId: GROUP,
        frame: removal,
        alsoUserIds: ['carol'],
        correlationId: 'c1',
        excludeConnectionId: 'alice-laptop',
      });

      expect(reached()).toEqual(['alice-phone', 'bob-phone', 'carol-phone']);
      expect(notifier.framesOf('carol-phone')).toEqual([removal]);
    });

    it('sends each device one copy when a named user is also a member', async () => {
      await deliver({
        kind: 'conversation',
        conversationId: GROUP,
        frame: removal,
        alsoUserIds: ['bob'],
        correlationId: 'c',
      });

      expect(notifier.framesOf('bob-phone')).toHaveLength(1);
    });

    it(`pushes receipts to every member of a group of ${RECEIPT_PUSH_MAX_MEMBERS}`, async () => {
      const members = ['alice', ...Array.from({ length: RECEIPT_PUSH_MAX_MEMBERS - 1 }, (_, i) => `m-${i}`)];
      await createGroup('g_big', members);
      await connect('m-0', 'm-0-phone');

      await deliver({
        kind: 'conversation',
        conversationId: 'g_big',
        frame: { type: 'receipt', conversationId: 'g_big', userId: 'alice', delivered: 1, read: 1 },
        correlationId: 'c1',
      });

      expect(notifier.framesOf('m-0-phone')).toHaveLength(1);
      expect(notifier.framesOf('alice-laptop')).toHaveLength(1);
    });

    it(`pushes receipts only to the reader's devices in a group over ${RECEIPT_PUSH_MAX_MEMBERS}`, async () => {
      const members = ['alice', ...Array.from({ length: RECEIPT_PUSH_MAX_MEMBERS }, (_, i) => `m-${i}`)];
      await createGroup('g_big', members);
      await connect('m-0', 'm-0-phone');
      const receipt = {
        type: 'receipt' as const,
        conversationId: 'g_big',
        userId: 'alice',
        delivered: 1,
        read: 1,
      };

      await deliver({
        kind: 'conversation',
        conversationId: 'g_big',
        frame: receipt,
        correlationId: 'c1',
        excludeConnectionId: 'alice-phone',
      });

      expect(notifier.framesOf('m-0-phone')).toEqual([]);
      expect(reached()).toEqual(['alice-laptop']);
      expect(notifier.framesOf('alice-laptop')).toEqual([receipt]);
    });

    it('still pushes other frames to every member of a large group', async () => {
      const members = ['alice', ...Array.from({ length: RECEIPT_PUSH_MAX_MEMBERS }, (_, i) => `m-${i}`)];
      await createGroup('g_big', members);
      await connect('m-0', 'm-0-phone');

      await deliver({
        kind: 'conversation',
        conversationId: 'g_big',
        frame: { type: 'deleted', conversationId: 'g_big', seq: 1, deletedAt: '2025-03-01T12:00:00.000Z' },
        correlationId: 'c1',
      });

      expect(notifier.framesOf('m-0-phone')).toHaveLength(1);
    });
  });

  it("a users job reaches the listed users' devices", async () => {
    const frame = {
      type: 'friend' as const,
      event: 'requested' as const,
      user: { userId: 'alice', username: 'alice', displayName: 'Alice' },
      state: 'incoming' as const,
    };

    await deliver({
      kind: 'users',
      userIds: ['dave', 'alice'],
      frame,
      correlationId: 'c1',
      excludeConnectionId: 'alice-phone',
    });

    expect(reached()).toEqual(['alice-laptop', 'dave-phone']);
    expect(notifier.framesOf('dave-phone')).toEqual([frame]);
  });

  describe('a presence job', () => {
    beforeEach(async () => {
      await befriend(relationships, 'alice', 'dave', T0);
    });

    it("tells the user's friends and co-members, not the user, with the last-seen time", async () => {
      await deliver({
        kind: 'presence',
        userId: 'alice',
        online: false,
        lastSeenAt: T0,
        correlationId: 'c1',
      });

      expect(reached()).toEqual(['bob-phone', 'carol-phone', 'dave-phone']);
      expect(notifier.framesOf('dave-phone')).toEqual([
        { type: 'presence', userId: 'alice', online: false, lastSeenAt: '2025-03-01T12:00:00.000Z' },
      ]);
    });

    it('says online without a last-seen time', async () => {
      await deliver({ kind: 'presence', userId: 'alice', online: true, correlationId: 'c1' });

      expect(notifier.framesOf('bob-phone')).toEqual([{ type: 'presence', userId: 'alice', online: true }]);
    });

    it('tells nobody blocked either way', async () => {
      await relationships.block({ userId: 'alice', blockedId: 'bob', since: T0 });
      await relationships.block({ userId: 'dave', blockedId: 'alice', since: T0 });

      await deliver({ kind: 'presence', userId: 'alice', online: true, correlationId: 'c1' });

      expect(reached()).toEqual(['carol-phone']);
    });
  });

  it("a device job reaches the user's own devices, friends and co-members, never across a block", async () => {
    await befriend(relationships, 'alice', 'dave', T0);
    await relationships.block({ userId: 'carol', blockedId: 'alice', since: T0 });

    await deliver({
      kind: 'device',
      event: 'registered',
      userId: 'alice',
      deviceId: 'tablet',
      correlationId: 'c1',
    });

    expect(reached()).toEqual(['alice-phone', 'alice-laptop', 'bob-phone', 'dave-phone']);
    expect(notifier.framesOf('alice-laptop')).toEqual([
      { type: 'device', event: 'registered', userId: 'alice', deviceId: 'tablet' },
    ]);
  });

  it("a profile job reaches the user's own devices, friends and co-members, never across a block", async () => {
    await befriend(relationships, 'alice', 'dave', T0);
    await relationships.block({ userId: 'carol', blockedId: 'alice', since: T0 });
    const user = { userId: 'alice', username: 'alice', displayName: 'Alice A.' };

    await deliver({ kind: 'profile', user, correlationId: 'c1' });

    expect(reached()).toEqual(['alice-phone', 'alice-laptop', 'bob-phone', 'dave-phone']);
    expect(notifier.framesOf('dave-phone')).toEqual([{ type: 'profile', user }]);
  });

  describe('failures', () => {
    const hello = {
      type: 'typing' as const,
      conversationId: GROUP,
      userId: 'alice',
      state: 'start' as const,
    };

    it('forgets connections that are gone and reaches the rest', async () => {
      notifier.markGone('bob-phone');
      // Past the grace a young connection gets while its handshake completes.
      vi.advanceTimersByTime(CONNECTING_GRACE_IN_MS);

      const report = await deliver({
        kind: 'conversation',
        conversationId: GROUP,
        frame: hello,
        correlationId: 'c1',
      });

      expect(report).toEqual({ recipients: 4, delivered: 3, gone: 1 });
      expect(await connections.listByUser('bob', Date.now())).toEqual([]);
      expect(reached()).toEqual(['alice-phone', 'alice-laptop', 'carol-phone']);
    });

    it('throws any other failure so the job is retried, keeping the connection', async () => {
      notifier.failWith('bob-phone', new Error('TooManyRequestsException'));

      await expect(
        deliver({ kind: 'conversation', conversationId: GROUP, frame: hello, correlationId: 'c1' }),
      ).rejects.toThrow('TooManyRequestsException');
      expect(await connections.listByUser('bob', Date.now())).toHaveLength(1);
    });
  });
});
