import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccountExport } from '../../../shared/api/route-responses';
import {
  EXPORT_BLOCKS_PER_PAGE,
  EXPORT_CONVERSATIONS_PER_PAGE,
  EXPORT_FRIENDS_PER_PAGE,
} from '../../../shared/protocol/limits';
import {
  befriend,
  type MemoryDeps,
  memoryDeps,
  requestFriendship,
  seedConversation,
} from '../../../test/support/fixtures';
import { InMemoryDeviceDirectory } from '../../adapters/memory/memory-device-directory';
import { NotFoundError, ValidationError } from '../../errors';
import { exportMyData } from './export-my-data';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const ISO_T0 = '2025-03-01T12:00:00.000Z';
const HOUR_IN_MS = 60 * 60 * 1000;
const profile = (userId: string) => ({
  userId,
  username: userId,
  displayName: userId.toUpperCase(),
  email: `${userId}@example.com`,
  createdAt: T0,
});
const person = (userId: string) => ({ userId, username: userId, displayName: userId.toUpperCase() });
const alice = { userId: 'alice', correlationId: 'req-alice' };

describe('exportMyData', () => {
  let deps: MemoryDeps & { devices: InMemoryDeviceDirectory };
  let exportOf: ReturnType<typeof exportMyData>;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    deps = {
      ...memoryDeps({
        profiles: [
          { ...profile('alice'), avatarId: 'avatar-1' },
          profile('bob'),
          profile('carol'),
          profile('dave'),
        ],
      }),
      devices: new InMemoryDeviceDirectory(),
    };
    exportOf = exportMyData(deps);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers a small account whole in one page: profile, devices, friends and requests, blocks, conversations', async () => {
    await befriend(deps.relationships, 'alice', 'bob', T0);
    await requestFriendship(deps.relationships, 'dave', 'alice', T0 + 1000);
    await deps.relationships.block({ userId: 'alice', blockedId: 'carol', since: T0 + 2000 });
    await deps.devices.registerIfAbsent({
      userId: 'alice',
      deviceId: 'laptop',
      signaturePublicKey: new Uint8Array(32).fill(1),
      name: 'Laptop',
      createdAt: T0,
    });
    await deps.devices.registerIfAbsent({
      userId: 'alice',
      deviceId: 'old-phone',
      signaturePublicKey: new Uint8Array(32).fill(2),
      createdAt: T0,
    });
    await deps.devices.revoke('alice', 'old-phone', T0 + 3000);
    await deps.devices.setPushSubscription({
      userId: 'alice',
      deviceId: 'laptop',
      endpoint: 'https://push.example.com/secret-path',
      p256dh: 'p256dh-key',
      auth: 'auth-secret',
      preview: 'none',
      updatedAt: T0,
    });
    await seedConversation(deps.conversations, {
      conversationId: 'd_alice_bob',
      kind: 'direct',
      memberIds: ['alice', 'bob'],
      now: T0,
    });
    await seedConversation(deps.conversations, {
      conversationId: 'g_group',
      kind: 'group',
      name: 'Climbers',
      memberIds: ['bob', 'alice', 'ghost'],
      admins: ['bob'],
      now: T0 + 5000,
    });
    await deps.conversations.pin('alice', 'g_group', 5);
    await deps.conversations.changeSettings('g_group', 'alice', { mutedUntil: T0 + HOUR_IN_MS });
    vi.advanceTimersByTime(60_000);

    const exported = await exportOf(alice);

    expect(exported).toEqual({
      format: 1,
      exportedAt: '2025-03-01T12:01:00.000Z',
      profile: { ...person('alice'), email: 'alice@example.com', createdAt: ISO_T0, hasPicture: true },
      devices: [
        {
          deviceId: 'laptop',
          name: 'Laptop',
          createdAt: ISO_T0,
          signaturePublicKey: Buffer.alloc(32, 1).toString('base64'),
          pushSubscription: {
            endpointOrigin: 'https://push.example.com',
            preview: 'none',
            updatedAt: ISO_T0,
          },
        },
        {
          deviceId: 'old-phone',
          createdAt: ISO_T0,
          revokedAt: '2025-03-01T12:00:03.000Z',
          signaturePublicKey: Buffer.alloc(32, 2).toString('base64'),
        },
      ],
      friends: [
        { ...person('bob'), state: 'friend', since: ISO_T0 },
        { ...person('dave'), state: 'incoming', since: '2025-03-01T12:00:01.000Z' },
      ],
      blocks: [{ ...person('carol'), since: '2025-03-01T12:00:02.000Z' }],
      conversations: [
        {
          conversationId: 'd_alice_bob',
          kind: 'direct',
          createdAt: ISO_T0,
          role: 'member',
          joinedAt: ISO_T0,
          settings: { pinned: false, archived: false, markedUnread: false },
          members: [person('alice'), person('bob')],
        },
        {
          conversationId: 'g_group',
          kind: 'group',
          name: 'Climbers',
          createdAt: '2025-03-01T12:00:05.000Z',
          role: 'member',
          joinedAt: '2025-03-01T12:00:05.000Z',
          settings: {
            pinned: true,
            archived: false,
            mutedUntil: '2025-03-01T13:00:00.000Z',
            markedUnread: false,
          },
          // A member without a profile is named as the app names one, never left out.
          members: [
            person('bob'),
            person('alice'),
            { userId: 'ghost', username: 'unknown', displayName: 'Unknown user' },
          ],
        },
      ],
    });
    const text = JSON.stringify(exported);
    for (const other of ['bob', 'carol', 'dave']) expect(text).not.toContain(`${other}@example.com`);
    for (const secret of ['secret-path', 'p256dh-key', 'auth-secret', 'avatar-1'])
      expect(text).not.toContain(secret);
  });

  it('pages a large account part after part, each page bounded, and the pages together hold all of it once', async () => {
    const friendIds = Array.from(
      { length: EXPORT_FRIENDS_PER_PAGE + 50 },
      (_, i) => `f${String(i).padStart(4, '0')}`,
    );
    const blockedIds = Array.from(
      { length: EXPORT_BLOCKS_PER_PAGE + 20 },
      (_, i) => `b${String(i).padStart(4, '0')}`,
    );
    const groupIds = Array.from(
      { length: 2 * EXPORT_CONVERSATIONS_PER_PAGE + 5 },
      (_, i) => `g_${String(i).padStart(4, '0')}`,
    );
    for (const id of friendIds) await befriend(deps.relationships, 'alice', id, T0);
    for (const id of blockedIds)
      await deps.relationships.block({ userId: 'alice', blockedId: id, since: T0 });
    for (const conversationId of groupIds)
      await seedConversation(deps.conversations, {
        conversationId,
        kind: 'group',
        name: conversationId,
        memberIds: ['alice', 'bob'],
        now: T0,
      });

    const pages: AccountExport[] = [];
    let cursor: string | undefined;
    do {
      const page = await exportOf(alice, cursor);
      pages.push(page);
      cursor = page.next;
    } while (cursor !== undefined && pages.length < 20);

    expect(pages.map((p) => [p.friends.length, p.blocks.length, p.conversations.length])).toEqual([
      [EXPORT_FRIENDS_PER_PAGE, 0, 0],
      [50, EXPORT_BLOCKS_PER_PAGE, 0],
      [0, 20, EXPORT_CONVERSATIONS_PER_PAGE],
      [0, 0, EXPORT_CONVERSATIONS_PER_PAGE],
      [0, 0, 5],
    ]);
    expect(pages.map((p) => p.profile !== undefined && p.devices !== undefined)).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(pages.flatMap((p) => p.friends.map((f) => f.userId))).toEqual(friendIds);
    expect(pages.flatMap((p) => p.blocks.map((b) => b.userId))).toEqual(blockedIds);
    expect(pages.flatMap((p) => p.conversations.map((c) => c.conversationId))).toEqual(groupIds);
  });

  it('leaves out a conversation the caller was just removed from, though the index still names it', async () => {
    const conversation = await seedConversation(deps.conversations, {
      conversationId: 'g_left',
      kind: 'group',
      name: 'Left',
      memberIds: ['alice', 'bob'],
      now: T0,
    });
    vi.spyOn(deps.conversations, 'getMany').mockResolvedValue([{ ...conversation, memberIds: ['bob'] }]);

    expect((await exportOf(alice)).conversations).toEqual([]);
  });

  it('refuses a user with no profile yet, and a cursor it did not issue', async () => {
    await expect(exportOf({ userId: 'nobody', correlationId: 'r' })).rejects.toThrow(NotFoundError);
    await expect(exportOf(alice, 'bm90LW91cnM')).rejects.toThrow(ValidationError);
    await expect(
      exportOf(alice, Buffer.from(JSON.stringify(['friends', 'forged'])).toString('base64url')),
    ).rejects.toThrow(ValidationError);
  });
});

describe('exportMyData: the encrypted backup', () => {
  it('lists the backup’s size, chunk count and last write on the first page, never its bytes or header', async () => {
    vi.useFakeTimers({ now: T0 });
    try {
      const deps = {
        ...memoryDeps({ profiles: [profile('alice')] }),
        devices: new InMemoryDeviceDirectory(),
      };
      expect((await exportMyData(deps)(alice)).backup).toBeUndefined();
      await deps.backups.putHead(
        'alice',
        {
          version: 3,
          header: 'c2VjcmV0',
          indexChunkId: 'i',
          chunkIds: ['i', 'd'],
          bytes: 4096,
          updatedAt: T0,
        },
        0,
      );

      const exported = await exportMyData(deps)(alice);

      expect(exported.backup).toEqual({ bytes: 4096, chunks: 2, updatedAt: ISO_T0 });
      expect(JSON.stringify(exported)).not.toContain('c2VjcmV0');
    } finally {
      vi.useRealTimers();
    }
  });
});
