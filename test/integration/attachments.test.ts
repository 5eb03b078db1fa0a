import { createHash, randomBytes } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAttachmentStore } from '../../functions/adapters/dynamodb/dynamodb-attachment-store';
import { ApiError } from '../../shared/client/api-client';
import { UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS } from '../../shared/protocol/limits';
import { type Api, apiFor, befriend } from '../support/api';
import { postUpload as upload } from '../support/attachments';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { tableReader } from '../support/table';

/** A small daily allowance, so a test can reach it. */
const ALLOWANCE = 300_000;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Attachments over the HTTP API and the object store, as clients use them: upload, send, download, delete. */
describe('attachments', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let eve: Persona;
  let alices: Api;
  let bobs: Api;
  let group: string;
  let bobSocket: TestSocket;
  let s3: S3Client;
  let table: ReturnType<typeof tableReader>;
  /** Whether the bucket holds an attachment's object, asked of the S3 stand-in with the SDK. */
  const stored = (attachmentId: string) =>
    s3
      .send(
        new HeadObjectCommand({
          Bucket: stack.resources.buckets.blobs.name,
          Key: `attachments/${attachmentId}`,
        }),
      )
      .then(
        () => true,
        (error: { name?: string }) => (error.name === 'NotFound' ? false : Promise.reject(error)),
      );

  beforeAll(async () => {
    stack = await startTestStack({ caps: { attachmentBytesPerUserPerDay: ALLOWANCE } });
    [alice, bob, eve] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'eve'),
    ]);
    await befriend(stack, alice, bob);
    alices = apiFor(stack, alice);
    bobs = apiFor(stack, bob);
    ({ conversationId: group } = await alices.createConversation({
      body: { kind: 'group', name: 'Files', memberIds: [bob.userId] },
    }));
    bobSocket = await connect(stack.endpoints.webSocketUrl, bob.accessToken);
    s3 = new S3Client({
      endpoint: stack.resources.s3Endpoint,
      region: stack.region,
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    table = tableReader(stack);
  });

  afterAll(async () => {
    s3?.destroy();
    table?.destroy();
    await bobSocket?.close();
    await stack?.stop();
  });

  it('carries a file from one member to another: upload, send, push, download, byte for byte', async () => {
    const bytes = randomBytes(100_000);
    const slot = await alices.createUpload({
      params: { conversationId: group },
      body: { size: bytes.length },
    });
    expect((await upload(slot, bytes)).status).toBe(204);
    const since = bobSocket.frames.length;

    const ack = await alices.postMessage({
      params: { conversationId: group },
      body: { messageId: 'photo', body: 'Y2FwdGlvbg==', attachmentIds: [slot.attachmentId] },
    });
    await bobSocket.waitFor((frame) => (frame as { seq?: number }).seq === ack.seq, { since });

    const link = await bobs.getAttachment({
      params: { conversationId: group, attachmentId: slot.attachmentId },
    });
    expect(link.size).toBe(bytes.length);
    const downloaded = new Uint8Array(await (await fetch(link.url)).arrayBuffer());
    expect(sha256(downloaded)).toBe(sha256(bytes));
  });

  it('carries attachments on a WebSocket send too', async () => {
    const slot = await alices.createUpload({ params: { conversationId: group }, body: { size: 10 } });
    await upload(slot, randomBytes(10));
    const socket = await connect(stack.endpoints.webSocketUrl, alice.accessToken);
    try {
      socket.send({
        action: 'send',
        requestId: 'ws-file',
        conversationId: group,
        messageId: 'ws-file',
        body: 'aGk=',
        attachmentIds: [slot.attachmentId],
      });
      await socket.next('ack');
      await expect(
        bobs.getAttachment({ params: { conversationId: group, attachmentId: slot.attachmentId } }),
      ).resolves.toMatchObject({ size: 10 });
    } finally {
      await socket.close();
    }
  });

  it('refuses at the object store an upload of another size or to another key', async () => {
    const slot = await alices.createUpload({ params: { conversationId: group }, body: { size: 1000 } });

    expect((await upload(slot, randomBytes(1001))).status).toBe(400);
    expect((await upload(slot, randomBytes(999))).status).toBe(400);
    expect((await upload(slot, randomBytes(1000), { key: 'attachments/elsewhere' })).status).toBe(403);
    // The form is still good for what it was issued for.
    expect((await upload(slot, randomBytes(1000))).status).toBe(204);
  });

  it('refuses a slot to a non-member, and a send naming an upload of someone else', async () => {
    await expect(
      apiFor(stack, eve).createUpload({ params: { conversationId: group }, body: { size: 10 } }),
    ).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
    const bobsSlot = await bobs.createUpload({ params: { conversationId: group }, body: { size: 10 } });

    await expect(
      alices.postMessage({
        params: { conversationId: group },
        body: { messageId: 'not-mine', body: 'aGk=', attachmentIds: [bobsSlot.attachmentId] },
      }),
    ).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
    // Not carried by any message: only Bob may fetch it.
    await expect(
      alices.getAttachment({ params: { conversationId: group, attachmentId: bobsSlot.attachmentId } }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("stops serving a deleted message's attachments", async () => {
    const slot = await alices.createUpload({ params: { conversationId: group }, body: { size: 10 } });
    await upload(slot, randomBytes(10));
    const ack = await alices.postMessage({
      params: { conversationId: group },
      body: { messageId: 'to-delete', body: 'aGk=', attachmentIds: [slot.attachmentId] },
    });

    await alices.deleteMessage({ params: { conversationId: group, seq: ack.seq } });

    for (const api of [alices, bobs]) {
      await expect(
        api.getAttachment({ params: { conversationId: group, attachmentId: slot.attachmentId } }),
      ).rejects.toMatchObject({ status: 404 });
    }
    // The next sweep deletes the object, and the record with it.
    expect(await stored(slot.attachmentId)).toBe(true);
    await stack.runSchedule('attachmentSweeper');
    expect(await stored(slot.attachmentId)).toBe(false);
    expect(await table.get(`CONV#${group}`, `ATTACH#${slot.attachmentId}`)).toBeUndefined();
  });

  it('deletes an upload no message carried a day on, and keeps a carried one', async () => {
    // Two uploads of a day ago, recorded as a slot records them, their bytes in the bucket.
    const store = new DynamoDbAttachmentStore(table.client, table.tableName);
    const dayAgo = Date.now() - UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS - 1000;
    const [orphan, carried] = ['orphanaaaaaaaaaaaaaaaa', 'carriedaaaaaaaaaaaaaaa'];
    for (const attachmentId of [orphan, carried]) {
      await store.reserve(
        { attachmentId, conversationId: group, uploaderId: alice.userId, size: 3, createdAt: dayAgo },
        UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS,
      );
      await s3.send(
        new PutObjectCommand({
          Bucket: stack.resources.buckets.blobs.name,
          Key: `attachments/${attachmentId}`,
          Body: 'abc',
        }),
      );
    }
    await alices.postMessage({
      params: { conversationId: group },
      body: { messageId: 'late-file', body: 'aGk=', attachmentIds: [carried] },
    });

    await expect(stack.runSchedule('attachmentSweeper')).resolves.toMatchObject({ deleted: 1, kept: 1 });

    expect(await stored(orphan)).toBe(false);
    expect(await stored(carried)).toBe(true);
    await expect(
      bobs.getAttachment({ params: { conversationId: group, attachmentId: carried } }),
    ).resolves.toMatchObject({ size: 3 });
    // A message can no longer name the one that was swept.
    await expect(
      alices.postMessage({
        params: { conversationId: group },
        body: { messageId: 'too-late', body: 'aGk=', attachmentIds: [orphan] },
      }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('holds each user to the daily allowance, saying when it resets', async () => {
    const carol = await signUp(stack, 'carol');
    await befriend(stack, alice, carol);
    await alices.addMembers({ params: { conversationId: group }, body: { userIds: [carol.userId] } });
    const carols = apiFor(stack, carol);
    await carols.createUpload({ params: { conversationId: group }, body: { size: ALLOWANCE - 10 } });

    const refused = await carols
      .createUpload({ params: { conversationId: group }, body: { size: 11 } })
      .catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 409, code: 'LIMIT_REACHED' });
    expect((refused as ApiError).detail).toContain('attachmentBytesPerUserPerDay');
    expect((refused as ApiError).retryAfterSeconds).toBeGreaterThan(0);
    await expect(
      carols.createUpload({ params: { conversationId: group }, body: { size: 10 } }),
    ).resolves.toMatchObject({ fields: expect.any(Object) });
  });
});
