import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/client/api-client';
import type { OutboundFrame } from '../../shared/protocol/outbound';
import { parseConversationEvent } from '../../shared/protocol/resources';
import { type Api, apiFor, befriend, logAfter, rawRequest } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';

type Frame = OutboundFrame & Record<string, unknown>;
const is =
  (type: string, fields: Record<string, unknown> = {}) =>
  (frame: unknown) => {
    const f = frame as Frame;
    return f.type === type && Object.entries(fields).every(([key, value]) => f[key] === value);
  };

async function refused(call: Promise<unknown>, status: number, code: string) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect(error).toMatchObject({ status, code });
}

const eventOf = (frame: unknown) =>
  parseConversationEvent(Buffer.from(String((frame as Frame).body), 'base64'));

/** The group's logged events as a member reads them from the log: who did what, at which seq. */
async function events(api: Api, conversationId: string) {
  return (await logAfter(api, conversationId))
    .filter((m) => m.kind === 'event')
    .map((m) => ({
      seq: m.seq,
      senderId: m.senderId,
      event: parseConversationEvent(Buffer.from(m.body ?? '', 'base64')),
    }));
}

/** Admins, roles, and the lines a group's changes leave in its log, over the real stack. */
describe('group life', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let dave: Persona;
  let api: Record<'alice' | 'bob' | 'carol' | 'dave', Api>;
  let bobPhone: TestSocket;
  let carolPhone: TestSocket;
  let group: string;

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
    await befriend(stack, alice, bob);
    await befriend(stack, alice, carol);
    [bobPhone, carolPhone] = await Promise.all([
      connect(stack.endpoints.webSocketUrl, bob.accessToken),
      connect(stack.endpoints.webSocketUrl, carol.accessToken),
    ]);
    const created = await api.alice.createConversation({
      body: { kind: 'group', name: 'Trip', memberIds: [bob.userId] },
    });
    group = created.conversationId;
  });

  afterAll(async () => {
    await Promise.all([bobPhone, carolPhone].map((s) => s?.close()));
    await stack?.stop();
  });

  it('logs who added and renamed, in order among the messages, as lines every member reads alike', async () => {
    await api.bob.postMessage({ params: { conversationId: group }, body: { messageId: 'm1', body: 'aGk=' } });
    await api.alice.addMembers({ params: { conversationId: group }, body: { userIds: [carol.userId] } });
    const since = bobPhone.frames.length;
    await api.alice.updateConversation({ params: { conversationId: group }, body: { name: 'Trip 2025' } });

    // Pushed like a message, not counted as one.
    await bobPhone.waitFor<Frame>(
      (frame) =>
        is('message', { conversationId: group, kind: 'event' })(frame) &&
        eventOf(frame)?.type === 'renamed' &&
        eventOf(frame)?.name === 'Trip 2025',
      { since },
    );
    const expected = [
      {
        seq: 2,
        senderId: alice.userId,
        event: { type: 'members_added', actorId: alice.userId, userIds: [carol.userId] },
      },
      {
        seq: 3,
        senderId: alice.userId,
        event: { type: 'renamed', actorId: alice.userId, name: 'Trip 2025' },
      },
    ];
    expect(await events(api.bob, group)).toEqual(expected);
    // The member added reads the line about their joining too.
    expect(await events(api.carol, group)).toEqual(expected);
    const [bobs] = (await api.bob.listConversations({ query: { limit: 10 } })).items;
    expect(bobs).toMatchObject({ conversationId: group, unread: 0, lastMessage: { seq: 1 } });
  });

  it('lets an admin make a member admin: every member is pushed the change and the log names it', async () => {
    const since = carolPhone.frames.length;

    const detail = await api.alice.updateMember({
      params: { conversationId: group, userId: bob.userId },
      body: { role: 'admin' },
    });

    expect(detail.members.find((m) => m.user.userId === bob.userId)?.role).toBe('admin');
    const push = await carolPhone.waitFor<Frame>(
      is('conversation', { event: 'role_changed', conversationId: group }),
      {
        since,
      },
    );
    expect(push).toMatchObject({ actorId: alice.userId, userIds: [bob.userId], role: 'admin' });
    expect((await events(api.carol, group)).at(-1)?.event).toEqual({
      type: 'role_changed',
      actorId: alice.userId,
      userIds: [bob.userId],
      role: 'admin',
    });
    // The new admin manages the group.
    await expect(
      api.bob.updateConversation({ params: { conversationId: group }, body: { name: 'Trip 2026' } }),
    ).resolves.toMatchObject({ name: 'Trip 2026' });
  });

  it('refuses a member who is not an admin (403), a non-member (403) and a user not in the group (404)', async () => {
    await refused(
      api.carol.updateMember({
        params: { conversationId: group, userId: carol.userId },
        body: { role: 'admin' },
      }),
      403,
      'FORBIDDEN',
    );
    await refused(
      api.dave.updateMember({
        params: { conversationId: group, userId: bob.userId },
        body: { role: 'member' },
      }),
      403,
      'FORBIDDEN',
    );
    await refused(
      api.alice.updateMember({
        params: { conversationId: group, userId: dave.userId },
        body: { role: 'admin' },
      }),
      404,
      'NOT_FOUND',
    );
    const members = await api.alice.getConversation({ params: { conversationId: group } });
    expect(members.members.find((m) => m.user.userId === carol.userId)?.role).toBe('member');
  });

  it('refuses a role that is not one with VALIDATION_FAILED', async () => {
    const response = await rawRequest(
      stack,
      alice,
      'PATCH',
      `/conversations/${group}/members/${carol.userId}`,
      { role: 'owner' },
    );

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('lets an admin dismiss another, but keeps the last admin from stepping down (409)', async () => {
    await api.bob.updateMember({
      params: { conversationId: group, userId: alice.userId },
      body: { role: 'member' },
    });

    await refused(
      api.bob.updateMember({
        params: { conversationId: group, userId: bob.userId },
        body: { role: 'member' },
      }),
      409,
      'CONFLICT',
    );
    const { members } = await api.bob.getConversation({ params: { conversationId: group } });
    expect(Object.fromEntries(members.map((m) => [m.user.userId, m.role]))).toEqual({
      [alice.userId]: 'member',
      [bob.userId]: 'admin',
      [carol.userId]: 'member',
    });
  });

  it('logs a leave for those who stay, naming who became admin when the last admin left', async () => {
    const since = carolPhone.frames.length;

    await api.bob.removeMember({ params: { conversationId: group, userId: bob.userId } });

    const pushed = await carolPhone.waitFor<Frame>(is('message', { conversationId: group, kind: 'event' }), {
      since,
    });
    expect(parseConversationEvent(Buffer.from(String(pushed.body), 'base64'))).toEqual({
      type: 'member_left',
      actorId: bob.userId,
      userIds: [bob.userId],
      admins: [alice.userId],
    });
    await refused(
      api.bob.listMessages({ params: { conversationId: group }, query: { after: 0 } }),
      403,
      'FORBIDDEN',
    );
  });
});
