import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteId } from '../../shared/api/routes';
import { apiFor, befriend } from '../support/api';
import { postUpload } from '../support/attachments';
import { type Persona, signUp } from '../support/personas';
import { browserPushSubscription } from '../support/push';
import { startTestStack, type TestStack } from '../support/stack';

type Role = 'owner' | 'member' | 'outsider' | 'removed' | 'blocked' | 'anonymous';
const ROLES: Role[] = ['owner', 'member', 'outsider', 'removed', 'blocked', 'anonymous'];

interface Case {
  readonly path: (role: Role) => string;
  readonly body?: (role: Role) => unknown;
  /** Expected status per role; `anonymous` is always 401 except on public routes. */
  readonly expect: Partial<Record<Role, number>> & { all?: number };
}

/**
 * Walks every route of the HTTP API as the owner (admin) of a group, a member,
 * a user with no relation, a removed member, a user the owner blocked, and
 * without a token, and checks each gets exactly what it should.
 */
describe('authorization on every route', () => {
  let stack: TestStack;
  const people = {} as Record<Exclude<Role, 'anonymous'>, Persona>;
  let group: string;
  let attachmentId: string;
  let avatarId: string;
  /** The owner's transfers: one approved with a chunk announced, one requested. */
  let sending: string;
  let asked: string;
  let chunkId: string;
  const nobody = randomUUID();
  const signaturePublicKey = Buffer.alloc(32, 7).toString('base64');
  const keyPackage = Buffer.from('key package').toString('base64');

  beforeAll(async () => {
    stack = await startTestStack();
    const [owner, member, outsider, removed, blocked] = await Promise.all([
      signUp(stack, 'owner'),
      signUp(stack, 'member'),
      signUp(stack, 'outsider'),
      signUp(stack, 'removed'),
      signUp(stack, 'blocked'),
    ]);
    Object.assign(people, { owner, member, outsider, removed, blocked });
    const owners = apiFor(stack, people.owner);
    await Promise.all([
      befriend(stack, people.owner, people.member),
      befriend(stack, people.owner, people.removed),
      befriend(stack, people.owner, people.blocked),
    ]);
    const created = await owners.createConversation({
      body: {
        kind: 'group',
        name: 'Matrix',
        memberIds: [people.member.userId, people.removed.userId, people.blocked.userId],
      },
    });
    group = created.conversationId;
    await owners.postMessage({
      params: { conversationId: group },
      body: { messageId: 'first', body: 'aGk=' },
    });
    ({ attachmentId } = await owners.createUpload({ params: { conversationId: group }, body: { size: 10 } }));
    await owners.postMessage({
      params: { conversationId: group },
      body: { messageId: 'with-file', body: 'aGk=', attachmentIds: [attachmentId] },
    });
    await owners.removeMember({ params: { conversationId: group, userId: people.removed.userId } });
    await owners.removeMember({ params: { conversationId: group, userId: people.blocked.userId } });
    await owners.blockUser({ params: { userId: people.blocked.userId } });
    const avatar = await owners.createAvatarUpload({ body: { size: 10 } });
    expect((await postUpload(avatar, new Uint8Array(10))).status).toBe(204);
    await owners.setAvatar({ body: { avatarId: avatar.avatarId } });
    avatarId = avatar.avatarId;
    const backupChunk = await owners.createBackupChunkUpload({ body: { size: 10 } });
    expect((await postUpload(backupChunk, new Uint8Array(10))).status).toBe(204);
    chunkId = backupChunk.chunkId;
    await owners.putBackup({
      body: { header: 'aGVhZGVy', indexChunkId: chunkId, chunkIds: [chunkId], expectedVersion: 0 },
    });
    await owners.registerDevice({ body: { deviceId: 'owner-phone', signaturePublicKey } });
    await owners.uploadKeyPackages({
      params: { deviceId: 'owner-phone' },
      body: { keyPackages: [keyPackage], lastResort: keyPackage },
    });
    await owners.registerDevice({ body: { deviceId: 'owner-old', signaturePublicKey } });
    await owners.registerDevice({ body: { deviceId: 'owner-new', signaturePublicKey } });
    const transfer = { fromDeviceId: 'owner-old', toDeviceId: 'owner-new', request: keyPackage };
    ({ transferId: sending } = await owners.requestHistoryTransfer({ body: transfer }));
    await owners.offerHistoryTransfer({ params: { transferId: sending }, body: { offer: keyPackage } });
    await owners.approveHistoryTransfer({ params: { transferId: sending }, body: { approval: keyPackage } });
    const chunk = await owners.createHistoryChunkUpload({
      params: { transferId: sending },
      body: { index: 0, size: 10 },
    });
    expect((await postUpload(chunk, new Uint8Array(10))).status).toBe(204);
    await owners.announceHistoryChunk({
      params: { transferId: sending, index: 0 },
      body: { size: 10, descriptor: keyPackage, final: false },
    });
    ({ transferId: asked } = await owners.requestHistoryTransfer({ body: transfer }));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const forbiddenToStrangers = { outsider: 403, removed: 403, blocked: 403 };
  const cases: Record<RouteId, Case> = {
    getMe: { path: () => '/me', expect: { all: 200 } },
    // Each caller's own count: nobody else's sockets are in it.
    getMySockets: { path: () => '/me/sockets', expect: { all: 200 } },
    updateMe: { path: () => '/me', body: () => ({ displayName: 'Renamed' }), expect: { all: 200 } },
    exportMyData: { path: () => '/me/export', expect: { all: 200 } },
    // Each caller's own profile, its email as the account's (unchanged here).
    syncMyEmail: { path: () => '/me/email', expect: { all: 200 } },
    findUsers: { path: () => '/users?prefix=own', expect: { all: 200 } },
    getUser: { path: () => `/users/${people.owner.userId}`, expect: { all: 200, blocked: 404 } },
    listFriends: { path: () => '/friends', expect: { all: 200 } },
    sendFriendRequest: {
      path: () => '/friends/requests',
      body: () => ({ userId: people.owner.userId }),
      expect: { owner: 400, member: 409, outsider: 201, removed: 409, blocked: 404 },
    },
    acceptFriendRequest: {
      path: () => `/friends/requests/${people.owner.userId}/accept`,
      expect: { all: 404 },
    },
    rejectFriendRequest: {
      path: () => `/friends/requests/${people.owner.userId}/reject`,
      expect: { all: 404 },
    },
    cancelFriendRequest: {
      path: () => `/friends/requests/${people.owner.userId}`,
      expect: { all: 404, outsider: 204 },
    },
    removeFriend: { path: () => `/friends/${nobody}`, expect: { all: 404 } },
    listBlocks: { path: () => '/blocks', expect: { all: 200 } },
    blockUser: { path: () => `/blocks/${people.outsider.userId}`, expect: { all: 200, outsider: 400 } },
    unblockUser: { path: () => `/blocks/${people.outsider.userId}`, expect: { all: 204 } },
    listConversations: { path: () => '/conversations', expect: { all: 200 } },
    createConversation: {
      path: () => '/conversations',
      body: () => ({ kind: 'direct', userId: people.owner.userId }),
      expect: { owner: 400, member: 201, outsider: 403, removed: 201, blocked: 403 },
    },
    getConversation: {
      path: () => `/conversations/${group}`,
      expect: { owner: 200, member: 200, ...forbiddenToStrangers },
    },
    updateConversation: {
      path: () => `/conversations/${group}`,
      body: () => ({ name: 'Renamed' }),
      expect: { owner: 200, member: 403, ...forbiddenToStrangers },
    },
    updateConversationSettings: {
      path: () => `/conversations/${group}/settings`,
      body: () => ({ archived: true }),
      expect: { owner: 200, member: 200, ...forbiddenToStrangers },
    },
    addMembers: {
      path: () => `/conversations/${group}/members`,
      body: () => ({ userIds: [people.member.userId] }),
      expect: { owner: 200, member: 403, ...forbiddenToStrangers },
    },
    removeMember: {
      path: (role) =>
        `/conversations/${group}/members/${role === 'owner' ? people.outsider.userId : people.owner.userId}`,
      expect: { owner: 404, member: 403, ...forbiddenToStrangers },
    },
    updateMember: {
      path: () => `/conversations/${group}/members/${people.member.userId}`,
      body: () => ({ role: 'member' }),
      expect: { owner: 200, member: 403, ...forbiddenToStrangers },
    },
    listMessages: {
      path: () => `/conversations/${group}/messages`,
      expect: { owner: 200, member: 200, ...forbiddenToStrangers },
    },
    postMessage: {
      path: () => `/conversations/${group}/messages`,
      body: (role) => ({ messageId: `by-${role}`, body: 'aGk=' }),
      expect: { owner: 201, member: 201, ...forbiddenToStrangers },
    },
    deleteMessage: {
      path: () => `/conversations/${group}/messages/1`,
      expect: { owner: 204, member: 403, ...forbiddenToStrangers },
    },
    createUpload: {
      path: () => `/conversations/${group}/attachments`,
      body: () => ({ size: 1024 }),
      expect: { owner: 201, member: 201, ...forbiddenToStrangers },
    },
    getAttachment: {
      path: () => `/conversations/${group}/attachments/${attachmentId}`,
      expect: { owner: 200, member: 200, ...forbiddenToStrangers },
    },
    updateReceipts: {
      path: () => `/conversations/${group}/receipts`,
      body: () => ({ read: 1 }),
      expect: { owner: 200, member: 200, ...forbiddenToStrangers },
    },
    getPresence: { path: () => `/presence?userIds=${people.owner.userId}`, expect: { all: 200 } },
    registerDevice: {
      path: () => '/devices',
      body: (role) => ({ deviceId: `${role}-laptop`, signaturePublicKey }),
      expect: { all: 201 },
    },
    // Anyone signed in checks credentials against these keys, blocks notwithstanding (groups outlive them).
    listDevices: { path: () => `/users/${people.owner.userId}/devices`, expect: { all: 200 } },
    // Device paths name the caller's own devices: only the owner has `owner-phone`.
    uploadKeyPackages: {
      path: () => '/devices/owner-phone/key-packages',
      body: () => ({ keyPackages: [keyPackage] }),
      expect: { all: 404, owner: 201 },
    },
    countKeyPackages: {
      path: () => '/devices/owner-phone/key-packages/count',
      expect: { all: 404, owner: 200 },
    },
    claimKeyPackages: {
      path: () => '/key-packages/claim',
      body: () => ({ userIds: [people.owner.userId] }),
      // Only oneself, friends and co-members: a stranger cannot drain anyone's one-use packages.
      expect: { all: 200, outsider: 403, blocked: 403 },
    },
    postCommit: {
      path: () => `/conversations/${group}/commits`,
      // Roles run in order: the owner commits epoch 0, then the member epoch 1.
      body: (role) => ({ epoch: role === 'owner' ? 0 : 1, commit: keyPackage }),
      expect: { owner: 201, member: 201, ...forbiddenToStrangers },
    },
    getEpoch: {
      path: () => `/conversations/${group}/epoch`,
      expect: { owner: 200, member: 200, ...forbiddenToStrangers },
    },
    listWelcomes: { path: () => '/devices/owner-phone/welcomes', expect: { all: 404, owner: 200 } },
    acknowledgeWelcome: {
      path: () => `/devices/owner-phone/welcomes/${group}/1`,
      expect: { all: 404, owner: 204 },
    },
    putPushSubscription: {
      path: () => '/devices/owner-phone/push-subscription',
      body: () => browserPushSubscription(),
      expect: { all: 404, owner: 200 },
    },
    getPushSubscription: {
      path: () => '/devices/owner-phone/push-subscription',
      expect: { all: 404, owner: 200 },
    },
    deletePushSubscription: {
      path: () => '/devices/owner-phone/push-subscription',
      expect: { all: 404, owner: 204 },
    },
    renameDevice: {
      path: () => '/devices/owner-phone',
      body: () => ({ name: 'Phone' }),
      expect: { all: 404, owner: 200 },
    },
    revokeDevice: { path: () => '/devices/owner-phone', expect: { all: 404, owner: 204 } },
    // History transfers are the owner's alone: anyone else's request for them is answered as for none,
    // and naming the owner's devices as one's own finds no such device.
    requestHistoryTransfer: {
      path: () => '/history-transfers',
      body: () => ({ fromDeviceId: 'owner-old', toDeviceId: 'owner-new', request: keyPackage }),
      expect: { all: 404, owner: 201 },
    },
    listHistoryTransfers: { path: () => '/history-transfers', expect: { all: 200 } },
    getHistoryTransfer: { path: () => `/history-transfers/${sending}`, expect: { all: 404, owner: 200 } },
    offerHistoryTransfer: {
      path: () => `/history-transfers/${asked}/offer`,
      body: () => ({ offer: keyPackage }),
      expect: { all: 404, owner: 200 },
    },
    approveHistoryTransfer: {
      path: () => `/history-transfers/${asked}/approve`,
      body: () => ({ approval: keyPackage }),
      expect: { all: 404, owner: 200 },
    },
    createHistoryChunkUpload: {
      path: () => `/history-transfers/${sending}/chunks`,
      body: () => ({ index: 1, size: 10 }),
      expect: { all: 404, owner: 201 },
    },
    // The owner's is a retry of the chunk announced before: answered as it is.
    announceHistoryChunk: {
      path: () => `/history-transfers/${sending}/chunks/0`,
      body: () => ({ size: 10, descriptor: keyPackage, final: false }),
      expect: { all: 404, owner: 200 },
    },
    getHistoryChunk: {
      path: () => `/history-transfers/${sending}/chunks/0`,
      expect: { all: 404, owner: 200 },
    },
    confirmHistoryChunks: {
      path: () => `/history-transfers/${sending}/received`,
      body: () => ({ received: 1 }),
      expect: { all: 404, owner: 200 },
    },
    cancelHistoryTransfer: { path: () => `/history-transfers/${asked}`, expect: { all: 404, owner: 204 } },
    // The owner's picture: theirs, their friends' and co-members' to see, never a stranger's or a blocked user's.
    getAvatar: {
      path: () => `/users/${people.owner.userId}/avatar`,
      expect: { owner: 200, member: 200, outsider: 404, removed: 200, blocked: 404 },
    },
    createAvatarUpload: {
      path: () => '/me/avatar/upload',
      body: () => ({ size: 100 }),
      expect: { all: 201 },
    },
    // Only one's own newest upload, once posted: the owner's picture is no upload of anyone's.
    setAvatar: { path: () => '/me/avatar', body: () => ({ avatarId }), expect: { all: 404 } },
    clearAvatar: { path: () => '/me/avatar', expect: { all: 204 } },
    // The backup is the owner's alone: nobody else reads or lists the owner's chunks.
    // Each reads their own: the others have none (`{ backup: null }`), never the owner's.
    getBackup: { path: () => '/me/backup', expect: { all: 200 } },
    getBackupChunk: {
      path: () => `/me/backup/chunks/${chunkId}`,
      expect: { owner: 200, member: 404, outsider: 404, removed: 404, blocked: 404 },
    },
    createBackupChunkUpload: {
      path: () => '/me/backup/chunks',
      body: () => ({ size: 10 }),
      expect: { all: 201 },
    },
    putBackup: {
      path: () => '/me/backup',
      // Another user names the owner's chunk over the version they read of their own (none): refused.
      body: (role) => ({
        header: 'aGVhZGVy',
        indexChunkId: chunkId,
        chunkIds: [chunkId],
        expectedVersion: role === 'owner' ? 1 : 0,
      }),
      expect: { owner: 200, member: 409, outsider: 409, removed: 409, blocked: 409 },
    },
    deleteBackup: { path: () => '/me/backup', expect: { all: 204 } },
    // Last of the routes with a token: it ends every session of the caller.
    signOutEverywhere: { path: () => '/me/sign-out', expect: { all: 204 } },
    // After the sign-out, every token is refused; a fresh sign-in's deletion is test/integration/delete-account.test.ts.
    deleteMe: { path: () => '/me', expect: { all: 401 } },
    getApiDescription: { path: () => '/openapi.json', expect: { all: 200, anonymous: 200 } },
  };

  it('has a case for every route', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(ROUTES).sort());
  });

  for (const id of Object.keys(cases) as RouteId[]) {
    const spec = ROUTES[id];
    it(`${spec.method} ${spec.path}`, async () => {
      const test = cases[id];
      const outcome: Partial<Record<Role, number>> = {};
      const expected: Partial<Record<Role, number>> = {};
      for (const role of ROLES) {
        const token = role === 'anonymous' ? undefined : people[role].accessToken;
        const body = test.body?.(role);
        const response = await fetch(`${stack.endpoints.httpApiUrl}${test.path(role)}`, {
          method: spec.method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        outcome[role] = response.status;
        expected[role] = test.expect[role] ?? (role === 'anonymous' ? 401 : test.expect.all);
        if (response.status >= 400 && role !== 'anonymous') {
          expect(response.headers.get('content-type')).toBe('application/problem+json');
          expect(await response.json()).toMatchObject({ status: response.status, code: expect.any(String) });
        } else {
          await response.arrayBuffer();
        }
      }
      expect(outcome).toEqual(expected);
    });
  }
});
