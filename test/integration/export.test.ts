import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiFor, befriend, rawRequest } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { browserPushSubscription } from '../support/push';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Alice asks for what the server holds about her (`GET /me/export`): her profile, her friend Bob and
 * Dave's pending request, Carol whom she blocked, her device, and the direct chat and the group she is
 * in with Bob, each with its members. Nobody else's email is in it.
 */
describe('export my data', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let dave: Persona;
  let api: Api;
  let direct: string;
  let group: string;
  const subscription = browserPushSubscription();
  const signaturePublicKey = Buffer.alloc(32, 9).toString('base64');

  beforeAll(async () => {
    stack = await startTestStack();
    [alice, bob, carol, dave] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
      signUp(stack, 'dave'),
    ]);
    api = apiFor(stack, alice);
    await befriend(stack, alice, bob);
    await befriend(stack, alice, carol);
    await apiFor(stack, dave).sendFriendRequest({ body: { userId: alice.userId } });
    direct = (await api.createConversation({ body: { kind: 'direct', userId: bob.userId } })).conversationId;
    group = (
      await api.createConversation({
        body: { kind: 'group', name: 'Export crew', memberIds: [bob.userId, carol.userId] },
      })
    ).conversationId;
    await api.postMessage({
      params: { conversationId: direct },
      body: { messageId: 'hello', body: Buffer.from('ciphertext').toString('base64') },
    });
    await api.updateConversationSettings({
      params: { conversationId: group },
      body: { pinned: true, archived: true },
    });
    await api.blockUser({ params: { userId: carol.userId } });
    await api.registerDevice({ body: { deviceId: 'alice-laptop', signaturePublicKey, name: 'Laptop' } });
    await api.putPushSubscription({ params: { deviceId: 'alice-laptop' }, body: subscription });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers the profile, friends and requests, blocks, devices and conversations with their members', async () => {
    const before = Date.now();
    const exported = await api.exportMyData();

    expect(exported.format).toBe(1);
    expect(Date.parse(exported.exportedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(exported.next).toBeUndefined();
    expect(exported.profile).toEqual({
      userId: alice.userId,
      username: alice.username,
      displayName: expect.any(String),
      email: alice.email,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      hasPicture: false,
    });

    expect(exported.friends).toHaveLength(2);
    expect(exported.friends).toEqual(
      expect.arrayContaining([
        {
          userId: bob.userId,
          username: bob.username,
          displayName: expect.any(String),
          state: 'friend',
          since: expect.any(String),
        },
        expect.objectContaining({ userId: dave.userId, username: dave.username, state: 'incoming' }),
      ]),
    );
    // Blocking Carol ended the friendship: she is a block, not a friend.
    expect(exported.blocks).toEqual([
      {
        userId: carol.userId,
        username: carol.username,
        displayName: expect.any(String),
        since: expect.any(String),
      },
    ]);

    expect(exported.devices).toEqual([
      {
        deviceId: 'alice-laptop',
        name: 'Laptop',
        createdAt: expect.any(String),
        signaturePublicKey,
        pushSubscription: {
          endpointOrigin: 'https://push.example.com',
          preview: 'name',
          updatedAt: expect.any(String),
        },
      },
    ]);

    const byId = new Map(exported.conversations.map((c) => [c.conversationId, c]));
    expect([...byId.keys()].sort()).toEqual([direct, group].sort());
    expect(byId.get(direct)).toMatchObject({
      kind: 'direct',
      role: 'member',
      settings: { pinned: false, archived: false, markedUnread: false },
    });
    expect(
      byId
        .get(direct)
        ?.members.map((m) => m.userId)
        .sort(),
    ).toEqual([alice.userId, bob.userId].sort());
    expect(byId.get(group)).toMatchObject({
      kind: 'group',
      name: 'Export crew',
      role: 'admin',
      createdAt: expect.any(String),
      joinedAt: expect.any(String),
      settings: { pinned: true, archived: true, markedUnread: false },
    });
    expect(byId.get(group)?.members).toEqual(
      expect.arrayContaining([
        { userId: alice.userId, username: alice.username, displayName: expect.any(String) },
        { userId: bob.userId, username: bob.username, displayName: expect.any(String) },
        { userId: carol.userId, username: carol.username, displayName: expect.any(String) },
      ]),
    );
  });

  it("holds nobody else's email, no push keys and no message", async () => {
    const text = await (await rawRequest(stack, alice, 'GET', '/me/export')).text();

    expect(text).toContain(alice.email);
    for (const other of [bob, carol, dave]) expect(text).not.toContain(other.email);
    expect(text).not.toContain(subscription.keys.auth);
    expect(text).not.toContain(subscription.keys.p256dh);
    expect(text).not.toContain(subscription.endpoint);
    expect(text).not.toContain(Buffer.from('ciphertext').toString('base64'));
  });

  it('answers Bob with his own side: Alice as a friend, the group he was added to as a member', async () => {
    const exported = await apiFor(stack, bob).exportMyData();

    expect(exported.profile?.email).toBe(bob.email);
    expect(exported.friends.map((f) => f.userId)).toEqual([alice.userId]);
    expect(exported.blocks).toEqual([]);
    expect(exported.conversations.find((c) => c.conversationId === group)).toMatchObject({
      role: 'member',
      settings: { pinned: false, archived: false },
    });
  });

  it('refuses a cursor it did not issue, in words', async () => {
    const response = await rawRequest(stack, alice, 'GET', '/me/export?cursor=bm90LW91cnM');

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('refuses a token from before a sign-out everywhere, though other reads still answer it for its hour', async () => {
    expect((await rawRequest(stack, dave, 'GET', '/me/export')).status).toBe(200);
    expect((await rawRequest(stack, dave, 'POST', '/me/sign-out')).status).toBe(204);
    const refused = await rawRequest(stack, dave, 'GET', '/me/export');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'SESSION_ENDED' });
    expect((await rawRequest(stack, dave, 'GET', '/me')).status).toBe(200);
  });
});
