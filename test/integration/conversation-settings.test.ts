import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/client/api-client';
import { MAX_PINNED_CONVERSATIONS, MUTED_FOREVER } from '../../shared/protocol/limits';
import type { OutboundFrame } from '../../shared/protocol/outbound';
import { type Api, apiFor, befriend, rawRequest } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';

type Frame = OutboundFrame & Record<string, unknown>;
const settingsFor = (conversationId: string) => (frame: unknown) =>
  (frame as Frame).type === 'settings' && (frame as Frame).conversationId === conversationId;

/** Resolves when no frame matching `predicate` arrived within `ms`. */
async function nothingFor(socket: TestSocket, predicate: (frame: unknown) => boolean, ms = 600) {
  const since = socket.frames.length;
  await new Promise((resolve) => setTimeout(resolve, ms));
  expect(socket.frames.slice(since).filter(predicate)).toEqual([]);
}

/** Pinning, archiving, muting and marking unread: one member's own settings, over the real stack. */
describe('conversation settings', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let aliceApi: Api;
  let aliceLaptop: TestSocket;
  let bobPhone: TestSocket;
  /** Groups of alice and bob, one more than can be pinned. */
  let groups: string[];

  const summaryOf = async (api: Api, conversationId: string) =>
    (await api.listConversations({ query: { limit: 100 } })).items.find(
      (c) => c.conversationId === conversationId,
    );
  const patch = (conversationId: string, body: unknown, persona = alice) =>
    rawRequest(stack, persona, 'PATCH', `/conversations/${conversationId}/settings`, body);

  beforeAll(async () => {
    stack = await startTestStack();
    [alice, bob, carol] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
    ]);
    await befriend(stack, alice, bob);
    aliceApi = apiFor(stack, alice);
    groups = [];
    for (let n = 0; n <= MAX_PINNED_CONVERSATIONS; n += 1) {
      const created = await aliceApi.createConversation({
        body: { kind: 'group', name: `Group ${n}`, memberIds: [bob.userId] },
      });
      groups.push(created.conversationId);
    }
    [aliceLaptop, bobPhone] = await Promise.all([
      connect(stack.endpoints.webSocketUrl, alice.accessToken),
      connect(stack.endpoints.webSocketUrl, bob.accessToken),
    ]);
  });

  afterAll(async () => {
    await Promise.all([aliceLaptop, bobPhone].map((socket) => socket?.close()));
    await stack?.stop();
  });

  it("sets each setting, lists it as the caller's own, and pushes it to the caller's other devices only", async () => {
    const [group] = groups as [string];
    const until = new Date(Date.now() + 60 * 60 * 1000).toISOString();

    const settings = await aliceApi.updateConversationSettings({
      params: { conversationId: group },
      body: { pinned: true, archived: true, mutedUntil: until, markedUnread: true },
    });

    const expected = {
      conversationId: group,
      pinned: true,
      archived: true,
      mutedUntil: until,
      markedUnread: true,
    };
    expect(settings).toEqual(expected);
    expect(await aliceLaptop.waitFor(settingsFor(group))).toEqual({ type: 'settings', ...expected });
    expect(await summaryOf(aliceApi, group)).toMatchObject({
      pinned: true,
      archived: true,
      mutedUntil: until,
      markedUnread: true,
    });
    const bobs = await summaryOf(apiFor(stack, bob), group);
    expect(bobs).toBeDefined();
    for (const field of ['pinned', 'archived', 'mutedUntil', 'markedUnread'])
      expect(bobs).not.toHaveProperty(field);
    await nothingFor(bobPhone, settingsFor(group));
  });

  it('unsets each setting with false and null, changing only the fields given', async () => {
    const [group] = groups as [string];
    await aliceApi.updateConversationSettings({
      params: { conversationId: group },
      body: { pinned: true, archived: true, mutedUntil: MUTED_FOREVER, markedUnread: true },
    });

    const partly = await aliceApi.updateConversationSettings({
      params: { conversationId: group },
      body: { markedUnread: false },
    });
    const cleared = await aliceApi.updateConversationSettings({
      params: { conversationId: group },
      body: { pinned: false, archived: false, mutedUntil: null },
    });

    expect(partly).toEqual({
      conversationId: group,
      pinned: true,
      archived: true,
      mutedUntil: MUTED_FOREVER,
      markedUnread: false,
    });
    expect(cleared).toEqual({ conversationId: group, pinned: false, archived: false, markedUnread: false });
    const listed = await summaryOf(aliceApi, group);
    for (const field of ['pinned', 'archived', 'mutedUntil', 'markedUnread'])
      expect(listed).not.toHaveProperty(field);
  });

  it('takes a mute until a time already past as no mute', async () => {
    const settings = await aliceApi.updateConversationSettings({
      params: { conversationId: groups[1] as string },
      body: { mutedUntil: '2020-01-01T00:00:00Z' },
    });

    expect(settings).not.toHaveProperty('mutedUntil');
  });

  it(`pins ${MAX_PINNED_CONVERSATIONS} conversations and refuses one more with LIMIT_REACHED`, async () => {
    const pinnable = groups.slice(0, MAX_PINNED_CONVERSATIONS);
    for (const conversationId of pinnable) {
      await aliceApi.updateConversationSettings({ params: { conversationId }, body: { pinned: true } });
    }
    const last = groups[MAX_PINNED_CONVERSATIONS] as string;

    const refused = await patch(last, { pinned: true });

    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(await refused.json()).toMatchObject({ code: 'LIMIT_REACHED' });
    expect(await summaryOf(aliceApi, last)).not.toHaveProperty('pinned');
    // Bob's pins are his own.
    await expect(
      apiFor(stack, bob).updateConversationSettings({
        params: { conversationId: last },
        body: { pinned: true },
      }),
    ).resolves.toMatchObject({ pinned: true });
    await aliceApi.updateConversationSettings({
      params: { conversationId: pinnable[0] as string },
      body: { pinned: false },
    });
    await expect(
      aliceApi.updateConversationSettings({ params: { conversationId: last }, body: { pinned: true } }),
    ).resolves.toMatchObject({ pinned: true });
  });

  it.each([
    { name: 'no field', body: {} },
    { name: 'a wrong type', body: { pinned: 'yes' } },
    { name: 'an unknown field', body: { archived: true, starred: true } },
    { name: 'a mute time that is no time', body: { mutedUntil: 'tomorrow' } },
    { name: 'a number for a mute time', body: { mutedUntil: 3600 } },
  ])('answers 400 VALIDATION_FAILED to $name', async ({ body }) => {
    const response = await patch(groups[1] as string, body);

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('refuses a user who is not a member, as every conversation route does', async () => {
    const response = await patch(groups[1] as string, { archived: true }, carol);

    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      apiFor(stack, carol).updateConversationSettings({
        params: { conversationId: groups[1] as string },
        body: { archived: true },
      }),
    ).rejects.toBeInstanceOf(ApiError);
  });
});
