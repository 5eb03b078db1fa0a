import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiptFrame, typingFrame } from '../../shared/protocol/inbound';
import type { TypingPush } from '../../shared/protocol/outbound';
import { type Api, apiFor, befriend } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connectInTurn, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const typingOf = (userId: string) => (frame: unknown) =>
  (frame as TypingPush).type === 'typing' && (frame as TypingPush).userId === userId;

/** To a blocked user the blocker is a stranger who does not exist, in shared groups and their direct chat. */
describe('blocks', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let api: { alice: Api; bob: Api; carol: Api };
  let sockets: TestSocket[];
  let group: string;
  let direct: string;

  beforeAll(async () => {
    stack = await startTestStack();
    [alice, bob, carol] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
    ]);
    api = { alice: apiFor(stack, alice), bob: apiFor(stack, bob), carol: apiFor(stack, carol) };
    await befriend(stack, alice, bob);
    await befriend(stack, alice, carol);
    await befriend(stack, bob, carol);
    sockets = await connectInTurn(stack, [alice, bob, carol]);
    group = (
      await api.alice.createConversation({
        body: { kind: 'group', name: 'Shared', memberIds: [bob.userId, carol.userId] },
      })
    ).conversationId;
    direct = (await api.alice.createConversation({ body: { kind: 'direct', userId: bob.userId } }))
      .conversationId;
  });

  afterAll(async () => {
    await Promise.all((sockets ?? []).map((socket) => socket.close()));
    await stack?.stop();
  });

  it("shows the blocked user the blocker's read marks in their direct conversation as they were at the block, while the blocker's own stay right", async () => {
    const [, bobs] = sockets as [TestSocket, TestSocket, TestSocket];
    const first = await api.alice.postMessage({
      params: { conversationId: direct },
      body: { messageId: 'before-block', body: b64('one') },
    });
    await api.bob.updateReceipts({ params: { conversationId: direct }, body: { read: first.seq } });
    const second = await api.alice.postMessage({
      params: { conversationId: direct },
      body: { messageId: 'just-before-block', body: b64('two') },
    });
    await api.bob.blockUser({ params: { userId: alice.userId } });

    bobs.send(receiptFrame({ requestId: 'r-after', conversationId: direct, read: second.seq }));
    await bobs.waitFor((frame) => (frame as { requestId?: string }).requestId === 'r-after');

    const bobAsSeenByAlice = (
      await api.alice.getConversation({ params: { conversationId: direct } })
    ).members.find((member) => member.user.userId === bob.userId);
    expect(bobAsSeenByAlice).toMatchObject({ read: first.seq });
    const receipts = (
      await api.alice.listMessages({ params: { conversationId: direct }, query: { after: 0 } })
    ).receipts;
    expect(receipts.find((receipt) => receipt.userId === bob.userId)).toMatchObject({ read: first.seq });

    const bobsOwn = await api.bob.getConversation({ params: { conversationId: direct } });
    expect(bobsOwn).toMatchObject({ read: second.seq, unread: 0 });
    expect(bobsOwn.members.find((member) => member.user.userId === bob.userId)).toMatchObject({
      read: second.seq,
    });
    const listed = (await api.bob.listConversations({ query: {} })).items.find(
      (conversation) => conversation.conversationId === direct,
    );
    expect(listed).toMatchObject({ read: second.seq, unread: 0 });
  });

  it("relays neither user's typing in a shared group to the other once one blocked the other, and everyone else's still", async () => {
    const [alices, bobs, carols] = sockets as [TestSocket, TestSocket, TestSocket];
    // Bob blocked Alice above.
    const [aliceFrom, bobFrom] = [alices.frames.length, bobs.frames.length];

    bobs.send(typingFrame({ requestId: 't-bob', conversationId: group, state: 'start' }));
    alices.send(typingFrame({ requestId: 't-alice', conversationId: group, state: 'start' }));
    await carols.waitFor(typingOf(bob.userId));
    await carols.waitFor(typingOf(alice.userId));
    await bobs.waitFor((frame) => (frame as { requestId?: string }).requestId === 't-bob');
    await alices.waitFor((frame) => (frame as { requestId?: string }).requestId === 't-alice');
    // Carol's typing reaches both after theirs would have.
    carols.send(typingFrame({ requestId: 't-carol', conversationId: group, state: 'start' }));
    await alices.waitFor(typingOf(carol.userId), { since: aliceFrom });
    await bobs.waitFor(typingOf(carol.userId), { since: bobFrom });

    expect(alices.frames.slice(aliceFrom).filter(typingOf(bob.userId))).toEqual([]);
    expect(bobs.frames.slice(bobFrom).filter(typingOf(alice.userId))).toEqual([]);
  });
});
