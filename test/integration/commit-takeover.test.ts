import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCommitLog } from '../../functions/adapters/dynamodb/dynamodb-commit-log';
import { MAX_FRAME_SIZE_IN_BYTES } from '../../shared/protocol/limits';
import type { MessageFrame, MessageRefPush, WelcomePush } from '../../shared/protocol/outbound';
import { type Api, apiFor, befriend, rawRequest } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connectInTurn, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually, tableReader } from '../support/table';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const keyOf = (seed: number) => Buffer.alloc(32, seed).toString('base64');

/**
 * Alice, Bob and Carol share a group. Alice's commit request dies after it
 * claimed the epoch; Bob's rival commit finishes hers before it is told to
 * catch up. Large commits and Welcomes go to S3 and come back whole; pushes
 * too large for a frame come as references. Commits are no news in the
 * conversation list, and the member list version tells a pending change.
 */
describe('MLS commits: takeover, large payloads, members version', () => {
  let stack: TestStack;
  let table: ReturnType<typeof tableReader>;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let alices: Api;
  let bobs: Api;
  let carols: Api;
  let group: string;
  let bobSocket: TestSocket;
  let carolSocket: TestSocket;

  const post = (persona: Persona, path: string, body: unknown) =>
    rawRequest(stack, persona, 'POST', path, body);
  const epochOf = async (api: Api) => api.getEpoch({ params: { conversationId: group } });

  beforeAll(async () => {
    stack = await startTestStack();
    table = tableReader(stack);
    [alice, bob, carol] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
    ]);
    alices = apiFor(stack, alice);
    bobs = apiFor(stack, bob);
    carols = apiFor(stack, carol);
    await Promise.all([befriend(stack, alice, bob), befriend(stack, alice, carol)]);
    group = (
      await alices.createConversation({
        body: { kind: 'group', name: 'MLS', memberIds: [bob.userId, carol.userId] },
      })
    ).conversationId;
    await carols.registerDevice({ body: { deviceId: 'laptop', signaturePublicKey: keyOf(3) } });
    [carolSocket, bobSocket] = (await connectInTurn(stack, [carol, bob])) as [TestSocket, TestSocket];
  });

  afterAll(async () => {
    await bobSocket?.close();
    await carolSocket?.close();
    table?.destroy();
    await stack?.stop();
  });

  it('finishes the commit of an author who died after claiming the epoch, then tells the rival to catch up', async () => {
    await alices.postMessage({
      params: { conversationId: group },
      body: { messageId: 'm1', body: b64('hi') },
    });
    // Alice's request, cut off right after its claim: the epoch is taken, nothing else happened.
    const commits = new DynamoDbCommitLog(
      DynamoDBDocumentClient.from(table.client, { marshallOptions: { removeUndefinedValues: true } }),
      table.tableName,
    );
    await commits.claim({
      conversationId: group,
      epoch: 0,
      senderId: alice.userId,
      hash: 'hash-of-alice-commit-0',
      claimedAt: Date.now(),
      commit: { bytes: new Uint8Array(Buffer.from('alice-commit-0')) },
      welcome: { bytes: new Uint8Array(Buffer.from('welcome-for-carol')) },
      welcomeRecipients: [{ userId: carol.userId, deviceId: 'laptop' }],
      membersVersion: 1,
    });

    const rival = await post(bob, `/conversations/${group}/commits`, {
      epoch: 0,
      commit: b64('bob-commit-0'),
    });

    expect(rival.status).toBe(409);
    expect(await rival.json()).toMatchObject({
      code: 'CONFLICT',
      detail: expect.stringContaining('epoch 1'),
    });
    const history = await bobs.listMessages({ params: { conversationId: group }, query: { after: 0 } });
    expect(
      history.items.map((message) => [message.seq, message.kind, message.messageId, message.senderId]),
    ).toEqual([
      [1, 'message', 'm1', alice.userId],
      [2, 'commit', 'commit-0', alice.userId],
    ]);
    expect(history.items[1]?.body).toBe(b64('alice-commit-0'));
    const welcome = await carolSocket.waitFor<WelcomePush>(
      (frame) => (frame as WelcomePush).type === 'welcome',
    );
    expect(welcome).toMatchObject({ conversationId: group, epoch: 1, deviceId: 'laptop' });
    expect((await carols.listWelcomes({ params: { deviceId: 'laptop' }, query: {} })).items).toEqual([
      { conversationId: group, epoch: 1, welcome: b64('welcome-for-carol'), createdAt: expect.any(String) },
    ]);
    await expect(epochOf(bobs)).resolves.toEqual({ epoch: 1, membersVersion: 1, committedMembersVersion: 1 });

    const next = await bobs.postCommit({
      params: { conversationId: group },
      body: { epoch: 1, commit: b64('bob-commit-1') },
    });
    expect(next).toMatchObject({ epoch: 2, seq: 3 });
  });

  it('finishes an abandoned claim when a member reads the epoch', async () => {
    const { epoch } = await epochOf(alices);
    const commits = new DynamoDbCommitLog(DynamoDBDocumentClient.from(table.client), table.tableName);
    await commits.claim({
      conversationId: group,
      epoch,
      senderId: carol.userId,
      hash: `hash-of-carol-commit-${epoch}`,
      claimedAt: Date.now(),
      commit: { bytes: new Uint8Array(Buffer.from(`carol-commit-${epoch}`)) },
    });

    await expect(epochOf(alices)).resolves.toMatchObject({ epoch: epoch + 1 });
    const [last] = (await alices.listMessages({ params: { conversationId: group }, query: { limit: 1 } }))
      .items;
    expect(last).toMatchObject({ kind: 'commit', messageId: `commit-${epoch}`, senderId: carol.userId });
  });

  it('keeps a large commit and Welcome in S3, pushes a reference, and serves the bytes whole', async () => {
    const { epoch } = await epochOf(alices);
    const commit = Buffer.alloc(200 * 1024, 7).toString('base64');
    const welcome = Buffer.alloc(300 * 1024, 8).toString('base64');
    const since = bobSocket.frames.length;

    const accepted = await alices.postCommit({
      params: { conversationId: group },
      body: { epoch, commit, welcome, welcomeRecipients: [{ userId: carol.userId, deviceId: 'laptop' }] },
    });

    const ref = await bobSocket.waitFor<MessageRefPush>(
      (frame) =>
        (frame as MessageRefPush).type === 'message-ref' && (frame as MessageRefPush).seq === accepted.seq,
      { since },
    );
    expect(ref).toEqual({ type: 'message-ref', conversationId: group, seq: accepted.seq });
    const fetched = await bobs.listMessages({
      params: { conversationId: group },
      query: { after: accepted.seq - 1, limit: 1 },
    });
    expect(fetched.items).toHaveLength(1);
    expect(fetched.items[0]?.body).toBe(commit);
    const items = (await carols.listWelcomes({ params: { deviceId: 'laptop' }, query: {} })).items;
    expect(items.find((item) => item.epoch === epoch + 1)?.welcome).toBe(welcome);
    // The table holds pointers, not the bytes.
    const stored = await table.get(`CONV#${group}`, `MSG#${String(accepted.seq).padStart(12, '0')}`);
    expect(stored?.body).toBeUndefined();
    expect(stored?.bodyRef).toMatchObject({ size: 200 * 1024 });
    expect(JSON.stringify(stored).length).toBeLessThan(MAX_FRAME_SIZE_IN_BYTES);
  });

  it('pushes a commit that fits one frame whole', async () => {
    const { epoch } = await epochOf(alices);
    const since = bobSocket.frames.length;

    const accepted = await alices.postCommit({
      params: { conversationId: group },
      body: { epoch, commit: b64('small') },
    });

    const pushed = await bobSocket.waitFor<MessageFrame>(
      (frame) => (frame as MessageFrame).type === 'message' && (frame as MessageFrame).seq === accepted.seq,
      { since },
    );
    expect(pushed.body).toBe(b64('small'));
  });

  it('leaves commits out of the conversation list’s preview and unread count, and out of the committer’s read mark', async () => {
    await bobs.postMessage({
      params: { conversationId: group },
      body: { messageId: 'news', body: b64('news') },
    });
    const { epoch } = await epochOf(alices);
    await alices.postCommit({
      params: { conversationId: group },
      body: { epoch, commit: b64('after-news') },
    });

    const summary = await eventually(async () => {
      const found = (await alices.listConversations({})).items.find((item) => item.conversationId === group);
      return found?.lastMessage?.messageId === 'news' ? found : undefined;
    });
    expect(summary.lastMessage).toMatchObject({ kind: 'message', messageId: 'news', senderId: bob.userId });
    // m1 was Alice's own; the commits do not count; Bob's message does.
    expect(summary.unread).toBe(1);
    const detail = await alices.getConversation({ params: { conversationId: group } });
    expect(detail.read).toBeLessThan(detail.lastSeq);
  });

  it('tells a pending member change by its version until a commit catches up with it', async () => {
    const dave = await signUp(stack, 'dave');
    await befriend(stack, alice, dave);
    const since = bobSocket.frames.length;

    const detail = await alices.addMembers({
      params: { conversationId: group },
      body: { userIds: [dave.userId] },
    });

    expect(detail.membersVersion).toBe(2);
    const push = await bobSocket.waitFor<{ type: string; event: string; membersVersion: number }>(
      (frame) => (frame as { type: string }).type === 'conversation',
      { since },
    );
    expect(push).toMatchObject({ event: 'members_added', membersVersion: 2 });
    const pending = await epochOf(alices);
    expect(pending).toMatchObject({ membersVersion: 2, committedMembersVersion: 1 });

    const ahead = await post(alice, `/conversations/${group}/commits`, {
      epoch: pending.epoch,
      commit: b64('too-far'),
      membersVersion: 3,
    });
    expect(ahead.status).toBe(409);
    expect(await ahead.json()).toMatchObject({ code: 'CONFLICT' });

    await alices.postCommit({
      params: { conversationId: group },
      body: { epoch: pending.epoch, commit: b64('adds-dave'), membersVersion: 2 },
    });
    await expect(epochOf(alices)).resolves.toEqual({
      epoch: pending.epoch + 1,
      membersVersion: 2,
      committedMembersVersion: 2,
    });
  });
});
