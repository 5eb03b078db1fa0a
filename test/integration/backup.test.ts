import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbBackupStore } from '../../functions/adapters/dynamodb/dynamodb-backup-store';
import { ApiError } from '../../shared/client/api-client';
import {
  MAX_BACKUP_CHUNK_SIZE_IN_BYTES,
  UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS,
} from '../../shared/protocol/limits';
import { type Api, apiFor, rawRequest } from '../support/api';
import { postUpload } from '../support/attachments';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';
import { tableReader } from '../support/table';

/** Small caps, so a test can reach them. */
const BACKUP_BYTES = 200_000;
const PENDING_CHUNKS = 5;
const HEADER = Buffer.from('kdf=argon2id;salt=…;wrapped key').toString('base64');

/** The encrypted history backup over the HTTP API and the object store, as a client uses it. */
describe('encrypted backup', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let alices: Api;
  let bobs: Api;
  let s3: S3Client;
  let table: ReturnType<typeof tableReader>;

  /** Whether the bucket holds a chunk's object, asked of the S3 stand-in with the SDK. */
  const stored = (userId: string, chunkId: string) =>
    s3
      .send(
        new HeadObjectCommand({
          Bucket: stack.resources.buckets.blobs.name,
          Key: `backups/${userId}/${chunkId}`,
        }),
      )
      .then(
        () => true,
        (error: { name?: string }) => (error.name === 'NotFound' ? false : Promise.reject(error)),
      );

  /** Reserves a chunk and posts its bytes with the real presigned form; its id. */
  const upload = async (api: Api, bytes: Uint8Array): Promise<string> => {
    const slot = await api.createBackupChunkUpload({ body: { size: bytes.length } });
    expect((await postUpload(slot, bytes)).status).toBe(204);
    return slot.chunkId;
  };

  /** A chunk's bytes, through the link the API signs. */
  const download = async (api: Api, chunkId: string): Promise<Buffer> => {
    const link = await api.getBackupChunk({ params: { chunkId } });
    const response = await fetch(link.url);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(link.size);
    return bytes;
  };

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => Promise.reject(new Error('expected a refusal')),
      (error: unknown) => {
        if (!(error instanceof ApiError)) throw error;
        return { status: error.status, code: error.code, detail: error.detail };
      },
    );

  beforeAll(async () => {
    stack = await startTestStack({
      caps: { backupBytesPerUser: BACKUP_BYTES, pendingBackupChunksPerUser: PENDING_CHUNKS },
    });
    [alice, bob] = await Promise.all([signUp(stack, 'alice'), signUp(stack, 'bob')]);
    alices = apiFor(stack, alice);
    bobs = apiFor(stack, bob);
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
    await stack?.stop();
  });

  describe('one user backing up, appending and restoring', () => {
    const chunks = new Map<string, Buffer>();
    let first: { index: string; data: string[] };

    it('has no backup at first', async () => {
      expect(await alices.getBackup()).toEqual({ backup: null });
    });

    it('stores chunks posted with the real form, and reads the backup and every chunk back byte for byte', async () => {
      const parts = [randomBytes(10_000), randomBytes(20_000), randomBytes(3_000)];
      const ids = [];
      for (const bytes of parts) {
        const id = await upload(alices, bytes);
        chunks.set(id, bytes);
        ids.push(id);
      }
      const [index, ...data] = ids as [string, ...string[]];
      first = { index, data };

      const written = await alices.putBackup({
        body: { header: HEADER, indexChunkId: index, chunkIds: ids, expectedVersion: 0 },
      });
      expect(written).toMatchObject({
        version: 1,
        header: HEADER,
        indexChunkId: index,
        chunkIds: ids,
        bytes: 33_000,
      });

      // A new device: the head first, then every chunk it names.
      const { backup } = await alices.getBackup();
      if (!backup) throw new Error('no backup');
      expect(backup).toEqual(written);
      for (const id of backup.chunkIds) {
        expect((await download(alices, id)).equals(chunks.get(id) as Buffer)).toBe(true);
      }
      // The objects live under the user's own prefix.
      expect(await stored(alice.userId, index)).toBe(true);
    });

    it('appends: new chunks beside the old ones, and deletes the chunk no longer listed', async () => {
      const fresh = [randomBytes(5_000), randomBytes(7_000)];
      const [newIndex, newData] = [
        await upload(alices, fresh[0] as Buffer),
        await upload(alices, fresh[1] as Buffer),
      ];
      chunks.set(newIndex, fresh[0] as Buffer);
      chunks.set(newData, fresh[1] as Buffer);
      const listed = [newIndex, ...first.data, newData];

      const written = await alices.putBackup({
        body: { header: HEADER, indexChunkId: newIndex, chunkIds: listed, expectedVersion: 1 },
      });

      expect(written).toMatchObject({ version: 2, indexChunkId: newIndex, chunkIds: listed, bytes: 35_000 });
      for (const id of listed) {
        expect((await download(alices, id)).equals(chunks.get(id) as Buffer)).toBe(true);
      }
      // The old index chunk is gone: object, record and link.
      expect(await stored(alice.userId, first.index)).toBe(false);
      expect(await table.get(`USER#${alice.userId}`, `BKCHUNK#${first.index}`)).toBeUndefined();
      await expect(
        refusal(alices.getBackupChunk({ params: { chunkId: first.index } })),
      ).resolves.toMatchObject({
        status: 404,
      });
    });

    it('refuses a write over a version another device replaced, and keeps the backup as it was', async () => {
      const extra = await upload(alices, randomBytes(100));

      const refused = await refusal(
        alices.putBackup({
          body: { header: HEADER, indexChunkId: extra, chunkIds: [extra], expectedVersion: 1 },
        }),
      );

      expect(refused).toMatchObject({ status: 409, code: 'CONFLICT' });
      expect(refused.detail).toContain('version 2');
      expect((await alices.getBackup()).backup).toMatchObject({ version: 2, bytes: 35_000 });
    });

    it('refuses to list a chunk that was reserved but never uploaded', async () => {
      const { chunkId } = await alices.createBackupChunkUpload({ body: { size: 50 } });
      const { backup } = await alices.getBackup();
      if (!backup) throw new Error('no backup');

      const refused = await refusal(
        alices.putBackup({
          body: {
            header: HEADER,
            indexChunkId: backup.indexChunkId,
            chunkIds: [...backup.chunkIds, chunkId],
            expectedVersion: backup.version,
          },
        }),
      );

      expect(refused).toMatchObject({ status: 409, code: 'CONFLICT' });
      expect(refused.detail).toContain('not uploaded');
      expect((await alices.getBackup()).backup?.version).toBe(2);
    });

    it('refuses a list that names a chunk twice, or leaves out its index chunk', async () => {
      const { backup } = await alices.getBackup();
      if (!backup) throw new Error('no backup');
      const [one, two] = backup.chunkIds as [string, string];

      for (const body of [
        { header: HEADER, indexChunkId: one, chunkIds: [one, one], expectedVersion: 2 },
        { header: HEADER, indexChunkId: one, chunkIds: [two], expectedVersion: 2 },
      ]) {
        const answer = await rawRequest(stack, alice, 'PUT', '/me/backup', body);
        expect(answer.status).toBe(400);
        expect(await answer.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    });

    it('keeps another user out: their chunk ids are 404, and they cannot list them in their own backup', async () => {
      const { backup } = await alices.getBackup();
      if (!backup) throw new Error('no backup');

      for (const chunkId of backup.chunkIds) {
        await expect(refusal(bobs.getBackupChunk({ params: { chunkId } }))).resolves.toMatchObject({
          status: 404,
          code: 'NOT_FOUND',
        });
      }
      const refused = await refusal(
        bobs.putBackup({
          body: {
            header: HEADER,
            indexChunkId: backup.indexChunkId,
            chunkIds: backup.chunkIds,
            expectedVersion: 0,
          },
        }),
      );
      expect(refused).toMatchObject({ status: 409, code: 'CONFLICT' });
      expect(refused.detail).toContain('not among your backup chunks');
      expect(await bobs.getBackup()).toEqual({ backup: null });
      // Alice's backup is untouched.
      expect((await alices.getBackup()).backup).toEqual(backup);
      expect(await stored(alice.userId, backup.indexChunkId)).toBe(true);
    });

    it('deletes the head and every chunk, listed or pending; deleting again is fine', async () => {
      const pending = await upload(alices, randomBytes(10));
      const { backup } = await alices.getBackup();
      if (!backup) throw new Error('no backup');

      expect((await rawRequest(stack, alice, 'DELETE', '/me/backup')).status).toBe(204);

      expect(await alices.getBackup()).toEqual({ backup: null });
      for (const chunkId of [...backup.chunkIds, pending]) {
        expect(await stored(alice.userId, chunkId)).toBe(false);
        await expect(refusal(alices.getBackupChunk({ params: { chunkId } }))).resolves.toMatchObject({
          status: 404,
        });
      }
      expect(await table.query(`USER#${alice.userId}`, 'BKCHUNK#')).toEqual([]);
      expect(await table.get(`USER#${alice.userId}`, 'BACKUP')).toBeUndefined();
      // Nothing is counted any more: the whole allowance is there again.
      expect(await table.get(`QUOTA#${alice.userId}`, 'BACKUP')).toMatchObject({
        bytes: 0,
        pendingChunks: 0,
      });
      expect((await rawRequest(stack, alice, 'DELETE', '/me/backup')).status).toBe(204);
    });
  });

  describe('limits', () => {
    let carol: Persona;
    let carols: Api;

    beforeAll(async () => {
      carol = await signUp(stack, 'carol');
      carols = apiFor(stack, carol);
    });

    it('refuses a chunk larger than a chunk may be', async () => {
      const answer = await rawRequest(stack, carol, 'POST', '/me/backup/chunks', {
        size: MAX_BACKUP_CHUNK_SIZE_IN_BYTES + 1,
      });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('refuses a chunk past the backup’s largest size, pending bytes counted, and takes it once room is made', async () => {
      const big = await upload(carols, randomBytes(150_000));

      const refused = await refusal(carols.createBackupChunkUpload({ body: { size: 60_000 } }));

      expect(refused).toMatchObject({ status: 409, code: 'LIMIT_REACHED' });
      expect(refused.detail).toContain('backupBytesPerUser');
      // Listed bytes count too: listing the big chunk makes no room.
      await carols.putBackup({
        body: { header: HEADER, indexChunkId: big, chunkIds: [big], expectedVersion: 0 },
      });
      await expect(
        refusal(carols.createBackupChunkUpload({ body: { size: 60_000 } })),
      ).resolves.toMatchObject({
        code: 'LIMIT_REACHED',
      });
      // Dropping it does.
      const small = await upload(carols, randomBytes(1_000));
      await carols.putBackup({
        body: { header: HEADER, indexChunkId: small, chunkIds: [small], expectedVersion: 1 },
      });
      await expect(carols.createBackupChunkUpload({ body: { size: 60_000 } })).resolves.toMatchObject({
        chunkId: expect.any(String),
      });
    });

    it('refuses more pending chunks than allowed until a backup lists them', async () => {
      await rawRequest(stack, carol, 'DELETE', '/me/backup');
      const ids = [];
      for (let n = 0; n < PENDING_CHUNKS; n += 1) ids.push(await upload(carols, randomBytes(100)));

      const refused = await refusal(carols.createBackupChunkUpload({ body: { size: 100 } }));

      expect(refused).toMatchObject({ status: 409, code: 'LIMIT_REACHED' });
      expect(refused.detail).toContain('pendingBackupChunksPerUser');
      await carols.putBackup({
        body: { header: HEADER, indexChunkId: ids[0] as string, chunkIds: ids, expectedVersion: 0 },
      });
      await expect(carols.createBackupChunkUpload({ body: { size: 100 } })).resolves.toMatchObject({
        chunkId: expect.any(String),
      });
    });
  });

  it('deletes a chunk no backup listed a day after its slot, and keeps a listed one', async () => {
    const dave = await signUp(stack, 'dave');
    const daves = apiFor(stack, dave);
    const listed = await upload(daves, randomBytes(10));
    await daves.putBackup({
      body: { header: HEADER, indexChunkId: listed, chunkIds: [listed], expectedVersion: 0 },
    });
    // An upload of a day ago that no backup listed, recorded as a slot records it, its bytes in the bucket.
    const store = new DynamoDbBackupStore(table.client, table.tableName);
    const dayAgo = Date.now() - UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS - 1000;
    const orphan = 'orphanbackupchunkaaaaa';
    await store.reserve(
      dave.userId,
      {
        chunkId: orphan,
        size: 3,
        createdAt: dayAgo,
        pending: true,
        dueAt: dayAgo + UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS,
      },
      { maxBytes: BACKUP_BYTES, maxPendingChunks: PENDING_CHUNKS },
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.resources.buckets.blobs.name,
        Key: `backups/${dave.userId}/${orphan}`,
        Body: 'abc',
      }),
    );

    await expect(stack.runSchedule('attachmentSweeper')).resolves.toMatchObject({
      backupChunks: { deleted: 1 },
    });

    expect(await stored(dave.userId, orphan)).toBe(false);
    expect(await table.get(`USER#${dave.userId}`, `BKCHUNK#${orphan}`)).toBeUndefined();
    expect(await stored(dave.userId, listed)).toBe(true);
    await expect(daves.getBackupChunk({ params: { chunkId: listed } })).resolves.toMatchObject({ size: 10 });
    expect(await table.get(`QUOTA#${dave.userId}`, 'BACKUP')).toMatchObject({ bytes: 10, pendingChunks: 0 });
  });

  it('deletes the backup with the account', async () => {
    const erin = await signUp(stack, 'erin');
    const erins = apiFor(stack, erin);
    const listed = await upload(erins, randomBytes(10));
    await erins.putBackup({
      body: { header: HEADER, indexChunkId: listed, chunkIds: [listed], expectedVersion: 0 },
    });
    const pending = await upload(erins, randomBytes(10));

    // Her sign-in is seconds old: recent enough.
    expect((await rawRequest(stack, erin, 'DELETE', '/me')).status).toBe(204);

    for (const chunkId of [listed, pending]) expect(await stored(erin.userId, chunkId)).toBe(false);
    expect(await table.query(`USER#${erin.userId}`, 'B')).toEqual([]);
    expect(await table.get(`QUOTA#${erin.userId}`, 'BACKUP')).toBeUndefined();
  });
});
