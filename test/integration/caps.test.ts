import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/client/api-client';
import { type Api, apiFor, befriend, logAfter, rawRequest } from '../support/api';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { serverContents } from '../support/stored';
import { eventually, tableReader } from '../support/table';

/** Per-user caps, lowered here so a test can reach them: past each, LIMIT_REACHED and nothing stored. */
describe('caps', () => {
  let stack: TestStack;
  let table: ReturnType<typeof tableReader>;
  let alice: Persona;

  beforeAll(async () => {
    stack = await startTestStack({
      caps: {
        socketsPerUser: 2,
        devicesPerUser: 2,
        keyPackagesPerDevice: 3,
        blobBytesPerUserPerDay: BLOB_BYTES_PER_DAY,
        groupsPerUser: 2,
        friendsPerUser: 2,
      },
    });
    table = tableReader(stack);
    alice = await signUp(stack, 'alice');
  });

  afterAll(async () => {
    table?.destroy();
    await stack?.stop();
  });

  describe('sockets per user', () => {
    it('refuses a WebSocket past the cap with 409 and keeps the open ones; a closed one frees a place', async () => {
      const open: TestSocket[] = [
        await connect(stack.endpoints.webSocketUrl, alice.accessToken),
        await connect(stack.endpoints.webSocketUrl, alice.accessToken),
      ];

      await expect(connect(stack.endpoints.webSocketUrl, alice.accessToken)).rejects.toMatchObject({
        status: 409,
      });
      // What a browser, which cannot read the handshake's status, asks to learn why.
      expect(await apiFor(stack, alice).getMySockets()).toEqual({ open: 2, max: 2, devices: [] });

      expect(await table.connections(alice.userId)).toHaveLength(2);
      expect(stack.webSocket.connectionIds()).toHaveLength(2);
      for (const socket of open) expect(socket.ws.readyState).toBe(socket.ws.OPEN);
      await open[0]?.close();
      await eventually(async () => ((await table.connections(alice.userId)).length === 1 ? true : undefined));
      expect(await apiFor(stack, alice).getMySockets()).toEqual({ open: 1, max: 2, devices: [] });
      const again = await connect(stack.endpoints.webSocketUrl, alice.accessToken);
      await again.close();
      await open[1]?.close();
    });
  });

  describe('devices per user', () => {
    it('refuses a device past the cap with 409 LIMIT_REACHED and stores nothing; revoking one frees a place', async () => {
      const bob = await signUp(stack, 'bob');
      const api = apiFor(stack, bob);
      await api.registerDevice({ body: { deviceId: 'phone', signaturePublicKey: keyOf(1) } });
      await api.registerDevice({ body: { deviceId: 'laptop', signaturePublicKey: keyOf(2) } });

      await refused(
        api.registerDevice({ body: { deviceId: 'tablet', signaturePublicKey: keyOf(3) } }),
        'devicesPerUser',
      );

      expect((await table.query(`USER#${bob.userId}`, 'DEVICE#')).map((item) => item.sk)).toEqual([
        'DEVICE#laptop',
        'DEVICE#phone',
      ]);
      // A repeat of a registered device still answers it.
      await expect(
        api.registerDevice({ body: { deviceId: 'phone', signaturePublicKey: keyOf(1) } }),
      ).resolves.toMatchObject({ deviceId: 'phone' });
      await api.revokeDevice({ params: { deviceId: 'laptop' } });
      await expect(
        api.registerDevice({ body: { deviceId: 'tablet', signaturePublicKey: keyOf(3) } }),
      ).resolves.toMatchObject({ deviceId: 'tablet' });
    });
  });

  describe('key packages per device', () => {
    it('refuses an upload past the cap of unclaimed packages with 409 LIMIT_REACHED, storing none of it', async () => {
      const carol = await signUp(stack, 'carol');
      const api = apiFor(stack, carol);
      await api.registerDevice({ body: { deviceId: 'phone', signaturePublicKey: keyOf(4) } });
      await api.uploadKeyPackages({
        params: { deviceId: 'phone' },
        body: { keyPackages: [b64('k1'), b64('k2')] },
      });

      await refused(
        api.uploadKeyPackages({
          params: { deviceId: 'phone' },
          body: { keyPackages: [b64('k3'), b64('k4')] },
        }),
        'keyPackagesPerDevice',
      );

      await expect(api.countKeyPackages({ params: { deviceId: 'phone' } })).resolves.toEqual({
        remaining: 2,
        lastResort: false,
      });
      await expect(
        api.uploadKeyPackages({ params: { deviceId: 'phone' }, body: { keyPackages: [b64('k3')] } }),
      ).resolves.toEqual({ remaining: 3, lastResort: false });
    });
  });

  describe('groups per user', () => {
    it('refuses a group, or an addition, that would take a user past the cap with 409 LIMIT_REACHED naming them, storing nothing; leaving makes room', async () => {
      const [gina, hank, ivy, jade] = (await Promise.all(
        ['gina', 'hank', 'ivy', 'jade'].map((name) => signUp(stack, name)),
      )) as [Persona, Persona, Persona, Persona];
      await Promise.all([
        befriend(stack, gina, hank),
        befriend(stack, ivy, hank),
        befriend(stack, ivy, jade),
      ]);
      const [ginas, hanks, ivys] = [gina, hank, ivy].map((persona) => apiFor(stack, persona)) as [
        Api,
        Api,
        Api,
      ];
      const createGroup = (api: Api, name: string, members: Persona[]) =>
        api.createConversation({ body: { kind: 'group', name, memberIds: members.map((m) => m.userId) } });
      const conversationIdsOf = async (api: Api) =>
        (await api.listConversations({ query: { limit: 100 } })).items.map((c) => c.conversationId).sort();
      // A direct conversation does not count.
      await ginas.createConversation({ body: { kind: 'direct', userId: hank.userId } });
      const first = await createGroup(ginas, 'One', [hank]);
      await createGroup(ginas, 'Two', [hank]);
      const hanksBefore = await conversationIdsOf(hanks);

      const refusedGroup = await failure(createGroup(ivys, 'Three', [hank, jade]));

      expect(refusedGroup).toMatchObject({ status: 409, code: 'LIMIT_REACHED' });
      expect(refusedGroup.message).toContain(`not added: ${hank.userId} (cap groupsPerUser: 2)`);
      expect(await conversationIdsOf(ivys)).toEqual([]);
      expect(await conversationIdsOf(hanks)).toEqual(hanksBefore);

      const ivysGroup = await createGroup(ivys, 'Ivy’s', [jade]);
      const refusedAdd = await failure(
        ivys.addMembers({
          params: { conversationId: ivysGroup.conversationId },
          body: { userIds: [hank.userId] },
        }),
      );
      expect(refusedAdd).toMatchObject({ status: 409, code: 'LIMIT_REACHED' });
      expect(refusedAdd.message).toContain(`not added: ${hank.userId} (`);
      expect(
        (await table.query(`CONV#${ivysGroup.conversationId}`, 'MEMBER#')).map((item) => item.userId).sort(),
      ).toEqual([ivy.userId, jade.userId].sort());

      await hanks.removeMember({ params: { conversationId: first.conversationId, userId: hank.userId } });
      const added = await ivys.addMembers({
        params: { conversationId: ivysGroup.conversationId },
        body: { userIds: [hank.userId] },
      });
      expect(added.members.map((m) => m.user.userId)).toContain(hank.userId);
    });
  });

  describe('friends per user', () => {
    it('refuses a request past the cap of friends and requests, for the sender with 409 LIMIT_REACHED and for the recipient as a block does, storing nothing; cancel, reject, block and unfriend make room', async () => {
      const [kim, leo, mia, ned, oli, pat] = (await Promise.all(
        ['kim', 'leo', 'mia', 'ned', 'oli', 'pat'].map((name) => signUp(stack, name)),
      )) as [Persona, Persona, Persona, Persona, Persona, Persona];
      const [kims, neds, pats] = [kim, ned, pat].map((persona) => apiFor(stack, persona)) as [Api, Api, Api];
      const ask = (api: Api, to: Persona) => api.sendFriendRequest({ body: { userId: to.userId } });
      const edgesOf = async (persona: Persona) =>
        (await table.query(`USER#${persona.userId}`, 'FRIEND#')).map((item) => item.otherId).sort();
      const counted = async (...personas: Persona[]) =>
        Promise.all(
          personas.map(async (p) => Number((await table.get(`QUOTA#${p.userId}`, 'FRIENDS'))?.edges ?? 0)),
        );
      // Kim is at the cap: a friend and a request she sent.
      await befriend(stack, kim, leo);
      await ask(kims, mia);
      expect(await counted(kim, leo, mia)).toEqual([2, 1, 1]);

      const asSender = await failure(ask(kims, ned));
      expect(asSender).toMatchObject({ status: 409, code: 'LIMIT_REACHED' });
      expect(asSender.detail).toBe(
        'You have as many friends and friend requests as allowed: remove a friend, or cancel or reject a request, to make room (cap friendsPerUser: 2)',
      );
      // To the sender, a full recipient is a user who blocked them, or none at all.
      await apiFor(stack, oli).blockUser({ params: { userId: ned.userId } });
      const blocked = await rawRequest(stack, ned, 'POST', '/friends/requests', { userId: oli.userId });
      const full = await rawRequest(stack, ned, 'POST', '/friends/requests', { userId: kim.userId });
      expect(full.status).toBe(404);
      const withoutId = ({ requestId: _, ...problem }: Record<string, unknown>) => problem;
      expect(withoutId(await full.json())).toEqual(withoutId(await blocked.json()));
      expect(await edgesOf(kim)).toEqual([leo.userId, mia.userId].sort());
      expect(await edgesOf(ned)).toEqual([]);
      expect(await counted(kim, ned)).toEqual([2, 0]);

      await kims.cancelFriendRequest({ params: { userId: mia.userId } });
      expect(await counted(kim, mia)).toEqual([1, 0]);
      await expect(ask(kims, ned)).resolves.toMatchObject({ state: 'outgoing' });

      await neds.rejectFriendRequest({ params: { userId: kim.userId } });
      expect(await counted(kim, ned)).toEqual([1, 0]);
      await expect(ask(neds, kim)).resolves.toMatchObject({ state: 'outgoing' });

      await kims.blockUser({ params: { userId: ned.userId } });
      expect(await counted(kim, ned)).toEqual([1, 0]);
      await expect(ask(kims, mia)).resolves.toMatchObject({ state: 'outgoing' });

      await kims.removeFriend({ params: { userId: leo.userId } });
      expect(await counted(kim, leo)).toEqual([1, 0]);
      await expect(ask(pats, kim)).resolves.toMatchObject({ state: 'outgoing' });
      // Accepting takes no new place: the request holds it.
      await expect(kims.acceptFriendRequest({ params: { userId: pat.userId } })).resolves.toMatchObject({
        state: 'friend',
      });
      expect(await counted(kim, mia, pat)).toEqual([2, 1, 1]);
      expect(await edgesOf(kim)).toEqual([mia.userId, pat.userId].sort());
    });
  });

  describe('bytes per user per day in the blob store', () => {
    it('takes commits until the day is full, then answers 409 LIMIT_REACHED with Retry-After to UTC midnight, storing nothing; another user is unaffected', async () => {
      const [erin, frank] = await Promise.all([signUp(stack, 'erin'), signUp(stack, 'frank')]);
      await befriend(stack, erin, frank);
      const erins = apiFor(stack, erin);
      const group = (
        await erins.createConversation({ body: { kind: 'group', name: 'Big', memberIds: [frank.userId] } })
      ).conversationId;
      const commitOf = (persona: Persona, epoch: number) =>
        rawRequest(stack, persona, 'POST', `/conversations/${group}/commits`, {
          epoch,
          // Each one past the inline size: it goes to S3.
          commit: Buffer.alloc(BLOB_COMMIT_SIZE, epoch + 1).toString('base64'),
        });
      for (const epoch of [0, 1]) expect((await commitOf(erin, epoch)).status).toBe(201);
      const before = await serverContents(stack);
      const log = await logAfter(erins, group);

      const latest = secondsUntilMidnight();
      const response = await commitOf(erin, 2);
      const earliest = secondsUntilMidnight();

      expect(response.status).toBe(409);
      expect(await response.json()).toMatchObject({
        code: 'LIMIT_REACHED',
        detail: expect.stringContaining('blobBytesPerUserPerDay'),
      });
      // Until the next UTC midnight, as the server counted it while the request was under way.
      const retryAfter = Number(response.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(Math.floor(earliest));
      expect(retryAfter).toBeLessThanOrEqual(Math.ceil(latest));
      const after = await serverContents(stack);
      expect(after.objects.map(keyOfObject)).toEqual(before.objects.map(keyOfObject));
      expect(await logAfter(erins, group)).toEqual(log);
      await expect(erins.getEpoch({ params: { conversationId: group } })).resolves.toMatchObject({
        epoch: 2,
      });
      // Frank has a day of his own.
      expect((await commitOf(frank, 2)).status).toBe(201);
    });
  });
});

/** A commit that goes to S3, and a day that holds two of them but not three. */
const BLOB_COMMIT_SIZE = 20_000;
const BLOB_BYTES_PER_DAY = 50_000;

/** Seconds from now to the next UTC midnight. */
const secondsUntilMidnight = () => {
  const now = new Date();
  return (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000;
};
const keyOfObject = (object: string) => object.slice(0, object.indexOf('\n'));

const keyOf = (seed: number) => Buffer.alloc(32, seed).toString('base64');
const b64 = (text: string) => Buffer.from(text).toString('base64');

/** The error the call fails with. */
async function failure(call: Promise<unknown>): Promise<ApiError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

/** The call fails with 409 LIMIT_REACHED naming the cap. */
async function refused(call: Promise<unknown>, cap: string) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect(error).toMatchObject({ status: 409, code: 'LIMIT_REACHED' });
  expect((error as ApiError).message).toContain(cap);
}
