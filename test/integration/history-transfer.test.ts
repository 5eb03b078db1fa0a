import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteId } from '../../shared/api/routes';
import type { HistoryTransfer, HistoryTransferState } from '../../shared/protocol/history-transfer';
import type { HistoryTransferPush } from '../../shared/protocol/outbound';
import { type Api, apiFor, rawRequest } from '../support/api';
import { postUpload } from '../support/attachments';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const keyOf = (seed: number) => Buffer.alloc(32, seed).toString('base64');

const isTransferPush = (frame: unknown): frame is HistoryTransferPush =>
  (frame as { type?: unknown }).type === 'history-transfer';

/**
 * Alice signs in on a new browser and brings her history from her laptop: the new device asks, the laptop
 * offers and approves, uploads three sealed chunks through the object store's forms and announces them,
 * the new device downloads each and confirms. Every step reaches Alice's socket as a `history-transfer`
 * push. Bob, another user, can reach none of it.
 */
describe('history transfer between two devices of one user', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let alices: Api;
  let bobs: Api;
  let socket: TestSocket;

  /** Alice's laptop (the old device) and her new browser. */
  const asked = { fromDeviceId: 'laptop', toDeviceId: 'browser', request: b64('browser signed key') };

  /** The push of this transfer in this state with this many chunks, whenever it came. */
  const pushed = (transferId: string, state: HistoryTransferState, chunks = 0) =>
    socket.waitFor<HistoryTransferPush>(
      (frame) =>
        isTransferPush(frame) &&
        frame.transfer.transferId === transferId &&
        frame.transfer.state === state &&
        frame.transfer.chunks === chunks,
      { timeoutMs: 5000, since: 0 },
    );

  /** A transfer of Alice's taken to `approved`. */
  const approvedTransfer = async (devices = asked): Promise<HistoryTransfer> => {
    const { transferId } = await alices.requestHistoryTransfer({ body: devices });
    await alices.offerHistoryTransfer({ params: { transferId }, body: { offer: b64('offer') } });
    return alices.approveHistoryTransfer({ params: { transferId }, body: { approval: b64('sealed key') } });
  };

  /** Uploads `bytes` as chunk `index` through the form the server signs. */
  const upload = async (transferId: string, index: number, bytes: Uint8Array) => {
    const slot = await alices.createHistoryChunkUpload({
      params: { transferId },
      body: { index, size: bytes.length },
    });
    expect((await postUpload(slot, bytes)).status).toBe(204);
  };

  beforeAll(async () => {
    stack = await startTestStack();
    [alice, bob, carol] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
    ]);
    alices = apiFor(stack, alice);
    bobs = apiFor(stack, bob);
    for (const [deviceId, seed] of [
      ['laptop', 1],
      ['browser', 2],
      ['tablet', 3],
    ] as const) {
      await alices.registerDevice({ body: { deviceId, signaturePublicKey: keyOf(seed) } });
    }
    await bobs.registerDevice({ body: { deviceId: 'bobs-phone', signaturePublicKey: keyOf(9) } });
    socket = await connect(stack.endpoints.webSocketUrl, alice.accessToken);
  });

  afterAll(async () => {
    await socket?.close();
    await stack?.stop();
  });

  it('walks request, offer, approval, three chunks up and down, and confirmation to done, pushing every step', async () => {
    const chunks = [randomBytes(1000), randomBytes(64 * 1024), randomBytes(17)];
    const descriptors = chunks.map((_, index) => b64(`sealed key and digest of chunk ${index}`));

    const requested = await alices.requestHistoryTransfer({ body: asked });
    const { transferId } = requested;
    expect(requested).toEqual({
      transferId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      ...asked,
      state: 'requested',
      chunks: 0,
      bytes: 0,
      received: 0,
      createdAt: expect.any(String),
      updatedAt: requested.createdAt,
      expiresAt: new Date(Date.parse(requested.createdAt) + 24 * 60 * 60 * 1000).toISOString(),
    });
    expect((await pushed(transferId, 'requested')).transfer).toEqual(requested);

    const offered = await alices.offerHistoryTransfer({
      params: { transferId },
      body: { offer: b64('offer') },
    });
    expect(offered).toMatchObject({ state: 'offered', offer: b64('offer') });
    await pushed(transferId, 'offered');
    const approved = await alices.approveHistoryTransfer({
      params: { transferId },
      body: { approval: b64('sealed key') },
    });
    expect(approved).toMatchObject({ state: 'approved', offer: b64('offer'), approval: b64('sealed key') });
    await pushed(transferId, 'approved');

    for (const [index, bytes] of chunks.entries()) {
      await upload(transferId, index, bytes);
      const final = index === chunks.length - 1;
      const announced = await alices.announceHistoryChunk({
        params: { transferId, index },
        body: { size: bytes.length, descriptor: descriptors[index] as string, final },
      });
      expect(announced).toMatchObject({ state: final ? 'sent' : 'approved', chunks: index + 1 });
      await pushed(transferId, final ? 'sent' : 'approved', index + 1);
    }
    const sent = await alices.getHistoryTransfer({ params: { transferId } });
    expect(sent).toMatchObject({ state: 'sent', chunks: 3, bytes: 1000 + 64 * 1024 + 17, received: 0 });
    // The answer to the last announcement was lost: announcing it again answers the transfer as it is.
    expect(
      await alices.announceHistoryChunk({
        params: { transferId, index: 2 },
        body: { size: 17, descriptor: descriptors[2] as string, final: true },
      }),
    ).toEqual(sent);

    for (const [index, bytes] of chunks.entries()) {
      const link = await alices.getHistoryChunk({ params: { transferId, index } });
      expect(link).toEqual({ url: expect.any(String), size: bytes.length, descriptor: descriptors[index] });
      const download = await fetch(link.url);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    }
    await expect(alices.getHistoryChunk({ params: { transferId, index: 3 } })).rejects.toMatchObject({
      status: 404,
    });

    expect(
      await alices.confirmHistoryChunks({ params: { transferId }, body: { received: 2 } }),
    ).toMatchObject({
      state: 'sent',
      received: 2,
    });
    await expect(
      alices.confirmHistoryChunks({ params: { transferId }, body: { received: 4 } }),
    ).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    const done = await alices.confirmHistoryChunks({ params: { transferId }, body: { received: 3 } });
    expect(done).toMatchObject({ state: 'done', received: 3, chunks: 3 });
    expect((await pushed(transferId, 'done', 3)).transfer).toEqual(done);
    expect((await alices.listHistoryTransfers()).items.map((t) => t.transferId)).toContain(transferId);
    // Finished: nothing moves it any more.
    await expect(
      alices.offerHistoryTransfer({ params: { transferId }, body: { offer: b64('again') } }),
    ).rejects.toMatchObject({ status: 409, code: 'CONFLICT' });
    await alices.cancelHistoryTransfer({ params: { transferId } });
    expect(await alices.getHistoryTransfer({ params: { transferId } })).toMatchObject({ state: 'done' });
  });

  it("answers another user as if the transfer did not exist, and refuses them the user's devices", async () => {
    const transfer = await approvedTransfer();
    const { transferId } = transfer;
    await upload(transferId, 0, randomBytes(10));
    await alices.announceHistoryChunk({
      params: { transferId, index: 0 },
      body: { size: 10, descriptor: b64('d0'), final: false },
    });
    const tries: Array<[RouteId, string, string, unknown?]> = [
      ['getHistoryTransfer', 'GET', `/history-transfers/${transferId}`],
      ['offerHistoryTransfer', 'POST', `/history-transfers/${transferId}/offer`, { offer: b64('x') }],
      ['approveHistoryTransfer', 'POST', `/history-transfers/${transferId}/approve`, { approval: b64('x') }],
      ['createHistoryChunkUpload', 'POST', `/history-transfers/${transferId}/chunks`, { index: 1, size: 10 }],
      [
        'announceHistoryChunk',
        'PUT',
        `/history-transfers/${transferId}/chunks/0`,
        { size: 10, descriptor: b64('d0'), final: false },
      ],
      ['getHistoryChunk', 'GET', `/history-transfers/${transferId}/chunks/0`],
      ['confirmHistoryChunks', 'POST', `/history-transfers/${transferId}/received`, { received: 1 }],
      ['cancelHistoryTransfer', 'DELETE', `/history-transfers/${transferId}`],
    ];

    for (const [route, method, path, body] of tries) {
      const response = await rawRequest(stack, bob, method, path, body);
      expect({ route, status: response.status }).toEqual({ route, status: 404 });
    }
    for (const devices of [
      asked,
      { ...asked, toDeviceId: 'bobs-phone' },
      { ...asked, fromDeviceId: 'bobs-phone' },
    ]) {
      await expect(bobs.requestHistoryTransfer({ body: devices })).rejects.toMatchObject({
        status: 404,
        code: 'NOT_FOUND',
      });
    }
    expect((await bobs.listHistoryTransfers()).items).toEqual([]);
    // Alice's transfer is as she left it.
    expect(await alices.getHistoryTransfer({ params: { transferId } })).toMatchObject({
      state: 'approved',
      chunks: 1,
      received: 0,
    });
    await alices.cancelHistoryTransfer({ params: { transferId } });
  });

  it('refuses a chunk that was never uploaded, or uploaded at another size, and any chunk but the next', async () => {
    const { transferId } = await approvedTransfer();

    await expect(
      alices.announceHistoryChunk({
        params: { transferId, index: 0 },
        body: { size: 10, descriptor: b64('d0'), final: false },
      }),
    ).rejects.toMatchObject({
      status: 409,
      code: 'CONFLICT',
      message: expect.stringContaining('was not uploaded'),
    });
    await upload(transferId, 0, randomBytes(10));
    await expect(
      alices.announceHistoryChunk({
        params: { transferId, index: 0 },
        body: { size: 11, descriptor: b64('d0'), final: false },
      }),
    ).rejects.toMatchObject({ status: 409 });
    await expect(
      alices.createHistoryChunkUpload({ params: { transferId }, body: { index: 1, size: 10 } }),
    ).rejects.toMatchObject({ status: 409 });
    await alices.announceHistoryChunk({
      params: { transferId, index: 0 },
      body: { size: 10, descriptor: b64('d0'), final: false },
    });
    // Chunk 0 again, but not the same: not a retry.
    await expect(
      alices.announceHistoryChunk({
        params: { transferId, index: 0 },
        body: { size: 10, descriptor: b64('other'), final: false },
      }),
    ).rejects.toMatchObject({ status: 409 });
    await alices.cancelHistoryTransfer({ params: { transferId } });
  });

  it('deletes the chunks of a cancelled transfer, pushes the cancellation, and takes no step after it', async () => {
    const { transferId } = await approvedTransfer();
    const bytes = randomBytes(100);
    await upload(transferId, 0, bytes);
    await alices.announceHistoryChunk({
      params: { transferId, index: 0 },
      body: { size: 100, descriptor: b64('d0'), final: false },
    });
    const link = await alices.getHistoryChunk({ params: { transferId, index: 0 } });
    expect((await fetch(link.url)).status).toBe(200);

    await alices.cancelHistoryTransfer({ params: { transferId } });
    await alices.cancelHistoryTransfer({ params: { transferId } });

    await pushed(transferId, 'cancelled', 1);
    const gone = await fetch(link.url);
    expect(gone.status).toBe(404);
    await gone.arrayBuffer();
    expect(await alices.getHistoryTransfer({ params: { transferId } })).toMatchObject({ state: 'cancelled' });
    await expect(alices.getHistoryChunk({ params: { transferId, index: 0 } })).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      alices.createHistoryChunkUpload({ params: { transferId }, body: { index: 1, size: 10 } }),
    ).rejects.toMatchObject({ status: 409 });
    await expect(
      alices.confirmHistoryChunks({ params: { transferId }, body: { received: 1 } }),
    ).rejects.toMatchObject({ status: 409 });
  });

  it('allows three open transfers at once: the fourth is LIMIT_REACHED until one ends', async () => {
    const carols = apiFor(stack, carol);
    await carols.registerDevice({ body: { deviceId: 'old', signaturePublicKey: keyOf(4) } });
    await carols.registerDevice({ body: { deviceId: 'new', signaturePublicKey: keyOf(5) } });
    const body = { fromDeviceId: 'old', toDeviceId: 'new', request: b64('key') };
    const open = [];
    for (let i = 0; i < 3; i += 1) open.push(await carols.requestHistoryTransfer({ body }));

    await expect(carols.requestHistoryTransfer({ body })).rejects.toMatchObject({
      status: 409,
      code: 'LIMIT_REACHED',
    });
    expect((await carols.listHistoryTransfers()).items.map((t) => t.transferId)).toEqual(
      open.map((t) => t.transferId).reverse(),
    );
    await carols.cancelHistoryTransfer({ params: { transferId: open[0]?.transferId as string } });
    expect(await carols.requestHistoryTransfer({ body })).toMatchObject({ state: 'requested' });
  });

  it('cancels a transfer when one of its devices is revoked, refuses the next step, and a revoked device cannot ask', async () => {
    const { transferId } = await approvedTransfer({ ...asked, fromDeviceId: 'tablet' });

    await alices.revokeDevice({ params: { deviceId: 'tablet' } });

    await pushed(transferId, 'cancelled');
    expect(await alices.getHistoryTransfer({ params: { transferId } })).toMatchObject({ state: 'cancelled' });
    await expect(
      alices.createHistoryChunkUpload({ params: { transferId }, body: { index: 0, size: 10 } }),
    ).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN', message: expect.stringContaining('tablet') });
    await expect(
      alices.requestHistoryTransfer({ body: { ...asked, fromDeviceId: 'tablet' } }),
    ).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN', message: expect.stringContaining('tablet') });
    await expect(
      alices.requestHistoryTransfer({ body: { ...asked, fromDeviceId: 'browser', toDeviceId: 'browser' } }),
    ).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });
});
