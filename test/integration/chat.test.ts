import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/client/api-client';
import { deleteFrame, receiptFrame, sendFrame, typingFrame } from '../../shared/protocol/inbound';
import type { OutboundFrame } from '../../shared/protocol/outbound';
import { type Api, apiFor, befriend } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { tableReader } from '../support/table';

type Frame = OutboundFrame & Record<string, unknown>;
const is =
  (type: string, fields: Record<string, unknown> = {}) =>
  (frame: unknown) => {
    const f = frame as Frame;
    return f.type === type && Object.entries(fields).every(([key, value]) => f[key] === value);
  };

/** Resolves when no frame matching `predicate` arrived within `ms`. */
async function nothingFor(socket: TestSocket, predicate: (frame: unknown) => boolean, ms = 600) {
  const since = socket.frames.length;
  await new Promise((resolve) => setTimeout(resolve, ms));
  expect(socket.frames.slice(since).filter(predicate)).toEqual([]);
}

async function refused(call: Promise<unknown>, status: number, code: string) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect(error).toMatchObject({ status, code });
}

const body = (text: string) => Buffer.from(text).toString('base64');

/** The chat product over both APIs, with several users and devices. */
describe('chat capabilities', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let dave: Persona;
  let api: Record<'alice' | 'bob' | 'carol' | 'dave', Api>;
  let alicePhone: TestSocket;
  let aliceLaptop: TestSocket;
  let bobPhone: TestSocket;
  let carolPhone: TestSocket;
  let davePhone: TestSocket;
  let direct: string;
  let group: string;

  const open = (persona: Persona) => connect(stack.endpoints.webSocketUrl, persona.accessToken);

  beforeAll(async () => {
    stack = await startTestStack();
    [alice, bob, carol, dave] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
      signUp(stack, 'dave'),
    ]);
    api = {
      alice: apiFor(stack, alice),
      bob: apiFor(stack, bob),
      carol: apiFor(stack, carol),
      dave: apiFor(stack, dave),
    };
    [alicePhone, aliceLaptop, bobPhone, carolPhone, davePhone] = await Promise.all([
      open(alice),
      open(alice),
      open(bob),
      open(carol),
      open(dave),
    ]);
  });

  afterAll(async () => {
    await Promise.all([alicePhone, aliceLaptop, bobPhone, carolPhone, davePhone].map((s) => s?.close()));
    await stack?.stop();
  });

  describe('profiles', () => {
    it('creates a profile with a unique username on first sign-in and lets the user change it', async () => {
      const me = await api.alice.getMe();
      expect(me).toMatchObject({ userId: alice.userId, email: alice.email.toLowerCase() });
      const renamed = await api.alice.updateMe({
        body: { username: `alice_${alice.userId.slice(0, 6)}`, displayName: 'Alice Ł' },
      });
      expect(renamed.displayName).toBe('Alice Ł');
      alice = { ...alice, username: renamed.username };
      await refused(api.bob.updateMe({ body: { username: alice.username } }), 409, 'CONFLICT');
      expect((await api.bob.getMe()).username).toBe(bob.username);
    });

    it('stores a display name normalised and refuses one with control or invisible characters', async () => {
      const spaced = await api.dave.updateMe({ body: { displayName: '  Dave\u3000 \tE\u0301lan ' } });
      expect(spaced.displayName).toBe('Dave \u00C9lan');
      for (const displayName of ['Da\u0000ve', 'Dave\u202Eevil', '\u200B\u200B', 'Da\u200Bve', '\u3164']) {
        await refused(api.dave.updateMe({ body: { displayName } }), 400, 'VALIDATION_FAILED');
      }
      expect((await api.dave.getMe()).displayName).toBe('Dave \u00C9lan');
      const family = await api.dave.updateMe({
        body: { displayName: 'Dave \u{1F468}\u200D\u{1F469}\u200D\u{1F467}' },
      });
      expect(family.displayName).toBe('Dave \u{1F468}\u200D\u{1F469}\u200D\u{1F467}');
    });

    it('finds users by exact email or username prefix, never by a prefix under three letters', async () => {
      const byEmail = await api.alice.findUsers({ query: { email: bob.email } });
      expect(byEmail.items).toEqual([
        { userId: bob.userId, username: bob.username, displayName: expect.any(String) },
      ]);
      expect(JSON.stringify(byEmail)).not.toContain(bob.email.toLowerCase());
      const byPrefix = await api.bob.findUsers({ query: { prefix: alice.username.slice(0, 8) } });
      expect(byPrefix.items.map((p) => p.userId)).toContain(alice.userId);
      await refused(api.bob.findUsers({ query: { prefix: 'a' } }), 400, 'VALIDATION_FAILED');
      await refused(api.bob.findUsers({ query: { prefix: 'al' } }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('friends', () => {
    it('delivers a friend request live to the other user and to the sender’s other devices', async () => {
      const sent = await api.alice.sendFriendRequest({ body: { username: bob.username } });
      expect(sent).toMatchObject({ state: 'outgoing', user: { userId: bob.userId } });
      const atBob = await bobPhone.waitFor<Frame>(is('friend', { event: 'requested' }));
      expect(atBob).toMatchObject({
        state: 'incoming',
        user: { userId: alice.userId, username: alice.username },
      });
      expect(await aliceLaptop.waitFor<Frame>(is('friend', { event: 'requested' }))).toMatchObject({
        state: 'outgoing',
        user: { userId: bob.userId },
      });
      const bobsList = await api.bob.listFriends();
      expect(bobsList.items).toEqual([
        expect.objectContaining({
          state: 'incoming',
          user: expect.objectContaining({ userId: alice.userId }),
        }),
      ]);
    });

    it('accepts, rejects and cancels, telling the other side each time', async () => {
      await api.bob.acceptFriendRequest({ params: { userId: alice.userId } });
      expect(await alicePhone.waitFor<Frame>(is('friend', { event: 'accepted' }))).toMatchObject({
        state: 'friend',
        user: { userId: bob.userId },
      });
      expect((await api.alice.listFriends()).items.map((f) => [f.user.userId, f.state])).toEqual([
        [bob.userId, 'friend'],
      ]);

      await api.carol.sendFriendRequest({ body: { userId: alice.userId } });
      await api.alice.rejectFriendRequest({ params: { userId: carol.userId } });
      await carolPhone.waitFor(is('friend', { event: 'rejected' }));

      await api.dave.sendFriendRequest({ body: { email: alice.email } });
      await api.dave.cancelFriendRequest({ params: { userId: alice.userId } });
      expect(await alicePhone.waitFor<Frame>(is('friend', { event: 'cancelled' }))).toMatchObject({
        user: { userId: dave.userId },
      });
      await refused(api.alice.acceptFriendRequest({ params: { userId: dave.userId } }), 404, 'NOT_FOUND');
      await befriend(stack, alice, carol);
      await befriend(stack, bob, carol);
    });
  });

  describe('direct conversations and messages', () => {
    it('opens a direct conversation with a friend only', async () => {
      const created = await api.alice.createConversation({ body: { kind: 'direct', userId: bob.userId } });
      expect(created.kind).toBe('direct');
      expect(created.members.map((m) => m.user.userId).sort()).toEqual([alice.userId, bob.userId].sort());
      direct = created.conversationId;
      const again = await api.bob.createConversation({ body: { kind: 'direct', userId: alice.userId } });
      expect(again.conversationId).toBe(direct);
      await refused(
        api.alice.createConversation({ body: { kind: 'direct', userId: dave.userId } }),
        403,
        'FORBIDDEN',
      );
    });

    it('delivers every message to every device of both users, the sender’s other devices included', async () => {
      alicePhone.send(
        sendFrame({ requestId: 'a1', conversationId: direct, messageId: 'm-1', body: body('one') }),
      );
      const ack = await alicePhone.waitFor<Frame>(is('ack', { requestId: 'a1' }));
      expect(ack.seq).toBe(1);
      expect(await bobPhone.waitFor<Frame>(is('message', { messageId: 'm-1' }))).toMatchObject({
        seq: 1,
        kind: 'message',
      });
      expect(await aliceLaptop.waitFor<Frame>(is('message', { messageId: 'm-1' }))).toMatchObject({ seq: 1 });

      const posted = await api.bob.postMessage({
        params: { conversationId: direct },
        body: { messageId: 'b-1', body: body('two') },
      });
      expect(posted.seq).toBe(2);
      await alicePhone.waitFor(is('message', { messageId: 'b-1' }));
      await aliceLaptop.waitFor(is('message', { messageId: 'b-1' }));
      const retried = await api.bob.postMessage({
        params: { conversationId: direct },
        body: { messageId: 'b-1', body: body('two') },
      });
      expect(retried).toEqual(posted);
    });

    it('carries edits, replies and reactions as messages of their own kind that reference a seq', async () => {
      const reaction = await api.bob.postMessage({
        params: { conversationId: direct },
        body: { messageId: 'b-react', body: body('👍'), kind: 'reaction', refSeq: 1 },
      });
      expect(await alicePhone.waitFor<Frame>(is('message', { messageId: 'b-react' }))).toMatchObject({
        kind: 'reaction',
        refSeq: 1,
        seq: reaction.seq,
      });
      await refused(
        api.bob.postMessage({
          params: { conversationId: direct },
          body: { messageId: 'b-edit', body: body('x'), kind: 'edit', refSeq: 1 },
        }),
        403,
        'FORBIDDEN',
      );
      await refused(
        api.bob.postMessage({
          params: { conversationId: direct },
          body: { messageId: 'b-re', body: body('x'), kind: 'reply', refSeq: 999 },
        }),
        404,
        'NOT_FOUND',
      );
      alicePhone.send(
        sendFrame({
          requestId: 'e1',
          conversationId: direct,
          messageId: 'a-edit',
          body: body('one!'),
          kind: 'edit',
          refSeq: 1,
        }),
      );
      expect(await alicePhone.waitFor<Frame>(is('ack', { requestId: 'e1' }))).toMatchObject({
        messageId: 'a-edit',
      });
    });

    it('pages history in seq order forwards (resume) and backwards, with no gap or duplicate', async () => {
      for (let i = 0; i < 5; i += 1) {
        await api.alice.postMessage({
          params: { conversationId: direct },
          body: { messageId: `h-${i}`, body: body(`h${i}`) },
        });
      }
      const seen: number[] = [];
      let page = await api.bob.listMessages({
        params: { conversationId: direct },
        query: { after: 0, limit: 3 },
      });
      seen.push(...page.items.map((m) => m.seq));
      while (page.next) {
        page = await api.bob.listMessages({
          params: { conversationId: direct },
          query: { cursor: page.next, limit: 3 },
        });
        seen.push(...page.items.map((m) => m.seq));
      }
      expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
      // m-1, b-1, the reaction, the edit and five more.
      expect(seen.length).toBe(9);

      const latest = await api.bob.listMessages({ params: { conversationId: direct }, query: { limit: 4 } });
      expect(latest.items.map((m) => m.seq)).toEqual([6, 7, 8, 9]);
      const earlier = await api.bob.listMessages({
        params: { conversationId: direct },
        query: { cursor: latest.next, limit: 4 },
      });
      expect(earlier.items.map((m) => m.seq)).toEqual([2, 3, 4, 5]);
    });

    it('resumes after a disconnect with exactly the missed messages', async () => {
      const lastSeen =
        (await api.bob.listMessages({ params: { conversationId: direct }, query: { limit: 1 } })).items[0]
          ?.seq ?? 0;
      await bobPhone.close();
      for (let i = 0; i < 3; i += 1) {
        await api.alice.postMessage({
          params: { conversationId: direct },
          body: { messageId: `away-${i}`, body: body(`away${i}`) },
        });
      }
      bobPhone = await open(bob);
      const missed = await api.bob.listMessages({
        params: { conversationId: direct },
        query: { after: lastSeen },
      });
      expect(missed.items.map((m) => m.messageId)).toEqual(['away-0', 'away-1', 'away-2']);
      expect(missed.items.map((m) => m.seq)).toEqual([lastSeen + 1, lastSeen + 2, lastSeen + 3]);
      expect(missed.next).toBeUndefined();
    });

    it('deletes only the author’s own message, leaving a tombstone in order, pushed to members', async () => {
      alicePhone.send(deleteFrame({ requestId: 'd1', conversationId: direct, seq: 1 }));
      expect(await alicePhone.waitFor<Frame>(is('ok', { requestId: 'd1' }))).toBeDefined();
      expect(await bobPhone.waitFor<Frame>(is('deleted', { seq: 1 }))).toMatchObject({
        conversationId: direct,
      });
      const [first] = (
        await api.bob.listMessages({ params: { conversationId: direct }, query: { after: 0, limit: 1 } })
      ).items;
      expect(first).toMatchObject({ seq: 1, messageId: 'm-1', deletedAt: expect.any(String) });
      expect(first?.body).toBeUndefined();
      // Seq 4 is Alice's edit.
      await refused(api.bob.deleteMessage({ params: { conversationId: direct, seq: 4 } }), 403, 'FORBIDDEN');
    });
  });

  describe('receipts and unread counts', () => {
    it('pushes read marks to the other member and clears the unread count on all of the reader’s devices', async () => {
      const before = (await api.bob.listConversations()).items.find((c) => c.conversationId === direct);
      expect(before?.unread).toBeGreaterThan(0);
      const head = before?.lastSeq ?? 0;
      bobPhone.send(receiptFrame({ requestId: 'rc1', conversationId: direct, delivered: head, read: head }));
      expect(await bobPhone.waitFor<Frame>(is('ok', { requestId: 'rc1' }))).toBeDefined();
      expect(
        await alicePhone.waitFor<Frame>(is('receipt', { userId: bob.userId, read: head })),
      ).toMatchObject({ delivered: head });
      const after = (await api.bob.listConversations()).items.find((c) => c.conversationId === direct);
      expect(after).toMatchObject({ unread: 0, read: head });
      const history = await api.alice.listMessages({
        params: { conversationId: direct },
        query: { limit: 1 },
      });
      expect(history.receipts.find((r) => r.userId === bob.userId)).toMatchObject({
        read: head,
        delivered: head,
      });
      const detail = await api.alice.getConversation({ params: { conversationId: direct } });
      expect(detail.members.find((m) => m.user.userId === bob.userId)).toMatchObject({
        read: head,
        delivered: head,
      });

      // Bob writes again; Alice reads on her laptop: her phone hears it, and her unread count is 0 everywhere.
      const next = await api.bob.postMessage({
        params: { conversationId: direct },
        body: { messageId: 'b-new', body: body('new') },
      });
      expect(
        (await api.alice.listConversations()).items.find((c) => c.conversationId === direct)?.unread,
      ).toBe(1);
      aliceLaptop.send(receiptFrame({ conversationId: direct, read: next.seq }));
      await alicePhone.waitFor(is('receipt', { userId: alice.userId, read: next.seq }));
      expect(
        (await api.alice.listConversations()).items.find((c) => c.conversationId === direct)?.unread,
      ).toBe(0);
    });

    it('never moves a mark back, and refuses a mark past the last message', async () => {
      const receipt = await api.bob.updateReceipts({ params: { conversationId: direct }, body: { read: 1 } });
      expect(receipt.read).toBeGreaterThan(1);
      await refused(
        api.bob.updateReceipts({ params: { conversationId: direct }, body: { read: 10_000 } }),
        400,
        'VALIDATION_FAILED',
      );
    });
  });

  describe('groups', () => {
    it('creates a group of friends with the creator as admin and tells every member', async () => {
      const created = await api.alice.createConversation({
        body: { kind: 'group', name: 'Trip 🏔️', memberIds: [bob.userId, carol.userId] },
      });
      group = created.conversationId;
      expect(created.members.find((m) => m.user.userId === alice.userId)?.role).toBe('admin');
      for (const socket of [bobPhone, carolPhone, aliceLaptop]) {
        expect(
          await socket.waitFor<Frame>(is('conversation', { event: 'created', conversationId: group })),
        ).toMatchObject({ name: 'Trip 🏔️' });
      }
      await refused(
        api.alice.createConversation({ body: { kind: 'group', name: 'x', memberIds: [dave.userId] } }),
        403,
        'FORBIDDEN',
      );
    });

    it('lets admins rename and nobody else', async () => {
      await api.alice.updateConversation({ params: { conversationId: group }, body: { name: 'Trip 2026' } });
      expect(
        await carolPhone.waitFor<Frame>(is('conversation', { event: 'renamed', conversationId: group })),
      ).toMatchObject({ name: 'Trip 2026' });
      await refused(
        api.bob.updateConversation({ params: { conversationId: group }, body: { name: 'mine' } }),
        403,
        'FORBIDDEN',
      );
    });

    it('cuts a removed member off at once: no pushes on the open connection, no reads, no posts', async () => {
      alicePhone.send(
        sendFrame({ requestId: 'g1', conversationId: group, messageId: 'g-1', body: body('hello group') }),
      );
      await carolPhone.waitFor(is('message', { messageId: 'g-1' }));
      await api.alice.removeMember({ params: { conversationId: group, userId: carol.userId } });
      expect(
        await carolPhone.waitFor<Frame>(
          is('conversation', { event: 'member_removed', conversationId: group }),
        ),
      ).toMatchObject({
        userIds: [carol.userId],
      });
      alicePhone.send(
        sendFrame({ requestId: 'g2', conversationId: group, messageId: 'g-2', body: body('after') }),
      );
      await bobPhone.waitFor(is('message', { messageId: 'g-2' }));
      await nothingFor(carolPhone, is('message', { messageId: 'g-2' }));
      await refused(api.carol.listMessages({ params: { conversationId: group } }), 403, 'FORBIDDEN');
      carolPhone.send(
        sendFrame({ requestId: 'g3', conversationId: group, messageId: 'g-3', body: body('me?') }),
      );
      expect(await carolPhone.waitFor<Frame>(is('error', { requestId: 'g3' }))).toMatchObject({
        code: 'FORBIDDEN',
      });
      expect((await api.carol.listConversations()).items.map((c) => c.conversationId)).not.toContain(group);
    });

    it('lets anyone leave, and adds members back only by an admin', async () => {
      await api.bob.removeMember({ params: { conversationId: group, userId: bob.userId } });
      await alicePhone.waitFor(is('conversation', { event: 'member_left', conversationId: group }));
      await refused(
        api.bob.addMembers({ params: { conversationId: group }, body: { userIds: [bob.userId] } }),
        403,
        'FORBIDDEN',
      );
      const back = await api.alice.addMembers({
        params: { conversationId: group },
        body: { userIds: [bob.userId, carol.userId] },
      });
      expect(back.members.map((m) => m.user.userId).sort()).toEqual(
        [alice.userId, bob.userId, carol.userId].sort(),
      );
      await carolPhone.waitFor(is('conversation', { event: 'members_added', conversationId: group }));
    });

    it('lists my conversations newest activity first on one page, and pages them in id order, each once', async () => {
      await api.bob.postMessage({
        params: { conversationId: group },
        body: { messageId: 'latest', body: body('newest') },
      });
      const whole = await api.alice.listConversations({ query: { limit: 10 } });
      expect(whole.items.map((c) => c.conversationId)).toEqual([group, direct]);
      expect(whole.items[0]?.lastMessage).toMatchObject({ messageId: 'latest' });
      expect(whole.next).toBeUndefined();

      const first = await api.alice.listConversations({ query: { limit: 1 } });
      const second = await api.alice.listConversations({ query: { limit: 1, cursor: first.next } });
      expect([...first.items, ...second.items].map((c) => c.conversationId)).toEqual([direct, group].sort());
      expect(second.next).toBeUndefined();
    });
  });

  describe('presence and typing', () => {
    it('shows online and offline to friends and co-members only', async () => {
      const seen = await api.alice.getPresence({ query: { userIds: [bob.userId, dave.userId].join(',') } });
      expect(seen.items).toEqual([{ userId: bob.userId, online: true }]);
      await bobPhone.close();
      expect(
        await alicePhone.waitFor<Frame>(is('presence', { userId: bob.userId, online: false })),
      ).toMatchObject({
        lastSeenAt: expect.any(String),
      });
      const mark = alicePhone.frames.length;
      bobPhone = await open(bob);
      await alicePhone.waitFor(is('presence', { userId: bob.userId, online: true }), { since: mark });
      await nothingFor(davePhone, is('presence', { userId: bob.userId }), 300);
    });

    it('relays typing to the other members’ devices only, and stores nothing', async () => {
      const table = tableReader(stack);
      const before = (await table.client.send(new ScanCommand({ TableName: table.tableName }))).Count;
      alicePhone.send(typingFrame({ conversationId: direct, state: 'start' }));
      expect(await bobPhone.waitFor<Frame>(is('typing', { userId: alice.userId }))).toMatchObject({
        state: 'start',
        conversationId: direct,
      });
      await nothingFor(aliceLaptop, is('typing'), 300);
      const after = (await table.client.send(new ScanCommand({ TableName: table.tableName }))).Items ?? [];
      // Only the typing allowance's counter was written; no typing event was stored.
      expect(after.length - (before ?? 0)).toBeLessThanOrEqual(1);
      expect(
        after.filter(
          (item) => String(item.pk).startsWith('RATE#') === false && JSON.stringify(item).includes('typing'),
        ),
      ).toEqual([]);
      table.destroy();
    });
  });

  describe('blocks', () => {
    it('stops requests, messages and presence from a blocked user', async () => {
      await api.bob.blockUser({ params: { userId: alice.userId } });
      alicePhone.send(
        sendFrame({ requestId: 'blk', conversationId: direct, messageId: 'blocked-1', body: body('hi?') }),
      );
      expect(await alicePhone.waitFor<Frame>(is('error', { requestId: 'blk' }))).toMatchObject({
        code: 'FORBIDDEN',
      });
      // As if Bob did not exist: the same answer as for nobody at all.
      await refused(api.alice.sendFriendRequest({ body: { userId: bob.userId } }), 404, 'NOT_FOUND');
      await refused(api.alice.blockUser({ params: { userId: bob.userId } }), 404, 'NOT_FOUND');
      expect((await api.alice.listBlocks()).items).toEqual([]);
      expect((await api.alice.getPresence({ query: { userIds: bob.userId } })).items).toEqual([]);
      expect((await api.bob.listBlocks()).items.map((b) => b.user.userId)).toEqual([alice.userId]);
      await api.bob.unblockUser({ params: { userId: alice.userId } });
      expect((await api.bob.listBlocks()).items).toEqual([]);
    });
  });

  describe('unfriending', () => {
    it('keeps the direct conversation readable but closed, and ends presence and key-package claims', async () => {
      await befriend(stack, carol, dave);
      const { conversationId } = await api.carol.createConversation({
        body: { kind: 'direct', userId: dave.userId },
      });
      await api.carol.postMessage({
        params: { conversationId },
        body: { messageId: 'before-unfriend', body: body('hi') },
      });
      expect((await api.carol.getPresence({ query: { userIds: dave.userId } })).items).toHaveLength(1);
      await api.carol.claimKeyPackages({ body: { userIds: [dave.userId] } });

      await api.dave.removeFriend({ params: { userId: carol.userId } });

      for (const [sender, messageId] of [
        [api.carol, 'after-1'],
        [api.dave, 'after-2'],
      ] as const) {
        await refused(
          sender.postMessage({ params: { conversationId }, body: { messageId, body: body('still there?') } }),
          403,
          'FORBIDDEN',
        );
      }
      carolPhone.send(typingFrame({ requestId: 'typ-unfriended', conversationId, state: 'start' }));
      expect(await carolPhone.waitFor<Frame>(is('error', { requestId: 'typ-unfriended' }))).toMatchObject({
        code: 'FORBIDDEN',
      });
      // History stays with both.
      const kept = await api.carol.listMessages({ params: { conversationId }, query: { after: 0 } });
      expect(kept.items.map((m) => m.messageId)).toEqual(['before-unfriend']);
      expect((await api.dave.listConversations()).items.map((c) => c.conversationId)).toContain(
        conversationId,
      );
      // No group in common: no presence, no key packages.
      expect((await api.carol.getPresence({ query: { userIds: dave.userId } })).items).toEqual([]);
      await refused(api.carol.claimKeyPackages({ body: { userIds: [dave.userId] } }), 403, 'FORBIDDEN');

      // Friends again, the same conversation opens.
      await befriend(stack, dave, carol);
      const again = await api.carol.postMessage({
        params: { conversationId },
        body: { messageId: 'friends-again', body: body('welcome back') },
      });
      expect(again.seq).toBe(2);
    });
  });

  it('logged no function error along the way', () => {
    expect(stack.errors).toEqual([]);
  });
});
