import { InitiateAuthCommand, SignUpCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/client/api-client';
import { type Api, apiFor, befriend, logAfter, rawRequest } from '../support/api';
import { postUpload } from '../support/attachments';
import { cognitoClient, PASSWORD, type Persona, signUp } from '../support/personas';
import { browserPushSubscription } from '../support/push';
import { startTestStack, type TestStack } from '../support/stack';
import { flatten, serverContents } from '../support/stored';
import { tableReader } from '../support/table';

const TWO_HOURS_IN_SECONDS = 2 * 60 * 60;

/**
 * Alice has everything an account can have: friends, a request out, a block each way, a group she
 * administers, a direct conversation with messages both ways, a device with key packages and a push
 * subscription, a pin and a profile picture. She deletes her account. Afterwards nothing on the server
 * names her but what the people she wrote to need: her messages (ciphertext) and the lines saying she
 * left; her presence item stays two hours as a tombstone for her last tokens.
 */
describe('deleting an account (DELETE /me)', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let dave: Persona;
  let eve: Persona;
  let frank: Persona;
  let alices: Api;
  let bobs: Api;
  let group: string;
  let direct: string;
  let avatarId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    [alice, bob, carol, dave, eve, frank] = (await Promise.all(
      ['alice', 'bob', 'carol', 'dave', 'eve', 'frank'].map((name) => signUp(stack, name)),
    )) as [Persona, Persona, Persona, Persona, Persona, Persona];
    alices = apiFor(stack, alice);
    bobs = apiFor(stack, bob);
    await Promise.all([befriend(stack, alice, bob), befriend(stack, alice, carol)]);
    await alices.sendFriendRequest({ body: { userId: dave.userId } });
    await alices.blockUser({ params: { userId: eve.userId } });
    await apiFor(stack, frank).blockUser({ params: { userId: alice.userId } });

    group = (
      await alices.createConversation({
        body: { kind: 'group', name: 'Book club', memberIds: [bob.userId, carol.userId] },
      })
    ).conversationId;
    direct = (await alices.createConversation({ body: { kind: 'direct', userId: bob.userId } }))
      .conversationId;
    const body = Buffer.from('ciphertext').toString('base64');
    await alices.postMessage({ params: { conversationId: direct }, body: { messageId: 'a-1', body } });
    await bobs.postMessage({ params: { conversationId: direct }, body: { messageId: 'b-1', body } });
    await alices.postMessage({ params: { conversationId: group }, body: { messageId: 'a-2', body } });
    await alices.updateConversationSettings({ params: { conversationId: direct }, body: { pinned: true } });

    await alices.registerDevice({
      body: { deviceId: 'alice-laptop', signaturePublicKey: Buffer.alloc(32, 7).toString('base64') },
    });
    const keyPackage = Buffer.from('key package').toString('base64');
    await alices.uploadKeyPackages({
      params: { deviceId: 'alice-laptop' },
      body: { keyPackages: [keyPackage], lastResort: keyPackage },
    });
    await alices.putPushSubscription({
      params: { deviceId: 'alice-laptop' },
      body: browserPushSubscription(),
    });
    const avatar = await alices.createAvatarUpload({ body: { size: 10 } });
    expect((await postUpload(avatar, new Uint8Array(10))).status).toBe(204);
    await alices.setAvatar({ body: { avatarId: avatar.avatarId } });
    avatarId = avatar.avatarId;

    // Her sign-in is seconds old: recent enough.
    const answer = await rawRequest(stack, alice, 'DELETE', '/me');
    expect(answer.status).toBe(204);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('leaves nothing with her id on the server but her messages, the lines saying she left, and a tombstone', async () => {
    const contents = await serverContents(stack);
    const naming = contents.items.filter((item) => flatten(item).includes(alice.userId));
    const kinds = naming.map((item) => {
      const sk = String(item.sk);
      if (item.pk === `USER#${alice.userId}` && sk === 'PRESENCE') return 'tombstone';
      if (String(item.pk).startsWith('CONV#') && sk.startsWith('MSG#')) {
        return item.kind === 'event' ? 'event' : item.senderId === alice.userId ? 'her message' : 'other';
      }
      return `${String(item.pk).split('#')[0]} ${sk}`;
    });
    expect(kinds.filter((kind) => !['tombstone', 'event', 'her message'].includes(kind))).toEqual([]);
    // Both her messages, and a line in each conversation saying she left.
    expect(kinds.filter((kind) => kind === 'her message')).toHaveLength(2);
    expect(kinds.filter((kind) => kind === 'event').length).toBeGreaterThanOrEqual(2);

    const tombstone = naming.find((item) => item.sk === 'PRESENCE') as Record<string, unknown>;
    expect(Object.keys(tombstone).sort()).toEqual(['deletingAt', 'pk', 'signedOutAt', 'sk', 'ttl', 'userId']);
    expect(Number(tombstone.ttl)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + TWO_HOURS_IN_SECONDS);

    // No object of hers: her picture and its upload are gone; nothing stored names her email.
    expect(contents.objects.filter((object) => object.includes(avatarId))).toEqual([]);
    expect(contents.objects.filter((object) => object.includes(alice.userId))).toEqual([]);
    expect(contents.text.includes(alice.email)).toBe(false);
  });

  it('keeps her messages in the others’ history, with the line that she left, and closes the direct chat', async () => {
    const directLog = await logAfter(bobs, direct);
    expect(directLog.filter((m) => m.senderId === alice.userId && m.kind !== 'event')).toHaveLength(1);
    expect(directLog.find((m) => m.senderId === alice.userId && m.kind !== 'event')?.body).toBeDefined();
    const lines = directLog
      .filter((m) => m.kind === 'event')
      .map((m) => JSON.parse(Buffer.from(m.body ?? '', 'base64').toString('utf8')));
    // No admin is made in a direct chat.
    expect(lines).toEqual([{ type: 'account_deleted', actorId: alice.userId, userIds: [alice.userId] }]);
    const groupLog = await logAfter(bobs, group);
    expect(groupLog.filter((m) => m.senderId === alice.userId && m.kind !== 'event')).toHaveLength(1);

    const { items } = await bobs.listConversations({ query: {} });
    expect(items.find((c) => c.conversationId === direct)?.memberIds).toEqual([bob.userId]);
    const book = await bobs.getConversation({ params: { conversationId: group } });
    expect(book.members.map((m) => m.user.userId).sort()).toEqual([bob.userId, carol.userId].sort());
    // The group kept an admin: the longest-standing member took the role she held.
    expect(book.members.some((m) => m.role === 'admin')).toBe(true);

    const refused = await rawRequest(stack, bob, 'POST', `/conversations/${direct}/messages`, {
      messageId: 'b-2',
      body: Buffer.from('ciphertext').toString('base64'),
    });
    expect(refused.status).toBe(403);
  });

  it('ends her friendships, her request and the blocks either way; her profile is gone for everyone', async () => {
    const bobsFriends = await bobs.listFriends({ query: {} });
    expect(bobsFriends.items.map((f) => f.user.userId)).not.toContain(alice.userId);
    const davesFriends = await apiFor(stack, dave).listFriends({ query: {} });
    expect(davesFriends.items.map((f) => f.user.userId)).not.toContain(alice.userId);
    const franksBlocks = await apiFor(stack, frank).listBlocks({ query: {} });
    expect(franksBlocks.items).toEqual([]);
    // Each friend's count of friends and requests (the friendsPerUser cap) gave her place back.
    const table = tableReader(stack);
    try {
      const counts = await Promise.all(
        [bob, carol, dave].map(async (p) => (await table.get(`QUOTA#${p.userId}`, 'FRIENDS'))?.edges),
      );
      expect(counts).toEqual([0, 0, 0]);
    } finally {
      table.destroy();
    }
    await expect(bobs.getUser({ params: { userId: alice.userId } })).rejects.toMatchObject({ status: 404 });
    expect((await apiFor(stack, eve).findUsers({ query: { email: alice.email } })).items).toEqual([]);
  });

  it('refuses her old token everywhere, makes no profile for it, and lets her email sign up again', async () => {
    const me = await rawRequest(stack, alice, 'GET', '/me');
    expect(me.status).toBe(404);
    const again = await rawRequest(stack, alice, 'DELETE', '/me');
    expect(again.status).toBe(401);
    expect((await again.json()) as { code: string }).toMatchObject({ code: 'SESSION_ENDED' });
    const writes = await rawRequest(stack, alice, 'PATCH', '/me', { displayName: 'Back' });
    expect(writes.status).toBe(401);

    const client = cognitoClient(stack);
    try {
      await expect(
        client.send(
          new InitiateAuthCommand({
            ClientId: stack.endpoints.userPoolClientId,
            AuthFlow: 'USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: alice.email, PASSWORD },
          }),
        ),
      ).rejects.toThrow();
      const signedUp = await client.send(
        new SignUpCommand({
          ClientId: stack.endpoints.userPoolClientId,
          Username: alice.email,
          Password: PASSWORD,
          UserAttributes: [{ Name: 'email', Value: alice.email }],
        }),
      );
      expect(signedUp.UserSub).not.toBe(alice.userId);
    } finally {
      client.destroy();
    }
  });

  it('holds her username for nobody, so nobody passes for her at once', async () => {
    const taking = apiFor(stack, eve).updateMe({ body: { username: alice.username } });
    await expect(taking).rejects.toBeInstanceOf(ApiError);
    await expect(taking).rejects.toMatchObject({ status: 409 });
  });
});
