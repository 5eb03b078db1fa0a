import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteFrame, sendFrame } from '../../shared/protocol/inbound';
import { MAX_COMMIT_SIZE_IN_BYTES } from '../../shared/protocol/limits';
import type { MessageFrame, WelcomePush } from '../../shared/protocol/outbound';
import { type Api, apiFor, befriend, rawRequest } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, connectInTurn, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { tableReader } from '../support/table';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const keyOf = (seed: number) => Buffer.alloc(32, seed).toString('base64');

/**
 * Alice and Bob share a group and race to commit the same epoch: the server
 * takes exactly one. Alice's commit adds Carol's laptop with a Welcome, which
 * only that device fetches and acknowledges. Dave, a stranger, gets nowhere.
 */
describe('ordered MLS commits and welcomes', () => {
  let stack: TestStack;
  let table: ReturnType<typeof tableReader>;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let dave: Persona;
  let alices: Api;
  let bobs: Api;
  let carols: Api;
  let group: string;
  let carolSocket: TestSocket;
  let bobSocket: TestSocket;

  const post = (persona: Persona, path: string, body: unknown, method = 'POST') =>
    rawRequest(stack, persona, method, path, body);

  /** Everything stored under the group's partition but its members' receipt marks. */
  const groupItems = async () =>
    JSON.stringify(
      (await table.query(`CONV#${group}`)).filter((item) => !String(item.sk).startsWith('MEMBER#')),
    );

  beforeAll(async () => {
    stack = await startTestStack();
    table = tableReader(stack);
    [alice, bob, carol, dave] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
      signUp(stack, 'dave'),
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
    await carols.registerDevice({ body: { deviceId: 'phone', signaturePublicKey: keyOf(4) } });
    [carolSocket, bobSocket] = (await connectInTurn(stack, [carol, bob])) as [TestSocket, TestSocket];
  });

  afterAll(async () => {
    await carolSocket?.close();
    await bobSocket?.close();
    table?.destroy();
    await stack?.stop();
  });

  it('starts a group at epoch 0', async () => {
    await expect(alices.getEpoch({ params: { conversationId: group } })).resolves.toEqual({
      epoch: 0,
      membersVersion: 1,
      committedMembersVersion: 0,
    });
  });

  it('accepts exactly one of two commits racing for the same epoch, and logs it in order', async () => {
    await alices.postMessage({
      params: { conversationId: group },
      body: { messageId: 'm1', body: b64('one') },
    });

    const since = bobSocket.frames.length;
    const [fromAlice, fromBob] = await Promise.all([
      post(alice, `/conversations/${group}/commits`, {
        epoch: 0,
        commit: b64('alice-commit-0'),
        welcome: b64('welcome-for-carol-laptop'),
        welcomeRecipients: [{ userId: carol.userId, deviceId: 'laptop' }],
      }),
      post(bob, `/conversations/${group}/commits`, { epoch: 0, commit: b64('bob-commit-0') }),
    ]);
    await alices.postMessage({
      params: { conversationId: group },
      body: { messageId: 'm2', body: b64('two') },
    });

    const statuses = [fromAlice.status, fromBob.status].sort();
    expect(statuses).toEqual([201, 409]);
    const [winner, loser] = fromAlice.status === 201 ? [fromAlice, fromBob] : [fromBob, fromAlice];
    const accepted = await winner.json();
    expect(accepted).toEqual({ conversationId: group, epoch: 1, seq: 2, sentAt: expect.any(String) });
    expect(loser.headers.get('content-type')).toBe('application/problem+json');
    expect(await loser.json()).toMatchObject({
      code: 'CONFLICT',
      detail: expect.stringContaining('epoch 1'),
    });
    await expect(bobs.getEpoch({ params: { conversationId: group } })).resolves.toMatchObject({ epoch: 1 });

    const winningCommit = winner === fromAlice ? b64('alice-commit-0') : b64('bob-commit-0');
    const history = await bobs.listMessages({ params: { conversationId: group }, query: { after: 0 } });
    expect(history.items.map((message) => [message.seq, message.kind, message.messageId])).toEqual([
      [1, 'message', 'm1'],
      [2, 'commit', 'commit-0'],
      [3, 'message', 'm2'],
    ]);
    expect(history.items[1]?.body).toBe(winningCommit);
    const pushed = await bobSocket.waitFor<MessageFrame>(
      (frame) => (frame as MessageFrame).type === 'message' && (frame as MessageFrame).kind === 'commit',
      { since },
    );
    expect(pushed).toMatchObject({
      conversationId: group,
      seq: 2,
      messageId: 'commit-0',
      body: winningCommit,
    });

    // The rest of the test builds on Alice's commit: when Bob won, Alice commits the next epoch.
    if (winner !== fromAlice) {
      const next = await post(alice, `/conversations/${group}/commits`, {
        epoch: 1,
        commit: b64('alice-commit-1'),
        welcome: b64('welcome-for-carol-laptop'),
        welcomeRecipients: [{ userId: carol.userId, deviceId: 'laptop' }],
      });
      expect(next.status).toBe(201);
    }
  });

  it('returns the first result to the winner posting the same commit again', async () => {
    const epoch = (await alices.getEpoch({ params: { conversationId: group } })).epoch;
    const first = await alices.postCommit({
      params: { conversationId: group },
      body: { epoch, commit: b64(`retry-${epoch}`) },
    });
    const before = await groupItems();

    const again = await alices.postCommit({
      params: { conversationId: group },
      body: { epoch, commit: b64(`retry-${epoch}`) },
    });
    const rival = await post(bob, `/conversations/${group}/commits`, { epoch, commit: b64('bob-late') });

    expect(again).toEqual(first);
    expect(rival.status).toBe(409);
    expect(await groupItems()).toBe(before);
  });

  it('stores a Welcome for the recipient device only, pushes it, lists it, and lets it be acknowledged', async () => {
    // Whichever commit won the race above (only Alice's carried a Welcome), start from none waiting.
    for (const waiting of (await carols.listWelcomes({ params: { deviceId: 'laptop' }, query: {} })).items) {
      await carols.acknowledgeWelcome({
        params: { deviceId: 'laptop', conversationId: group, epoch: waiting.epoch },
      });
    }
    const since = carolSocket.frames.length;
    const { epoch } = await alices.getEpoch({ params: { conversationId: group } });
    await alices.postCommit({
      params: { conversationId: group },
      body: {
        epoch,
        commit: b64(`alice-commit-${epoch}`),
        welcome: b64('welcome-for-carol-laptop'),
        welcomeRecipients: [{ userId: carol.userId, deviceId: 'laptop' }],
      },
    });

    const push = await carolSocket.waitFor<WelcomePush>(
      (frame) => (frame as WelcomePush).type === 'welcome',
      {
        since,
      },
    );
    expect(push).toEqual({ type: 'welcome', conversationId: group, epoch: epoch + 1, deviceId: 'laptop' });

    const listed = await carols.listWelcomes({ params: { deviceId: 'laptop' }, query: {} });
    expect(listed.items).toEqual([
      {
        conversationId: group,
        epoch: push.epoch,
        welcome: b64('welcome-for-carol-laptop'),
        createdAt: expect.any(String),
      },
    ]);
    expect((await carols.listWelcomes({ params: { deviceId: 'phone' }, query: {} })).items).toEqual([]);

    await carols.acknowledgeWelcome({
      params: { deviceId: 'laptop', conversationId: group, epoch: push.epoch },
    });
    await carols.acknowledgeWelcome({
      params: { deviceId: 'laptop', conversationId: group, epoch: push.epoch },
    });
    expect((await carols.listWelcomes({ params: { deviceId: 'laptop' }, query: {} })).items).toEqual([]);
  });

  it('refuses a non-member, without changing anything', async () => {
    const before = await groupItems();
    const epoch = (await alices.getEpoch({ params: { conversationId: group } })).epoch;

    const response = await post(dave, `/conversations/${group}/commits`, { epoch, commit: b64('dave') });
    const read = await fetch(`${stack.endpoints.httpApiUrl}/conversations/${group}/epoch`, {
      headers: { authorization: `Bearer ${dave.accessToken}` },
    });

    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'FORBIDDEN' });
    expect(read.status).toBe(403);
    expect(await groupItems()).toBe(before);
  });

  it.each([
    ['an epoch that is not an integer', () => ({ epoch: '0', commit: b64('c') }), 400],
    ['a negative epoch', () => ({ epoch: -1, commit: b64('c') }), 400],
    [
      'a commit over the limit',
      () => ({ epoch: 0, commit: Buffer.alloc(MAX_COMMIT_SIZE_IN_BYTES + 1).toString('base64') }),
      400,
    ],
    ['a welcome without recipients', () => ({ epoch: 0, commit: b64('c'), welcome: b64('w') }), 400],
    [
      'a welcome for a user who is not a member',
      () => ({
        epoch: 0,
        commit: b64('c'),
        welcome: b64('w'),
        welcomeRecipients: [{ userId: dave.userId, deviceId: 'laptop' }],
      }),
      400,
    ],
    [
      'a welcome for a device that is not registered',
      () => ({
        epoch: 0,
        commit: b64('c'),
        welcome: b64('w'),
        welcomeRecipients: [{ userId: carol.userId, deviceId: 'tablet' }],
      }),
      400,
    ],
  ])('refuses %s with a problem, and changes nothing', async (_, body, status) => {
    const epoch = (await alices.getEpoch({ params: { conversationId: group } })).epoch;
    const before = await groupItems();
    const payload = body() as Record<string, unknown>;
    if (typeof payload.epoch === 'number' && payload.epoch === 0) payload.epoch = epoch;

    const response = await post(alice, `/conversations/${group}/commits`, payload);

    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await groupItems()).toBe(before);
    await expect(alices.getEpoch({ params: { conversationId: group } })).resolves.toMatchObject({ epoch });
  });

  it('refuses a client sending kind commit as a message', async () => {
    const before = await groupItems();

    const asKind = await post(alice, `/conversations/${group}/messages`, {
      messageId: 'sneaky',
      body: b64('fake commit'),
      kind: 'commit',
    });
    const asId = await post(alice, `/conversations/${group}/messages`, {
      messageId: 'commit-99',
      body: b64('x'),
    });

    expect(asKind.status).toBe(400);
    expect(await asKind.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(asId.status).toBe(400);
    expect(await groupItems()).toBe(before);
  });

  it('keeps an accepted commit as it is: no delete, edit, reply or reaction, over HTTP or the socket', async () => {
    const { epoch } = await alices.getEpoch({ params: { conversationId: group } });
    const accepted = await post(alice, `/conversations/${group}/commits`, {
      epoch,
      commit: b64('kept-commit'),
    });
    expect(accepted.status).toBe(201);
    const { seq } = (await accepted.json()) as { seq: number };
    const before = await groupItems();

    const deleted = await post(alice, `/conversations/${group}/messages/${seq}`, undefined, 'DELETE');
    expect(deleted.status).toBe(409);
    expect(deleted.headers.get('content-type')).toBe('application/problem+json');
    expect(await deleted.json()).toMatchObject({ code: 'IMMUTABLE' });
    for (const kind of ['edit', 'reply', 'reaction']) {
      const referring = await post(alice, `/conversations/${group}/messages`, {
        messageId: `to-commit-${kind}`,
        body: b64(kind),
        kind,
        refSeq: seq,
      });
      expect(referring.status).toBe(409);
      expect(await referring.json()).toMatchObject({ code: 'IMMUTABLE' });
    }

    const socket = await connect(stack.endpoints.webSocketUrl, alice.accessToken);
    try {
      socket.send(deleteFrame({ requestId: 'del-commit', conversationId: group, seq }));
      socket.send(
        sendFrame({
          requestId: 'edit-commit',
          conversationId: group,
          messageId: 'to-commit-ws',
          body: b64('edit'),
          kind: 'edit',
          refSeq: seq,
        }),
      );
      for (const requestId of ['del-commit', 'edit-commit']) {
        expect(
          await socket.waitFor((frame) => (frame as { requestId?: string }).requestId === requestId),
        ).toMatchObject({ type: 'error', code: 'IMMUTABLE' });
      }
    } finally {
      await socket.close();
    }

    expect(await groupItems()).toBe(before);
    const [stored] = (
      await alices.listMessages({ params: { conversationId: group }, query: { after: seq - 1, limit: 1 } })
    ).items;
    expect(stored).toMatchObject({ seq, kind: 'commit', body: b64('kept-commit') });
    expect(stored?.deletedAt).toBeUndefined();
  });
});
