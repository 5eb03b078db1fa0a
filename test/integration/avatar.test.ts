import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/client/api-client';
import { decryptAttachment, encryptAttachment } from '../../shared/e2ee/attachment-cipher';
import { MAX_AVATAR_SIZE_IN_BYTES } from '../../shared/protocol/limits';
import { type Api, apiFor, befriend, rawRequest } from '../support/api';
import { postUpload } from '../support/attachments';
import { type Persona, signUp } from '../support/personas';
import { connect, type TestSocket } from '../support/socket';
import { startTestStack, type TestStack } from '../support/stack';
import { flatten } from '../support/stored';
import { tableReader } from '../support/table';

/** Stands in for the picture's pixels: it must never reach the server in the clear. */
const MARKER = 'AVATAR-PLAINTEXT-MARKER-7f3a';

/**
 * Profile pictures over the HTTP API and the object store: Alice uploads her sealed picture and sets it;
 * Bob (her friend) and Carol (in Dave's group with her, not her friend) may download it, Eve (no one to
 * her) and Mallory (blocked) may not, and the server only ever holds ciphertext.
 */
describe('profile pictures', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let eve: Persona;
  let mallory: Persona;
  let alices: Api;
  let bobSocket: TestSocket;
  let s3: S3Client;
  let table: ReturnType<typeof tableReader>;
  let group: string;

  const objectExists = (avatarId: string) =>
    s3
      .send(new HeadObjectCommand({ Bucket: stack.resources.buckets.blobs.name, Key: `avatars/${avatarId}` }))
      .then(
        () => true,
        (error: { name?: string }) => (error.name === 'NotFound' ? false : Promise.reject(error)),
      );

  /** Seals a picture as the web client does and uploads it as Alice's newest avatar upload. */
  async function uploadPicture(text = MARKER) {
    const sealed = await encryptAttachment(new Blob([text]));
    const ciphertext = new Uint8Array(await sealed.ciphertext.arrayBuffer());
    const slot = await alices.createAvatarUpload({ body: { size: sealed.size } });
    expect((await postUpload(slot, ciphertext)).status).toBe(204);
    return { avatarId: slot.avatarId, sealed, ciphertext };
  }

  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: unknown) => (error instanceof ApiError ? `${error.status} ${error.code}` : String(error)),
    );

  beforeAll(async () => {
    stack = await startTestStack();
    let dave: Persona;
    [alice, bob, carol, dave, eve, mallory] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
      signUp(stack, 'dave'),
      signUp(stack, 'eve'),
      signUp(stack, 'mallory'),
    ]);
    alices = apiFor(stack, alice);
    await Promise.all([
      befriend(stack, alice, bob),
      befriend(stack, alice, mallory),
      befriend(stack, dave, alice),
      befriend(stack, dave, carol),
    ]);
    ({ conversationId: group } = await apiFor(stack, dave).createConversation({
      body: { kind: 'group', name: 'Climbing', memberIds: [alice.userId, carol.userId] },
    }));
    await alices.blockUser({ params: { userId: mallory.userId } });
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

  it('sets a picture: a friend and a co-member download its ciphertext, a stranger and a blocked user get 404', async () => {
    const { avatarId, sealed, ciphertext } = await uploadPicture();
    const since = bobSocket.frames.length;

    const me = await alices.setAvatar({ body: { avatarId } });

    expect(me.avatarId).toBe(avatarId);
    await bobSocket.waitFor(
      (frame) =>
        (frame as { type?: string; user?: { avatarId?: string } }).type === 'profile' &&
        (frame as { user: { avatarId?: string } }).user.avatarId === avatarId,
      { since },
    );
    for (const viewer of [alice, bob, carol]) {
      const link = await apiFor(stack, viewer).getAvatar({ params: { userId: alice.userId } });
      expect(link.avatarId).toBe(avatarId);
      const bytes = new Uint8Array(await (await fetch(link.url)).arrayBuffer());
      expect(bytes).toEqual(ciphertext);
      expect(Buffer.from(bytes).toString('latin1')).not.toContain(MARKER);
      // The key from a message opens it.
      const opened = await decryptAttachment(new Blob([bytes]), sealed);
      expect(await opened.text()).toBe(MARKER);
    }
    for (const viewer of [eve, mallory]) {
      expect(await codeOf(apiFor(stack, viewer).getAvatar({ params: { userId: alice.userId } }))).toBe(
        '404 NOT_FOUND',
      );
    }
  });

  it('names the picture wherever her profile shows to people who know her, never in a search', async () => {
    const { avatarId } = (await alices.getMe()) as { avatarId: string };
    expect(avatarId).toBeDefined();

    const bobsFriends = await apiFor(stack, bob).listFriends({ query: { limit: 100 } });
    expect(bobsFriends.items.find((f) => f.user.userId === alice.userId)?.user.avatarId).toBe(avatarId);
    const detail = await apiFor(stack, carol).getConversation({ params: { conversationId: group } });
    expect(detail.members.find((m) => m.user.userId === alice.userId)?.user.avatarId).toBe(avatarId);
    const found = await apiFor(stack, eve).findUsers({ query: { prefix: alice.username, limit: 10 } });
    expect(found.items.find((u) => u.userId === alice.userId)).toBeDefined();
    expect(found.items.find((u) => u.userId === alice.userId)?.avatarId).toBeUndefined();
  });

  it('keeps no key in the stored profile: only the object id', async () => {
    const { avatarId, sealed } = await uploadPicture('another picture');
    await alices.setAvatar({ body: { avatarId } });

    const item = await table.get(`USER#${alice.userId}`, 'PROFILE');

    expect(item?.avatarId).toBe(avatarId);
    const stored = flatten(item);
    expect(stored).not.toContain(sealed.key);
    expect(stored).not.toContain(sealed.sha256);
  });

  it('deletes the picture it replaces, and an upload that never became the picture', async () => {
    const before = (await alices.getMe()).avatarId as string;
    const abandoned = await uploadPicture('never shown');
    const next = await uploadPicture('the next one');
    expect(await objectExists(abandoned.avatarId)).toBe(false);

    await alices.setAvatar({ body: { avatarId: next.avatarId } });

    expect(await objectExists(before)).toBe(false);
    expect(await objectExists(next.avatarId)).toBe(true);
  });

  it('refuses an oversized slot, a foreign, an older or an incomplete upload, each with a stable code', async () => {
    const current = (await alices.getMe()).avatarId;
    const oversized = await rawRequest(stack, alice, 'POST', '/me/avatar/upload', {
      size: MAX_AVATAR_SIZE_IN_BYTES + 1,
    });
    expect(oversized.status).toBe(400);
    expect(await oversized.json()).toMatchObject({ code: 'VALIDATION_FAILED' });

    const bobs = await apiFor(stack, bob).createAvatarUpload({ body: { size: 10 } });
    await postUpload(bobs, new Uint8Array(10));
    expect(await codeOf(alices.setAvatar({ body: { avatarId: bobs.avatarId } }))).toBe('404 NOT_FOUND');

    const older = await uploadPicture('older');
    await uploadPicture('newer');
    expect(await codeOf(alices.setAvatar({ body: { avatarId: older.avatarId } }))).toBe('404 NOT_FOUND');

    const { attachmentId } = await alices.createUpload({
      params: { conversationId: group },
      body: { size: 10 },
    });
    expect(await codeOf(alices.setAvatar({ body: { avatarId: attachmentId } }))).toBe('404 NOT_FOUND');

    const incomplete = await alices.createAvatarUpload({ body: { size: 100 } });
    expect(await codeOf(alices.setAvatar({ body: { avatarId: incomplete.avatarId } }))).toBe('409 CONFLICT');
    // The object store takes exactly the slot's size, no more.
    expect((await postUpload(incomplete, new Uint8Array(101))).status).toBe(400);
    expect(await codeOf(alices.setAvatar({ body: { avatarId: incomplete.avatarId } }))).toBe('409 CONFLICT');
    expect((await alices.getMe()).avatarId).toBe(current);
  });

  it('removes the picture: initials for everyone, its object deleted', async () => {
    const current = (await alices.getMe()).avatarId as string;
    const since = bobSocket.frames.length;

    await alices.clearAvatar();

    expect((await alices.getMe()).avatarId).toBeUndefined();
    await bobSocket.waitFor(
      (frame) =>
        (frame as { type?: string; user?: { userId?: string; avatarId?: string } }).type === 'profile' &&
        (frame as { user: { userId: string } }).user.userId === alice.userId &&
        (frame as { user: { avatarId?: string } }).user.avatarId === undefined,
      { since },
    );
    expect(await codeOf(apiFor(stack, bob).getAvatar({ params: { userId: alice.userId } }))).toBe(
      '404 NOT_FOUND',
    );
    expect(await objectExists(current)).toBe(false);
  });
});
